#!/usr/bin/env bash
# Installs what run.sh / test.sh need and is missing; stops with a clear message when something cannot be had.
#   scripts/ensure-deps.sh run|test
set -euo pipefail
mode=${1:-run}

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }

if ! have dotnet; then
  echo "ensure-deps: the .NET 10 SDK (dotnet) is required and is not on PATH; install it from https://dot.net" >&2
  exit 1
fi
if ! dotnet --list-sdks | grep -qE '^10\.'; then
  echo "ensure-deps: a .NET 10 SDK is required; found: $(dotnet --list-sdks | tr '\n' ' ')" >&2
  exit 1
fi

[ -x /usr/lib/postgresql/15/bin/initdb ] || have initdb || need_apt+=(postgresql-15)
have psql || need_apt+=(postgresql-client-15)
have ffmpeg || need_apt+=(ffmpeg)
have ffprobe || need_apt+=(ffmpeg)
if [ ! -x /usr/sbin/nginx ] && ! have nginx; then need_apt+=(nginx-light); fi
if [ ! -e /usr/share/nginx/modules-available/mod-rtmp.conf ] && [ ! -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
  need_apt+=(libnginx-mod-rtmp)
fi

# The web app's browser libraries (hls.js) come from npm at the versions in src/LiveStream.Host/package-lock.json.
have npm || need_apt+=(npm)
# The browser tests drive Debian's Chromium (Playwright never downloads a browser).
if [ "$mode" = test ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-deps: missing Debian packages: ${need_apt[*]}; run as root or install them (apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
  echo "ensure-deps: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # nginx must not start a default site on port 80 as a side effect of installing it.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if [ "$mode" = test ]; then
  if ! have moto_server && [ ! -x "${HOME:-/root}/.pyenv/shims/moto_server" ] && [ ! -x /root/.pyenv/shims/moto_server ]; then
    echo "ensure-deps: moto_server (the AWS emulator used by the tests) is missing; install it with: pip install 'moto[server]'" >&2
    exit 1
  fi
fi

# npm ci also runs from the build (MSBuild target VendorWebLibraries); doing it here gives a clear message first.
host_dir="$(cd "$(dirname "$0")/.." && pwd)/src/LiveStream.Host"
if [ ! -f "$host_dir/node_modules/hls.js/package.json" ]; then
  echo "ensure-deps: installing the web app's npm packages (npm ci in src/LiveStream.Host)" >&2
  if ! (cd "$host_dir" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null); then
    echo "ensure-deps: npm ci failed in src/LiveStream.Host; the npm registry must be reachable (or set npm's registry)" >&2
    exit 1
  fi
fi

if [ "$mode" = test ]; then
  # The API contract checks (tools/api-lint: Redocly CLI, openapi-typescript, tsc) at the versions its lock file pins.
  if ! have node || ! have npm; then
    echo "ensure-deps: Node.js >= 20.19 with npm is required for the API contract checks (tools/api-lint); install nodejs and npm" >&2
    exit 1
  fi
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "ensure-deps: Node.js >= 20.19 is required for tools/api-lint (Redocly CLI); found $(node --version)" >&2
    exit 1
  fi
  api_lint="$(dirname "$0")/../tools/api-lint"
  if [ ! -f "$api_lint/node_modules/.package-lock.json" ] || [ "$api_lint/package-lock.json" -nt "$api_lint/node_modules/.package-lock.json" ]; then
    echo "ensure-deps: installing tools/api-lint (npm ci)" >&2
    npm ci --prefix "$api_lint" --no-audit --no-fund --loglevel=error >/dev/null \
      || { echo "ensure-deps: npm ci in tools/api-lint failed (is the npm registry reachable?)" >&2; exit 1; }
  fi
fi
