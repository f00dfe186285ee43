#!/usr/bin/env bash
# A local production-shaped cluster on one machine: 3 silo processes and 2 API processes (roles `silo` and
# `api` of the one executable) against one private PostgreSQL, for fault-tolerance runs (bench/LiveStream.Bench.Chaos).
#   scripts/cluster.sh start            build (unless LIVESTREAM_SKIP_BUILD=1), start PostgreSQL, migrate, start all
#   scripts/cluster.sh stop             SIGTERM every process (then PostgreSQL)
#   scripts/cluster.sh status           pid, ports and state of each process, and the membership table
#   scripts/cluster.sh kill silo1       kill -9 one process (a crashed task)
#   scripts/cluster.sh restart silo1    SIGTERM it, wait until it left, start it again, wait until it is ready
#   scripts/cluster.sh start-one silo1  start one stopped/killed process and wait until it is ready
#   scripts/cluster.sh env              API URLs, PostgreSQL, secrets, silo ports as export lines: eval "$(scripts/cluster.sh env)"
#   scripts/cluster.sh db stop|kill|start|freeze|thaw|failover   database faults for the chaos runs (kill = stop -m
#                                       immediate; freeze = SIGSTOP every server process; failover = kill the primary
#                                       and promote the replica)
# CLUSTER_REPLICA=1: also a streaming replica on LIVESTREAM_PG_REPLICA_PORT (default LIVESTREAM_PG_PORT+1; data in .local/cluster/pg-replica); every process
# lists both hosts with Target Session Attributes=primary (a promotion is followed) and reads lag-tolerant pages
# from the replica (ConnectionStrings__PostgresRead).
# Ports (all derived from CLUSTER_BASE_PORT, default 8100): api1/api2 HTTP base+0/base+1; silo1..3 HTTP base+10..12,
# silo base+20..22, gateway base+30..32. PostgreSQL on LIVESTREAM_PG_PORT (default 55434), data in .local/cluster/pg.
# Logs and pids: .local/cluster/<name>.log, .local/cluster/<name>.pid. The chaos load schedules sessions far faster than a
# mentor would, so the schedule burst is lifted (CLUSTER_SCHEDULE_BURST, default 100000) to keep its 429s out of the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir="$root/.local/cluster"
base=${CLUSTER_BASE_PORT:-8100}
pg_port=${LIVESTREAM_PG_PORT:-55434}
app="$root/src/LiveStream.Host/bin/Release/net10.0/LiveStream.Host.dll"
names=(silo1 silo2 silo3 api1 api2)
mkdir -p "$dir"

role_of() { case $1 in silo*) echo silo ;; api*) echo api ;; *) echo "cluster.sh: unknown process '$1' (one of ${names[*]})" >&2; exit 2 ;; esac; }
index_of() { echo "${1//[!0-9]/}"; }
http_port() { local i; i=$(index_of "$1"); if [ "$(role_of "$1")" = api ]; then echo $((base + i - 1)); else echo $((base + 9 + i)); fi; }
silo_port() { echo $((base + 19 + $(index_of "$1"))); }
gateway_port() { echo $((base + 29 + $(index_of "$1"))); }
pid_of() { [ -s "$dir/$1.pid" ] && cat "$dir/$1.pid" || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
replica_port=${LIVESTREAM_PG_REPLICA_PORT:-$((pg_port + 1))}
with_replica() { [ "${CLUSTER_REPLICA:-0}" = 1 ]; }
connection() {
  if with_replica; then
    echo "Host=127.0.0.1:$pg_port,127.0.0.1:$replica_port;Username=postgres;Database=livestream_cluster;Target Session Attributes=primary"
  else
    echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=livestream_cluster"
  fi
}
read_connection() {
  if with_replica; then
    echo "Host=127.0.0.1:$replica_port,127.0.0.1:$pg_port;Username=postgres;Database=livestream_cluster;Target Session Attributes=prefer-standby"
  fi
}

# Secrets generated once per checkout and kept out of git: every process accepts the same dev tokens, and the
# chaos tool can play the RTMP ingest's publish callback to make sessions live without nginx.
secret() {
  local file="$dir/$1"
  [ -s "$file" ] || (umask 077; head -c "$2" /dev/urandom | base64 -w0 | tr '+/' '-_' >"$file")
  cat "$file"
}
signing_key() { secret signing-key 48; }
callback_secret() { secret media-callback-secret 24; }
playback_key() { secret playback-signing-key 48; }

start_pg() {
  scripts/postgres.sh start "$dir/pg" "$pg_port" >/dev/null
  psql "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'livestream_cluster'" | grep -q 1 \
    || psql "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres" -qc "CREATE DATABASE livestream_cluster" >/dev/null
  if with_replica; then scripts/postgres.sh replica "$dir/pg-replica" "$replica_port" "$pg_port" >/dev/null; fi
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + ${2:-90}))
  while [ $SECONDS -lt $deadline ]; do
    alive "$name" || { echo "cluster.sh: $name exited; see $dir/$name.log" >&2; tail -20 "$dir/$name.log" >&2; return 1; }
    curl -fsS -m 2 "http://127.0.0.1:$(http_port "$name")/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "cluster.sh: $name not ready in time; see $dir/$name.log" >&2
  return 1
}

start_one() {
  local name=$1
  if alive "$name"; then echo "cluster.sh: $name already running (pid $(pid_of "$name"))"; return 0; fi
  # setsid: a process of its own group, so a terminal's Ctrl-C does not reach it and kill -9 hits only it.
  ConnectionStrings__Postgres=$(connection) \
  ConnectionStrings__PostgresRead=$(read_connection) \
  Auth__DevTokens__SigningKey=$(signing_key) \
  Media__Local__CallbackSecret=$(callback_secret) \
  Media__Playback__SigningKey=$(playback_key) \
  Media__Local__Directory="$dir/media" \
  RateLimits__ScheduleBurst=${CLUSTER_SCHEDULE_BURST:-100000} \
  ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development} \
  Database__MigrateOnStart=false \
  LiveStream__Role=$(role_of "$name") \
  Orleans__ClusterId=${CLUSTER_ID:-local-cluster} \
  Orleans__SiloPort=$(silo_port "$name") \
  Orleans__GatewayPort=$(gateway_port "$name") \
  Orleans__AdvertisedIPAddress=127.0.0.1 \
  Logging__Console__FormatterName=simple \
    setsid dotnet "$app" --urls "http://127.0.0.1:$(http_port "$name")" >>"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
  wait_ready "$name"
  echo "cluster.sh: $name ready (pid $(pid_of "$name"), http $(http_port "$name"))"
}

stop_one() {
  local name=$1 pid deadline
  pid=$(pid_of "$name")
  if ! alive "$name"; then rm -f "$dir/$name.pid"; return 0; fi
  kill -TERM "$pid"
  # The host's own shutdown timeout is 25 s (under ECS's 30 s stop timeout); wait a little longer than that.
  deadline=$((SECONDS + 35))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then echo "cluster.sh: $name ignored SIGTERM for 35 s; killing" >&2; kill -KILL "$pid"; fi
  rm -f "$dir/$name.pid"
  echo "cluster.sh: $name stopped"
}

case "${1:-}" in
  start)
    if [ "${LIVESTREAM_SKIP_BUILD:-0}" != 1 ]; then dotnet build src/LiveStream.Host -c Release -nologo -clp:ErrorsOnly -v quiet; fi
    start_pg
    ConnectionStrings__Postgres=$(connection) dotnet "$app" migrate >>"$dir/migrate.log" 2>&1
    # Silos first (the API processes need a gateway to be ready), one at a time so each joins a settled table.
    for name in "${names[@]}"; do start_one "$name"; done
    ;;
  stop)
    for name in api1 api2 silo1 silo2 silo3; do stop_one "$name"; done
    [ "${2:-}" = keep-pg ] || { scripts/postgres.sh stop "$dir/pg" >/dev/null 2>&1 || true; scripts/postgres.sh stop "$dir/pg-replica" >/dev/null 2>&1 || true; }
    ;;
  db)
    case "${2:-}" in
      stop) scripts/postgres.sh stop "$dir/pg" fast ;;
      kill) scripts/postgres.sh stop "$dir/pg" immediate ;;
      start) scripts/postgres.sh start "$dir/pg" "$pg_port" >/dev/null ;;
      freeze|thaw) scripts/postgres.sh "$2" "$dir/pg" ;;
      failover)
        with_replica || { echo "cluster.sh: db failover needs CLUSTER_REPLICA=1 (a replica started with the cluster)" >&2; exit 2; }
        scripts/postgres.sh stop "$dir/pg" immediate
        scripts/postgres.sh promote "$dir/pg-replica" ;;
      *) echo "usage: cluster.sh db stop|kill|start|freeze|thaw|failover" >&2; exit 2 ;;
    esac
    echo "cluster.sh: database $2 done"
    ;;
  status)
    for name in "${names[@]}"; do
      state=down
      if alive "$name"; then
        state=$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port "$name")/health/ready" 2>/dev/null || true)
        state="up (pid $(pid_of "$name"), ready=$state)"
      fi
      printf '%-6s %-5s http %-5s silo %-5s gateway %-5s %s\n' "$name" "$(role_of "$name")" "$(http_port "$name")" \
        "$( [ "$(role_of "$name")" = silo ] && silo_port "$name" || echo -)" "$( [ "$(role_of "$name")" = silo ] && gateway_port "$name" || echo -)" "$state"
    done
    psql "host=127.0.0.1 port=$pg_port user=postgres dbname=livestream_cluster" -c \
      "SELECT port, generation, CASE status WHEN 3 THEN 'active' WHEN 6 THEN 'dead' WHEN 5 THEN 'stopping' WHEN 4 THEN 'shutting down' ELSE status::text END AS status, start_time, i_am_alive_time FROM orleans_membership WHERE deployment_id = '${CLUSTER_ID:-local-cluster}' ORDER BY port, generation" 2>/dev/null || true
    ;;
  kill)
    name=${2:?usage: cluster.sh kill <name>}; role_of "$name" >/dev/null
    pid=$(pid_of "$name"); [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
    echo "cluster.sh: $name killed (kill -9 $pid)"
    ;;
  restart)
    name=${2:?usage: cluster.sh restart <name>}; role_of "$name" >/dev/null
    stop_one "$name"; start_one "$name"
    ;;
  start-one)
    name=${2:?usage: cluster.sh start-one <name>}; role_of "$name" >/dev/null
    start_one "$name"
    ;;
  env)
    # Quoted, so `eval "$(scripts/cluster.sh env)"` exports them as they are (the connection string has ';').
    printf 'export CLUSTER_API_URLS=%q\n' "http://127.0.0.1:$(http_port api1),http://127.0.0.1:$(http_port api2)"
    printf 'export CLUSTER_POSTGRES=%q\n' "$(connection)"
    printf 'export CLUSTER_SIGNING_KEY=%q\n' "$(signing_key)"
    printf 'export CLUSTER_CALLBACK_SECRET=%q\n' "$(callback_secret)"
    printf 'export CLUSTER_SILOS=%q\n' "silo1=$(silo_port silo1),silo2=$(silo_port silo2),silo3=$(silo_port silo3)"
    printf 'export CLUSTER_ID=%q\n' "${CLUSTER_ID:-local-cluster}"
    printf 'export CLUSTER_MEDIA_DIRECTORY=%q\n' "$dir/media"
    ;;
  *)
    sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
