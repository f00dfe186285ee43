#!/usr/bin/env bash
# Builds and runs every test suite: grain tests on Orleans TestCluster, integration tests on a real
# PostgreSQL, ffmpeg and the moto AWS emulator. Installs what is missing; fails loudly when it cannot.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

scripts/ensure-deps.sh test

pg_dir="$root/.local/pg-test"
pg_port=${LIVESTREAM_TEST_PG_PORT:-55433}
if [ -z "${LIVESTREAM_TEST_POSTGRES:-}" ]; then
  LIVESTREAM_TEST_POSTGRES=$(scripts/postgres.sh start "$pg_dir" "$pg_port")
  export LIVESTREAM_TEST_POSTGRES
  trap 'scripts/postgres.sh stop "$pg_dir"' EXIT
fi
echo "test.sh: PostgreSQL for tests at $LIVESTREAM_TEST_POSTGRES"

dotnet build LiveStream.sln -c Release -nologo -clp:ErrorsOnly

results="$root/.local/test-results"
rm -rf "$results"; mkdir -p "$results"
# OpenApiContractTests exports the served document here for the contract step below; never lint a stale one.
rm -f "$root/.local/openapi/v1.json"
status=0
passed=0; failed=0; skipped=0
for project in tests/*.Tests/*.csproj; do
  name=$(basename "$project" .csproj)
  echo "test.sh: running $name"
  log="$results/$name.log"
  # Quarantined tests (Trait Category=Quarantined) guard known, open defects: they are not run, and are listed below
  # so a green run never hides them. Each names its issue beside the trait.
  if ! dotnet test "$project" -c Release --no-build -nologo --filter "Category!=Quarantined" --logger "console;verbosity=normal" --blame-hang-timeout 10m 2>&1 | tee "$log"; then
    status=1
  fi
  # dotnet test closes with "Total tests: N" followed by "Passed: N", "Failed: N", "Skipped: N" lines.
  if ! grep -qE "^Total tests: [0-9]+" "$log"; then
    echo "test.sh: $name produced no test summary" >&2; status=1; continue
  fi
  count() { grep -E "^ +$1: [0-9]+$" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0; }
  passed=$((passed + $(count Passed))); failed=$((failed + $(count Failed))); skipped=$((skipped + $(count Skipped)))
done

# ---- deploy/: the AWS CloudFormation stacks, validated offline (cfn-lint + our checks + self-test) ----
echo "test.sh: validating deploy/ (CloudFormation)"
deploy_log="$results/deploy.log"
if ! deploy/validate.sh 2>&1 | tee "$deploy_log"; then
  status=1
fi
# validate.py closes with "deploy: N passed, N failed".
if ! grep -qE "^deploy: [0-9]+ passed, [0-9]+ failed$" "$deploy_log"; then
  echo "test.sh: deploy/validate.sh produced no summary" >&2; status=1
else
  summary=$(grep -E "^deploy: [0-9]+ passed, [0-9]+ failed$" "$deploy_log" | tail -1)
  passed=$((passed + $(echo "$summary" | grep -oE "[0-9]+ passed" | grep -oE "[0-9]+")))
  failed=$((failed + $(echo "$summary" | grep -oE "[0-9]+ failed" | grep -oE "[0-9]+")))
fi

# ---- the API contract: Redocly lint, generated TypeScript types (drift), tsc --checkJs over wwwroot/js ----
echo "test.sh: checking the API contract (tools/api-lint)"
api_log="$results/api-lint.log"
if ! tools/api-lint/check.sh "$root/.local/openapi/v1.json" 2>&1 | tee "$api_log"; then
  status=1
fi
if ! api_summary=$(grep -E "^api-lint: [0-9]+ passed, [0-9]+ failed$" "$api_log" | tail -1); then
  echo "test.sh: tools/api-lint/check.sh produced no summary" >&2; status=1
else
  passed=$((passed + $(echo "$api_summary" | grep -oE "[0-9]+ passed" | grep -oE "[0-9]+")))
  failed=$((failed + $(echo "$api_summary" | grep -oE "[0-9]+ failed" | grep -oE "[0-9]+")))
fi

# ---- docs/capacity.md: generated from bench/capacity-inputs.json and its embedded measurement; stale = failed ----
echo "test.sh: checking docs/capacity.md against bench/capacity-inputs.json"
if dotnet bench/LiveStream.Bench/bin/Release/net10.0/LiveStream.Bench.dll capacity --check; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); status=1
fi

quarantined=$(grep -rl 'Trait("Category", "Quarantined")' tests --include=*.cs | sort || true)
if [ -n "$quarantined" ]; then
  echo "test.sh: QUARANTINED (known open defects, not run; see the comment beside each trait):" >&2
  grep -rn 'Trait("Category", "Quarantined")' tests --include=*.cs | sed -E 's/^([^:]+:[0-9]+):.*\/\/ */  - \1: /' >&2
fi

# CI keeps only the tail of this output: name each failed test and its message here, next to the totals.
failures=$(awk '/^ +Failed [A-Za-z_][A-Za-z0-9_.]*/ {show=1; n=0} /^ +Stack Trace:/ {show=0} show && n++ < 12' "$results"/*.Tests.log || true)
if [ -n "$failures" ]; then
  echo "test.sh: FAILED tests (full logs in .local/test-results/):" >&2
  echo "$failures" >&2
fi

if [ "$skipped" -ne 0 ]; then
  echo "test.sh: $skipped test(s) were skipped; a skipped test is a failure here" >&2
  status=1
fi
if [ $((passed + failed)) -eq 0 ]; then
  echo "test.sh: no tests ran" >&2
  status=1
fi
echo "tests: $passed passed, $failed failed"
exit $status
