#!/usr/bin/env bash
# Playlist benchmark: the all-in-one server's /playlist/T.m3u8 against nginx serving the very same
# bytes as a static file (sendfile), with wrk, on loopback. See README.md next to this file.
#
#   bench/playlist/run.sh
#
# Settings (environment): BENCH_CHANNELS (25000), BENCH_DURATION (15s), BENCH_THREADS (2),
# BENCH_CONNECTIONS (8), BENCH_WARMUP (5s, unrecorded, before each side), BENCH_JAR (run this jar instead of building server/target/iptv.jar),
# BENCH_KEEP=1 (keep the work folder with logs), BENCH_REDIS_DB (7). Uses that one Redis database
# on 127.0.0.1:6379 and refuses to start when it is not empty (someone else's data); it empties it
# again when done. Stops everything it starts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHANNELS=${BENCH_CHANNELS:-25000}
DURATION=${BENCH_DURATION:-15s}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
DB=${BENCH_REDIS_DB:-7}
REDIS_HOST=127.0.0.1
REDIS_PORT=6379

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

need() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $pkg"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true;
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; } \
      || die "could not install $pkg"
    return 0
  fi
  die "$cmd is missing: install it with 'sudo apt-get install -y $pkg'"
}
need wrk wrk
need nginx nginx
need redis-cli redis-tools
need curl curl
need java openjdk-17-jre-headless

redis() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" -n "$DB" "$@"; }
[ "$(redis PING 2>/dev/null)" = PONG ] || die "Redis does not answer on $REDIS_HOST:$REDIS_PORT (start it: redis-server --daemonize yes)"
[ "$(redis DBSIZE)" = 0 ] || die "Redis database $DB is not empty: another run may be using it (empty it with 'redis-cli -n $DB FLUSHDB' if not, or set BENCH_REDIS_DB)"

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free loopback port found"
}

WORK=$(mktemp -d /tmp/iptv-bench.XXXXXX)
chmod 755 "$WORK"
SERVER_PID=""
NGINX_PID=""
SEEDED=0
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
  fi
  [ $SEEDED = 1 ] && { redis FLUSHDB >/dev/null 2>&1 || true; }
  if [ "${BENCH_KEEP:-}" = 1 ] || [ $rc != 0 ]; then
    say "work folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the jar ---------------------------------------------------------------------------------
if [ -n "${BENCH_JAR:-}" ]; then
  [ -f "$BENCH_JAR" ] || die "BENCH_JAR=$BENCH_JAR does not exist"
  cp "$BENCH_JAR" "$WORK/iptv.jar"
else
  "$ROOT/bin/iptv" build
  cp "$ROOT/server/target/iptv.jar" "$WORK/iptv.jar"   # a copy: a rebuild during the run cannot hurt it
fi

# --- 2. data: CHANNELS channels in the seed's layout, written as redis-cli would -----------------
say "seeding $CHANNELS channels into Redis database $DB"
SEEDED=1
awk -v n="$CHANNELS" 'function cmd(a, b, c,   s) {
    s = "*3\r\n$" length(a) "\r\n" a "\r\n$" length(b) "\r\n" b "\r\n$" length(c) "\r\n" c "\r\n"
    printf "%s", s
  }
  BEGIN {
    for (i = 1; i <= n; i++) {
      id = 40000 + i
      cat = int((i - 1) / 250) + 1
      json = "{\"channel_id\":\"" id "\",\"name\":\"Channel " id " HD Sports\",\"source_url\":\"http://upstream.example.com:80/live/user/pass/" id ".ts\",\"logo\":\"http://logos.example.com/" id ".png\",\"category\":\"Category " cat "\",\"quality\":\"medium\",\"order\":" i ",\"category_order\":" cat ",\"is_active\":true}"
      cmd("SET", "channel:" id, json)
      cmd("SADD", "channels:all", id)
    }
  }' | redis --pipe >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; die "seeding failed"; }
[ "$(redis SCARD channels:all)" = "$CHANNELS" ] || die "seeding left $(redis SCARD channels:all) channels"

# --- 3. the all-in-one server ---------------------------------------------------------------------
PORT=$(free_port)
ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
say "starting the all-in-one server on 127.0.0.1:$PORT"
mkdir -p "$WORK/hls"
env IPTV_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT/$DB" IPTV_HTTP_PORT="$PORT" IPTV_BIND_HOST=127.0.0.1 \
    IPTV_ADMIN_TOKEN="$ADMIN" IPTV_PUBLIC_URL="http://127.0.0.1:$PORT" IPTV_HLS_DIR="$WORK/hls" \
    IPTV_SEGMENT_LOG_PORT="$(free_port)" IPTV_NODE_NAME=bench IPTV_PG_URL= \
    java ${BENCH_JAVA_OPTS:--XX:+UseG1GC -Xms1g -Xmx2g} -jar "$WORK/iptv.jar" run >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/health" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$WORK/server.log" >&2; die "the server did not start"; }
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/health" || { tail -n 30 "$WORK/server.log" >&2; die "the server did not answer"; }

curl -fsS -o /dev/null -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"token\":\"$TOKEN\",\"expires_at\":\"2099-12-07T21:50:51.244826Z\",\"max_connections\":8,\"is_active\":true}" \
  "http://127.0.0.1:$PORT/api/users" || die "could not create the bench user"

OURS="http://127.0.0.1:$PORT/playlist/$TOKEN.m3u8"
mkdir -p "$WORK/www"
chmod 755 "$WORK/www"
curl -fsS -o "$WORK/www/playlist.m3u8" "$OURS" || die "the playlist did not answer"
chmod 644 "$WORK/www/playlist.m3u8"
ENTRIES=$(grep -c '^#EXTINF' "$WORK/www/playlist.m3u8" || true)
BYTES=$(wc -c <"$WORK/www/playlist.m3u8")
[ "$ENTRIES" = "$CHANNELS" ] || die "the playlist has $ENTRIES entries, expected $CHANNELS"
say "playlist: $ENTRIES entries, $BYTES bytes"

# --- 4. nginx with the same bytes as a static file -----------------------------------------------
NPORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  types { audio/x-mpegurl m3u8; }
  server {
    listen 127.0.0.1:$NPORT;
    root $WORK/www;
  }
}
NGINX
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
STATIC="http://127.0.0.1:$NPORT/playlist.m3u8"
for _ in $(seq 1 50); do curl -fsS -o /dev/null "$STATIC" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o "$WORK/static.m3u8" "$STATIC" || { cat "$WORK/nginx/logs/error.log" >&2; die "nginx did not start"; }
curl -fsS -o "$WORK/ours.m3u8" "$OURS"
cmp -s "$WORK/static.m3u8" "$WORK/ours.m3u8" || die "nginx and the server do not serve the same bytes"

# --- 5. wrk --------------------------------------------------------------------------------------
run_wrk() { # name url
  say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency $1"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$2" | tee "$WORK/wrk-$1.txt" >&2
}
rps() { awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$1.txt"; }
p99ms() {
  awk '$1 == "99%" {
    v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
    f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : 1
    printf "%.2f", v * f }' "$WORK/wrk-$1.txt"
}
errors() { awk '/Non-2xx|Socket errors/ {print}' "$WORK/wrk-$1.txt"; }

# Each side first gets a short unrecorded run (JIT compilation, page cache, TCP buffers).
WARMUP=${BENCH_WARMUP:-5s}
say "warming up both sides for $WARMUP each"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$OURS" >/dev/null
run_wrk ours "$OURS"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$STATIC" >/dev/null
run_wrk nginx "$STATIC"

OURS_RPS=$(rps ours); NGINX_RPS=$(rps nginx)
OURS_P99=$(p99ms ours); NGINX_P99=$(p99ms nginx)
RATIO=$(awk -v a="$OURS_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
RPS_OK=$(awk -v r="$RATIO" 'BEGIN { print (r >= 1/3 ? "yes" : "NO") }')
P99_OK=$(awk -v p="$OURS_P99" 'BEGIN { print (p < 100 ? "yes" : "NO") }')

printf '\nPlaylist benchmark: %s channels, %s bytes, wrk -t%s -c%s -d%s, %s CPU cores\n' \
  "$CHANNELS" "$BYTES" "$THREADS" "$CONNECTIONS" "$DURATION" "$(nproc)"
printf '%-28s %12s %12s\n' "" "requests/s" "p99 (ms)"
printf '%-28s %12s %12s\n' "iptv /playlist/T.m3u8" "$OURS_RPS" "$OURS_P99"
printf '%-28s %12s %12s\n' "nginx static file" "$NGINX_RPS" "$NGINX_P99"
printf 'ratio ours/nginx: %s (target >= 0.33: %s); p99 < 100 ms: %s\n' "$RATIO" "$RPS_OK" "$P99_OK"
for n in ours nginx; do
  e=$(errors "$n"); [ -z "$e" ] || printf '%s: %s\n' "$n" "$e"
done
