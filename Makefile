# certgate: the two commands a newcomer needs are `make demo` and `make test`.
# kubectl from the machine first; the copy unpacked from the helm npm package otherwise.
export PATH := $(PATH):$(CURDIR)/.tools/kubectl

.PHONY: setup demo test typecheck lint format knip bench chart manifests build clean

setup:
	@bash scripts/ensure-tools.sh

demo: setup
	npx tsx scripts/demo.ts $(DEMO_ARGS)

test: setup typecheck lint format knip
	node scripts/run-tests.mjs

typecheck:
	npx tsc --noEmit

# typescript-eslint with type information (eslint.config.js).
lint:
	npx eslint .

# Prettier (.prettierrc.json: 160 columns, the existing single-quote style); `npx prettier --write "**/*.{ts,js,mjs}"` fixes.
format:
	npx prettier --check --log-level warn "**/*.{ts,js,mjs}"

# Unused files, dependencies and exports (knip.json): an export nothing imports is made local or removed.
knip:
	npx knip --no-progress

bench: setup
	npx tsx bench/run.ts

chart: setup
	.tools/helm/helm lint charts/certgate
	.tools/helm/helm template certgate charts/certgate --namespace certgate >/dev/null

manifests: setup
	npx tsx scripts/render-manifests.ts
	npx tsx scripts/dashboard.ts

build:
	npm run build

clean:
	rm -rf dist .tools .demo .test-logs
