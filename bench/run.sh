#!/usr/bin/env bash
# The one benchmark command: builds the solution in Release, starts a private PostgreSQL for the benchmark
# (.local/pg-bench, port ${BENCH_PG_PORT:-55446}), runs bench/LiveStream.Bench (bare Kestrel baseline, then
# the host in topologies all and split) and writes docs/benchmarks.md. Arguments go to the tool, e.g.
#   bench/run.sh --duration 30 --connections 128 --topologies all
# Installs wrk with apt-get when missing (as root). Stops its PostgreSQL on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pg_dir=${BENCH_PG_DIR:-$root/.local/pg-bench}
pg_port=${BENCH_PG_PORT:-55446}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench/run.sh: installing wrk with apt-get" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  fi
  command -v wrk >/dev/null || { echo "bench/run.sh: wrk is required (Debian package wrk); run as root or apt-get install wrk" >&2; exit 1; }
fi

if [ "${LIVESTREAM_SKIP_BUILD:-0}" != 1 ]; then
  dotnet build LiveStream.sln -c Release -nologo -clp:ErrorsOnly -v quiet
fi

# The soak's memory verdict reads the hosts' live heap from heap snapshots (bench/README.md, "Churn soak").
if [[ " $* " == *" --soak "* ]]; then
  gcdump_version=10.0.750501
  tools_dir=$root/.local/tools
  if [ ! -x "$tools_dir/dotnet-gcdump" ] || ! grep -q "$gcdump_version" <("$tools_dir/dotnet-gcdump" --version 2>/dev/null); then
    echo "bench/run.sh: installing dotnet-gcdump $gcdump_version into .local/tools" >&2
    dotnet tool update dotnet-gcdump --version "$gcdump_version" --tool-path "$tools_dir" >/dev/null \
      || { echo "bench/run.sh: could not install dotnet-gcdump; the soak's memory verdict falls back to RSS" >&2; }
  fi
  [ -x "$tools_dir/dotnet-gcdump" ] && export LIVESTREAM_GCDUMP=$tools_dir/dotnet-gcdump
fi

admin=$(scripts/postgres.sh start "$pg_dir" "$pg_port")
trap 'scripts/postgres.sh stop "$pg_dir"' EXIT

dotnet bench/LiveStream.Bench/bin/Release/net10.0/LiveStream.Bench.dll \
  --postgres "$admin" --command "bench/run.sh${*:+ $*}" "$@"
