#!/usr/bin/env bash
# Runs a private PostgreSQL 15 cluster in a folder of this checkout (run.sh and test.sh use it).
#   scripts/postgres.sh start <dir> <port>   initialise if needed, start, wait until it accepts connections
#   scripts/postgres.sh stop  <dir> [fast|immediate]   immediate: no checkpoint, like a crash (chaos runs)
#   scripts/postgres.sh replica <dir> <port> <primary-port>   a streaming replica of the primary on 127.0.0.1
#       (pg_basebackup -R: hot standby, replays the primary's WAL; promote it with `promote`)
#   scripts/postgres.sh promote <dir>      the replica becomes a primary (what an RDS Multi-AZ failover does)
#   scripts/postgres.sh freeze|thaw <dir>  SIGSTOP/SIGCONT every server process: a hung database (chaos runs)
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` OS user.
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop <dir> [port]}
dir=${2:?data directory required}
port=${3:-55432}

find_bin() {
  local name=$1 candidate
  for candidate in /usr/lib/postgresql/15/bin/"$name" /usr/lib/postgresql/*/bin/"$name"; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  command -v "$name" 2>/dev/null && return 0
  return 1
}

ensure_installed() {
  if find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "postgres.sh: installing PostgreSQL 15 with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  find_bin initdb >/dev/null || { echo "postgres.sh: PostgreSQL server binaries (initdb, pg_ctl) not found and could not be installed; install postgresql-15" >&2; exit 1; }
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # runuser keeps our environment minimal and needs no password.
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Starts the server in $dir on $port unless it runs already, then prints its connection string.
run_server() {
  if as_owner "$pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "postgres.sh: already running in $dir" >&2
  else
    as_owner "$pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/postgres.log" -w -t 60 start >/dev/null \
      || { echo "postgres.sh: PostgreSQL failed to start; see $dir/postgres.log" >&2; tail -20 "$dir/postgres.log" >&2; exit 1; }
  fi
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

# A server folder (the replica's) as the postgres OS user's (when root), reachable through every parent.
prepare_dir() {
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    p=$dir; while [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
  fi
}

case "$cmd" in
  start)
    ensure_installed
    initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
      chown postgres: "$dir"
      # The postgres user must be able to reach the folder through every parent.
      p=$dir; while [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner mkdir -p "$dir/data"
      as_owner "$initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
      cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
log_min_messages = warning
CONF
    fi
    run_server
    ;;
  stop)
    ensure_installed
    pg_ctl=$(find_bin pg_ctl)
    mode=${3:-fast}
    [ -f "$dir/data/PG_VERSION" ] && as_owner "$pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null 2>&1 || true
    ;;
  replica)
    primary_port=${4:?usage: postgres.sh replica <dir> <port> <primary-port>}
    ensure_installed
    pg_ctl=$(find_bin pg_ctl); basebackup=$(find_bin pg_basebackup)
    prepare_dir
    if [ -f "$dir/data/PG_VERSION" ] && [ ! -f "$dir/data/standby.signal" ]; then
      # Promoted earlier (a failover drill): starting it beside the old primary would give two primaries, and a
      # multi-host connection string would write to either.
      echo "postgres.sh: $dir was promoted to a primary; it and the server on port $primary_port have diverged. Stop both and remove both data directories (e.g. scripts/cluster.sh stop && rm -rf .local/cluster/pg .local/cluster/pg-replica) to start over." >&2
      exit 1
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written during the backup.
      as_owner "$basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/data" -R -X stream -c fast \
        || { echo "postgres.sh: pg_basebackup from port $primary_port failed" >&2; exit 1; }
      # The copied postgresql.conf names the primary's socket folder; the last setting wins.
      echo "unix_socket_directories = '$dir'" | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    fi
    run_server
    ;;
  promote)
    ensure_installed
    pg_ctl=$(find_bin pg_ctl)
    as_owner "$pg_ctl" -D "$dir/data" -w promote >/dev/null
    ;;
  freeze|thaw)
    [ -s "$dir/data/postmaster.pid" ] || { echo "postgres.sh: no server running in $dir" >&2; exit 1; }
    postmaster=$(head -1 "$dir/data/postmaster.pid")
    signal=STOP; [ "$cmd" = thaw ] && signal=CONT
    # The postmaster and every backend, checkpointer, walwriter...: a whole server that stops answering.
    kill -s "$signal" "$postmaster" $(pgrep -P "$postmaster" || true)
    ;;
  *) echo "usage: postgres.sh start|stop|replica|promote|freeze|thaw <dir> ..." >&2; exit 2 ;;
esac
