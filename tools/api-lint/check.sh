#!/usr/bin/env bash
# The API contract checks ./test.sh runs on the OpenAPI document the host serves (exported by
# OpenApiContractTests to .local/openapi/v1.json):
#   1. Redocly CLI lint, recommended rules plus our contract rules (redocly.yaml): 0 errors;
#   2. the TypeScript types generated from it (openapi-typescript) equal the committed
#      src/LiveStream.Host/wwwroot/js/api-types.d.ts (no drift; --update rewrites it);
#   3. tsc --checkJs --noEmit over wwwroot/js (the pages' JavaScript against those types).
# Prints one PASS/FAIL line per check and closes with "api-lint: N passed, N failed".
#   tools/api-lint/check.sh [--update] [openapi.json]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
document=$(realpath -m "${1:-$root/.local/openapi/v1.json}")
types="$root/src/LiveStream.Host/wwwroot/js/api-types.d.ts"
bin="$here/node_modules/.bin"
passed=0; failed=0
pass() { echo "api-lint: PASS $1"; passed=$((passed + 1)); }
fail() { echo "api-lint: FAIL $1" >&2; failed=$((failed + 1)); }
summary() { echo "api-lint: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

if [ ! -x "$bin/redocly" ] || [ ! -x "$bin/openapi-typescript" ] || [ ! -x "$bin/tsc" ]; then
  fail "tools are installed (run scripts/ensure-deps.sh test: npm ci in tools/api-lint)"; summary
fi
if [ ! -s "$document" ]; then
  fail "OpenAPI document exported at $document (OpenApiContractTests writes it; did LiveStream.Host.Tests run?)"; summary
fi

cd "$here"
# Redocly nags about the Node version on stderr in a box; keep the findings, drop the banner.
lint_out=$("$bin/redocly" lint --config redocly.yaml --format=stylish "$document" 2>&1)
if [ $? -eq 0 ]; then
  pass "Redocly lint (recommended + contract rules): 0 errors, $(echo "$lint_out" | grep -oE '[0-9]+ warnings?' | head -1 || echo '0 warnings')"
else
  echo "$lint_out" | grep -v '[║╔╚]' >&2
  fail "Redocly lint (recommended + contract rules)"
fi

generated=$(mktemp --suffix=.d.ts); trap 'rm -f "$generated"' EXIT
if ! "$bin/openapi-typescript" "$document" --redocly types.redocly.yaml -o "$generated" >/dev/null 2>&1; then
  fail "openapi-typescript generates types"
elif [ "$update" = 1 ]; then
  mkdir -p "$(dirname "$types")"; cp "$generated" "$types"; pass "types written to ${types#"$root"/}"
elif cmp -s "$generated" "$types"; then
  pass "generated TypeScript types match ${types#"$root"/}"
else
  diff -u "$types" "$generated" | head -40 >&2
  fail "generated TypeScript types drifted from ${types#"$root"/} (run tools/api-lint/check.sh --update and commit)"
fi

checked=$(find "$root/src/LiveStream.Host/wwwroot/js" -name '*.js' 2>/dev/null | wc -l)
if "$bin/tsc" -p tsconfig.json >&2; then
  pass "tsc --checkJs --noEmit: $checked JavaScript file(s) in wwwroot/js and the API types"
else
  fail "tsc --checkJs --noEmit over wwwroot/js"
fi
summary
