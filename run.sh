#!/usr/bin/env bash
# Serves LiveStream locally (role `all` unless `--role` says otherwise) on http://localhost:${PORT:-8080}.
# On a fresh machine it installs what is missing, starts a private PostgreSQL under .local/ (unless
# ConnectionStrings__Postgres is given), applies sql/, and runs the host in the foreground.
#   ./run.sh                      silo + API in one process
#   ./run.sh --role silo          another silo (give it other ports: see README "Several silos")
#   ./run.sh --role api           a front end only
# Everything listens on 127.0.0.1 unless LIVESTREAM_ADDRESS names another address (e.g. 0.0.0.0 for the LAN).
# With only PORT given, the silo and gateway take 11111 / 30000 or, when those are taken, the next free ports.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
export PORT=${PORT:-8080}
address=${LIVESTREAM_ADDRESS:-127.0.0.1}

# The first port from $1 on that nothing on this machine listens on.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}
if [ -z "${Orleans__SiloPort:-}" ]; then export Orleans__SiloPort=$(free_port 11111); fi
if [ -z "${Orleans__GatewayPort:-}" ]; then export Orleans__GatewayPort=$(free_port 30000); fi
# Silos listen on their advertised address only; a specific LIVESTREAM_ADDRESS is that address too.
case "$address" in
  127.0.0.1|0.0.0.0|::|'[::]') ;;
  *) export Orleans__AdvertisedIPAddress=${Orleans__AdvertisedIPAddress:-$address} ;;
esac

scripts/ensure-deps.sh run
mkdir -p .local

if [ -z "${ConnectionStrings__Postgres:-}" ]; then
  pg_port=${LIVESTREAM_PG_PORT:-55432}
  admin=$(scripts/postgres.sh start "$root/.local/pg" "$pg_port")
  psql "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'livestream'" | grep -q 1 \
    || psql "host=127.0.0.1 port=$pg_port user=postgres dbname=postgres" -qc "CREATE DATABASE livestream" >/dev/null
  export ConnectionStrings__Postgres="${admin/Database=postgres/Database=livestream}"
  echo "run.sh: PostgreSQL at $ConnectionStrings__Postgres (data in .local/pg)"
fi

# Dev tokens are signed with a key generated once per checkout and kept out of git, so tokens stay valid
# across restarts and every local process (several APIs) accepts the same tokens.
key_file=.local/dev-signing-key
if [ ! -s "$key_file" ]; then
  (umask 077; head -c 48 /dev/urandom | base64 -w0 >"$key_file")
fi
export Auth__DevTokens__SigningKey=${Auth__DevTokens__SigningKey:-$(cat "$key_file")}
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}

# The local media pipeline: nginx's RTMP module takes the mentor's push and asks this API (through a secret
# callback path) whether the stream key is right. One nginx per checkout; extra processes pass LIVESTREAM_MEDIA=0.
if [ "${LIVESTREAM_MEDIA:-1}" = 1 ]; then
  secret_file=.local/media-callback-secret
  if [ ! -s "$secret_file" ]; then
    (umask 077; head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$secret_file")
  fi
  export Media__Local__CallbackSecret=${Media__Local__CallbackSecret:-$(cat "$secret_file")}
  # Signed playback URLs: every local process must check the same media token key.
  playback_key_file=.local/playback-signing-key
  if [ ! -s "$playback_key_file" ]; then
    (umask 077; head -c 48 /dev/urandom | base64 -w0 >"$playback_key_file")
  fi
  export Media__Playback__SigningKey=${Media__Playback__SigningKey:-$(cat "$playback_key_file")}
  rtmp_port=${LIVESTREAM_RTMP_PORT:-1935}
  # Media__Latency=low: 1 s HLS segments (and the player's live sync tuned to them); default: 2 s. docs/media.md "Latency".
  case "${Media__Latency:-default}" in
    low) export LIVESTREAM_HLS_SEGMENT_SECONDS=1 ;;
    default) export LIVESTREAM_HLS_SEGMENT_SECONDS=2 ;;
    *) echo "run.sh: Media__Latency must be 'default' or 'low' (got '$Media__Latency')" >&2; exit 1 ;;
  esac
  scripts/nginx-rtmp.sh start "$root/.local/nginx" "$rtmp_port" "http://127.0.0.1:$PORT/internal/media/$Media__Local__CallbackSecret" >/dev/null
  export Media__Local__Directory="$root/.local/nginx/media"
  export Media__Local__IngestUrl="rtmp://127.0.0.1:$rtmp_port/live"
  export Media__Local__ControlUrl="http://127.0.0.1:$((rtmp_port + 1))/control"
  export Media__Local__PublicBaseUrl=${Media__Local__PublicBaseUrl:-http://localhost:$PORT}
  echo "run.sh: RTMP ingest at rtmp://127.0.0.1:$rtmp_port/live (nginx in .local/nginx)"
fi

if [ "${LIVESTREAM_SKIP_BUILD:-0}" != 1 ]; then
  dotnet build src/LiveStream.Host -c Release -nologo -clp:ErrorsOnly -v quiet
fi
app=src/LiveStream.Host/bin/Release/net10.0/LiveStream.Host.dll

dotnet "$app" migrate
echo "run.sh: serving on http://$address:$PORT (API reference at /docs, readiness at /health/ready); silo port $Orleans__SiloPort, gateway port $Orleans__GatewayPort"
exec dotnet "$app" --urls "http://$address:$PORT" "$@"
