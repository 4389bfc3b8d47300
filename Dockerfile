# syntax=docker/dockerfile:1
# certgate: one image for the worker, the HTTP-01 solver, the admission webhook and the CLI.
#   docker build -t certgate .
#   docker run --rm certgate worker --help   (or: solver, webhook, status certificate NAME ...)
#
# Node 24 "Krypton": an LTS line supported until April 2028 (Node 20, which CI uses, reached end
# of life in April 2026). Node 26 turns LTS in October 2026; move to it once CI runs on it too.
# The registry's dist-tags cannot be read from here, so the choice is stated rather than looked up.
# bookworm-slim rather than alpine: the same glibc Debian 12 as CI, so TLS and DNS behave as in the
# tests. Override with --build-arg NODE_IMAGE=..., and pin a digest in production.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: type-check, then bundle with esbuild (scripts/build.ts), with the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# .npmrc holds legacy-peer-deps: without it npm ci refuses the lockfile (peers of a dev-only package).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY lib ./lib
COPY webhook ./webhook
COPY worker ./worker
COPY solver ./solver
COPY cli ./cli
COPY bin ./bin
COPY scripts/build.ts ./scripts/
# dist/ holds bin/certgate.js and its lazily loaded chunks; @kubernetes/client-node is bundled in
# (its generated API left out), every other package is loaded from node_modules.
RUN npm run build

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist ./dist
# At run time the image reads only dist/ (the bundled code), node_modules/ (production dependencies)
# and package.json ("type": "module" makes Node load dist/ as ES modules). Everything else comes from
# outside: the API server, the service account token and CA the kubelet mounts, and for the CLI a
# kubeconfig and the files named on its command line.
# No CRD file is read: the chart installs the CRDs, and api/crds.test-support.ts (read by tests and code generation) is not even in the build context.
# 65532 is the conventional "nonroot" uid; the Helm chart runs every pod with it and a read-only
# root filesystem, so nothing here needs to be writable.
USER 65532:65532
# glibc gives each thread that allocates its own malloc arena (up to 8 per CPU) and keeps what each
# once held: libuv's threadpool (key generation and signing) left about 20 MiB of the worker in
# arenas. Two arenas kept 5 MiB in the same scale run (bench/scale.ts reads this line too).
ENV MALLOC_ARENA_MAX=2
# Heap sizing for a controller that holds thousands of objects (bench/scale.ts measures the worker
# with these flags, read from this line): a 2 MiB young generation semi-space instead of 16 MiB, and
# an old generation allowed to grow 30% past what the last full GC kept instead of up to 4 times.
# Without them the worker's RSS was about twice its live heap; the CPU cost is more, shorter GCs.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=30", "dist/bin/certgate.js"]
CMD ["--help"]
