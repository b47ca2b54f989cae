#!/usr/bin/env bash
# Idempotent set-up shared by `npm test`, `npm run demo` and `npm run bench`:
# Debian packages for the lab peers, node modules, then a build. Each step is
# skipped when already satisfied, so running it twice costs a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(bird2 frr gobgpd exabgp iproute2 containernetworking-plugins tcpdump iputils-ping)
# The Kubernetes tests check the fake API server against a real kubectl: any
# kubectl on the PATH will do, else Debian's kubernetes-client.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages ${missing[*]}; run as root (apt-get install needs it)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Distribution packages start their daemons where an init system runs; the lab
# starts its own copies inside namespaces, so stop system-wide ones we would
# otherwise collide with on the control sockets (only if systemd manages them).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for svc in bird frr gobgpd; do
    systemctl is-active --quiet "$svc" 2>/dev/null && systemctl stop "$svc" || true
  done
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.flatroute-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
  cp package-lock.json "$stamp"
fi

# The build leaves the flatroute and flatroutec bins executable (package.json "build").
npm run --silent build
