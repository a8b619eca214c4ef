#!/usr/bin/env bash
# Admin list benchmark: what paging GET /api/users and GET /api/channels costs the all-in-one
# server, with 100,000 users and 25,000 channels. See README.md next to this file.
#
#   bench/lists/run.sh
#
# It seeds the users and channels into one Redis database (as redis-cli would: no index), starts
# the all-in-one server (java -jar iptv.jar run), reads its resident memory (VmRSS), lists every
# user page (limit 1000, the default), reads VmRSS again, then lists every page at the maximum
# limit (10000) and every channel page, and prints the time of each kind of page.
#
# Settings (environment): BENCH_USERS (100000), BENCH_CHANNELS (25000), BENCH_REDIS_PORT (6379),
# BENCH_REDIS_DB (7), BENCH_JAR (run this jar; otherwise server/target/iptv.jar is built with
# 'mvn -q -B -pl server -am package -DskipTests', nothing installed), BENCH_JAVA_OPTS (bin/iptv's
# defaults: G1, 50% of RAM), BENCH_KEEP=1 (keep the work folder). The database must be empty (it
# refuses someone else's data) and is emptied again at the end. Stops everything it starts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
USERS=${BENCH_USERS:-100000}
CHANNELS=${BENCH_CHANNELS:-25000}
REDIS_PORT=${BENCH_REDIS_PORT:-6379}
DB=${BENCH_REDIS_DB:-7}
JAVA_OPTS=${BENCH_JAVA_OPTS:--XX:+UseG1GC -XX:MaxRAMPercentage=50}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for cmd in redis-cli curl java awk; do
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd is missing (apt-get install -y redis-tools curl openjdk-17-jre-headless gawk)"
done

redis() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -n "$DB" "$@"; }
[ "$(redis PING 2>/dev/null)" = PONG ] || die "Redis does not answer on 127.0.0.1:$REDIS_PORT (BENCH_REDIS_PORT)"
[ "$(redis DBSIZE)" = 0 ] || die "Redis database $DB is not empty: set BENCH_REDIS_DB to an empty one"

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free loopback port found"
}

WORK=$(mktemp -d /tmp/iptv-bench-lists.XXXXXX)
SERVER_PID=""
SEEDED=0
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  [ $SEEDED = 1 ] && { redis FLUSHDB >/dev/null 2>&1 || true; }
  if [ "${BENCH_KEEP:-}" = 1 ] || [ $rc != 0 ]; then say "work folder kept: $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the jar -----------------------------------------------------------------------------------
if [ -n "${BENCH_JAR:-}" ]; then
  [ -f "$BENCH_JAR" ] || die "BENCH_JAR=$BENCH_JAR does not exist"
  cp "$BENCH_JAR" "$WORK/iptv.jar"
else
  say "building server/target/iptv.jar"
  (cd "$ROOT" && mvn -q -B -pl server -am package -DskipTests) || die "the build failed"
  cp "$ROOT/server/target/iptv.jar" "$WORK/iptv.jar"
fi

# --- 2. data, written as redis-cli would (the sorted indexes are left to the server to build) -------
say "seeding $USERS users and $CHANNELS channels into Redis database $DB"
SEEDED=1
awk -v users="$USERS" -v channels="$CHANNELS" 'function cmd(a, b, c,   s) {
    s = "*3\r\n$" length(a) "\r\n" a "\r\n$" length(b) "\r\n" b "\r\n$" length(c) "\r\n" c "\r\n"
    printf "%s", s
  }
  BEGIN {
    srand(7)
    for (i = 1; i <= users; i++) {
      name = sprintf("subscriber%06d", (i * 7919) % users)
      token = ""
      for (k = 0; k < 8; k++) token = token sprintf("%08x", int(rand() * 4294967295))
      json = "{\"username\":\"" name "\",\"token\":\"" token "\",\"email\":\"" name "@example.com\",\"expires_at\":\"2027-12-07T21:50:51.244826Z\",\"max_connections\":2,\"is_active\":true,\"password_hash\":\"pbkdf2-sha256$120000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA\"}"
      cmd("SET", "user:" name, json)
      cmd("SADD", "users:all", name)
    }
    for (i = 1; i <= channels; i++) {
      id = 40000 + i
      cat = int((i - 1) / 250) + 1
      json = "{\"channel_id\":\"" id "\",\"name\":\"Channel " id " HD Sports\",\"source_url\":\"http://upstream.example.com:80/live/user/pass/" id ".ts\",\"logo\":\"http://logos.example.com/" id ".png\",\"category\":\"Category " cat "\",\"quality\":\"medium\",\"order\":" i ",\"category_order\":" cat ",\"is_active\":true}"
      cmd("SET", "channel:" id, json)
      cmd("SADD", "channels:all", id)
    }
  }' | redis --pipe >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; die "seeding failed"; }
[ "$(redis SCARD users:all)" = "$USERS" ] || die "seeding left $(redis SCARD users:all) users"
[ "$(redis SCARD channels:all)" = "$CHANNELS" ] || die "seeding left $(redis SCARD channels:all) channels"

# --- 3. the all-in-one server ---------------------------------------------------------------------
PORT=$(free_port)
ADMIN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
say "starting the all-in-one server on 127.0.0.1:$PORT ($JAVA_OPTS)"
mkdir -p "$WORK/hls"
# shellcheck disable=SC2086
env IPTV_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$DB" IPTV_HTTP_PORT="$PORT" IPTV_BIND_HOST=127.0.0.1 \
    IPTV_ADMIN_TOKEN="$ADMIN" IPTV_HLS_DIR="$WORK/hls" IPTV_SEGMENT_LOG_PORT="$(free_port)" \
    IPTV_NODE_NAME=bench IPTV_PG_URL= \
    java $JAVA_OPTS -jar "$WORK/iptv.jar" run >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/health" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$WORK/server.log" >&2; die "the server did not start"; }
  sleep 0.2
done
sleep 3   # let start-up settle before the first reading

rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

# GET one page; prints "seconds bytes items"; fails on anything but 200 and the right item count.
page() {
  local path=$1 field=$2 expect=$3 out="$WORK/page.json" meta
  meta=$(curl -sS -o "$out" -w '%{http_code} %{time_total} %{size_download}' \
    -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT$path") || die "GET $path failed"
  set -- $meta
  [ "$1" = 200 ] || { head -c 300 "$out" >&2; die "GET $path answered $1"; }
  local items
  items=$(grep -o "\"$field\":" "$out" | wc -l)
  [ "$items" = "$expect" ] || die "GET $path held $items items, expected $expect"
  echo "$2 $3"
}

# Lists every page of /api/NAME at LIMIT; prints one summary line.
list_all() {
  local name=$1 field=$2 total=$3 limit=$4 label=$5 offset=0 times="$WORK/times" bytes=0 first="" t b n
  : >"$times"
  while [ "$offset" -lt "$total" ]; do
    n=$(( total - offset < limit ? total - offset : limit ))
    read -r t b < <(page "/api/$name?limit=$limit&offset=$offset" "$field" "$n")
    [ -z "$first" ] && first=$t || echo "$t" >>"$times"
    bytes=$(( bytes + b ))
    offset=$(( offset + limit ))
  done
  sort -n "$times" | awk -v label="$label" -v first="$first" -v bytes="$bytes" '
    { v[NR] = $1; sum += $1 }
    END {
      if (NR == 0) { printf "%-34s    1 page,  %6.1f ms; %.1f MB\n", label, first * 1000, bytes / 1e6; exit }
      mid = int((NR + 1) / 2); p90 = int(NR * 0.9); if (p90 < 1) p90 = 1
      printf "%-34s %4d pages, first %6.1f ms, then median %6.1f ms, p90 %6.1f ms, max %6.1f ms; %.1f MB in %.2f s\n",
        label, NR + 1, first * 1000, v[mid] * 1000, v[p90] * 1000, v[NR] * 1000, bytes / 1e6, sum + first }'
}

BEFORE=$(rss_mb)
say "listing every user page (limit 1000)"
USERS_LINE=$(list_all users username "$USERS" 1000 "users, limit 1000 (default):")
AFTER=$(rss_mb)
say "listing every user page (limit 10000) and every channel page"
MAX_LINE=$(list_all users username "$USERS" 10000 "users, limit 10000 (maximum):")
AFTER_MAX=$(rss_mb)
CHANNELS_LINE=$(list_all channels channel_id "$CHANNELS" 1000 "channels, limit 1000:")
AFTER_ALL=$(rss_mb)

echo
echo "GET /api/users and /api/channels, $USERS users and $CHANNELS channels, all-in-one server ($JAVA_OPTS)"
echo "$USERS_LINE"
echo "$MAX_LINE"
echo "$CHANNELS_LINE"
echo "(each list's first page also rebuilds that list's sorted index from users:all / channels:all, as after a restore)"
printf 'resident memory (VmRSS): %s MB before, %s MB after every user page at 1000, %s MB after every page at 10000, %s MB after the channel pages\n' \
  "$BEFORE" "$AFTER" "$AFTER_MAX" "$AFTER_ALL"
