#!/usr/bin/env bash
# 1,000 viewers on distinct addresses: loopback only, bounded, stops everything it starts.
#
#   bench/viewers/run.sh [FRONTS] [PLAYERS] [SECONDS]
#     FRONTS   all-in-one | front | both (default both; front is bin/iptv cluster: four JVMs behind nginx)
#     PLAYERS  default 1000       SECONDS  default 60
#   (needs java, ffmpeg, nginx, curl, python3 and redis-server on 127.0.0.1:6379)
#
# The shipped live source (LiveSource: a real FFmpeg encoding H.264/AAC at real-time pace) feeds 20
# channels. PLAYERS/4 accounts with max_connections 4 are synced through the panel API; player i
# (client address 127.0.(1 + i/250).(1 + i%250), all of 127/8 being loopback) is the (i%4)-th
# device of account i/4 and watches channel 1 + i%20. Every player polls its live playlist every
# half target duration and fetches every new segment with the proof the playlist carries, a joining
# player every segment its first playlist lists (BENCH_JOIN_SEGMENTS=3 starts it 3 segments from the
# live edge, as hls.js does) (bench/viewers/Viewers.java). The channels are
# started once before the clock runs.
#
# Prints per front: polls, poll latency p50/p99, segments, refusals, errors and stalls (no new
# segment for 3 target durations), against the targets: no refusal, no error, no stall, p99 < 500 ms.
# Redis database 10 is flushed (the bench's; see TestEnv).
set -euo pipefail

FRONTS=${1:-both}
PLAYERS=${2:-1000}
SECONDS_=${3:-60}
CHANNELS=20
PER_ACCOUNT=4
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=$ROOT/server/target/iptv.jar
TESTCLASSES=$ROOT/stream-service/target/test-classes
DB=10
WORK=$(mktemp -d /tmp/iptv-bench-viewers.XXXXXX)
chmod 755 "$WORK"
PIDS=()
ADMIN=bench-admin-token-$(date +%s)-0123456789

say() { echo "bench: $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  redis-cli -n $DB FLUSHDB >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for tool in java ffmpeg nginx curl python3 redis-cli; do
  command -v $tool >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done
redis-cli ping >/dev/null || { echo "bench: no Redis on 127.0.0.1:6379" >&2; exit 2; }
if [ ! -f "$JAR" ] || [ ! -d "$TESTCLASSES/dev/iptv/stream/testing" ]; then
  say "building (mvn -o -q install -DskipTests)"
  (cd "$ROOT" && mvn -o -q install -DskipTests && mvn -o -q -pl stream-service test-compile)
fi
ulimit -n 65536 2>/dev/null || true

java -cp "$JAR:$TESTCLASSES" dev.iptv.stream.testing.LiveSource 0 > "$WORK/source.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^LIVE ' "$WORK/source.log" && break; sleep 0.1; done
SOURCE=$(grep '^LIVE ' "$WORK/source.log" | cut -d' ' -f2)
[ -n "$SOURCE" ] || { cat "$WORK/source.log" >&2; exit 1; }
say "live source $SOURCE"

api() {   # api METHOD PATH JSON
  curl -fs -o /dev/null -X "$1" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "$3" "http://127.0.0.1:$PORT$2"
}

# Starts one front on $PORT; its processes join PIDS.
start_front() {
  local kind=$1 state=$WORK/$1
  mkdir -p "$state/hls"
  chmod 755 "$state" "$state/hls"
  redis-cli -n $DB FLUSHDB >/dev/null
  local -a env=(IPTV_ADMIN_TOKEN=$ADMIN IPTV_REDIS_URL=redis://127.0.0.1:6379/$DB IPTV_HTTP_PORT=$PORT
    IPTV_BIND_HOST=127.0.0.1 IPTV_HLS_DIR=$state/hls IPTV_STATE_DIR=$state IPTV_NO_BUILD=1
    IPTV_IDLE_TIMEOUT_S=600 IPTV_NODE_NAME=bench IPTV_SEGMENT_LOG_PORT=0 IPTV_PASSWORD_HASH_ITERATIONS=1000
    IPTV_USER_STARTS_PER_MIN=1000 IPTV_MAX_STREAMS=100)
  if [ "$kind" = all-in-one ]; then
    env "${env[@]}" "$ROOT/bin/iptv" run > "$state/out.log" 2>&1 &
  else
    env "${env[@]}" IPTV_NGINX_LISTEN=127.0.0.1:$PORT IPTV_AUTH_PORT=$(free_port) IPTV_PLAYLIST_PORT=$(free_port) \
      IPTV_STREAM_PORT=$(free_port) IPTV_MONITOR_PORT=$(free_port) IPTV_CLUSTER_PORT=$(free_port) \
      IPTV_CLUSTER_NAME=bench-$$ "$ROOT/bin/iptv" cluster > "$state/out.log" 2>&1 &
  fi
  PIDS+=($!)
  for _ in $(seq 1 900); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")" = 200 ] && return 0
    sleep 0.2
  done
  tail -40 "$state/out.log" >&2
  return 1
}

stop_front() {
  local pid=${PIDS[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PIDS[-1]'
}

run_front() {
  local kind=$1 tokens=$WORK/$1.tokens
  PORT=$(free_port)
  say "$kind: starting on port $PORT"
  start_front "$kind" || { say "$kind did not start"; return 1; }
  for c in $(seq 1 $CHANNELS); do
    api POST /api/channels "{\"channel_id\":\"$c\",\"name\":\"Bench $c\",\"source_url\":\"$SOURCE\",\"order\":$c,\"category_order\":1,\"is_active\":true}"
  done
  : > "$tokens"
  local accounts=$(( (PLAYERS + PER_ACCOUNT - 1) / PER_ACCOUNT )) a t
  for a in $(seq 0 $((accounts - 1))); do
    t=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    api POST /api/users "{\"username\":\"bench$a\",\"token\":\"$t\",\"expires_at\":\"2099-01-01T00:00:00Z\",\"max_connections\":$PER_ACCOUNT,\"is_active\":true}"
    echo "$t" >> "$tokens"
  done
  # The channels start once, outside the measurement (a warm-up account of its own).
  t=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  api POST /api/users "{\"username\":\"warmup\",\"token\":\"$t\",\"expires_at\":\"2099-01-01T00:00:00Z\",\"max_connections\":1,\"is_active\":true}"
  for c in $(seq 1 $CHANNELS); do
    curl -fs -o /dev/null --max-time 30 "http://127.0.0.1:$PORT/live/stream_$c.m3u8?token=$t" || say "channel $c did not start"
  done
  say "$kind: $accounts accounts, $CHANNELS channels running; $PLAYERS players for $SECONDS_ s"
  java -Xmx1g -cp "$JAR" "$ROOT/bench/viewers/Viewers.java" "$PORT" "$tokens" "$PLAYERS" "$SECONDS_" "$CHANNELS" "$PER_ACCOUNT" \
    | tee "$WORK/$kind.result"
  stop_front
}

case $FRONTS in
  all-in-one|front) run_front "$FRONTS" ;;
  both) run_front all-in-one; run_front front ;;
  *) echo "usage: bench/viewers/run.sh [all-in-one|front|both] [PLAYERS] [SECONDS]" >&2; exit 2 ;;
esac

echo "viewers benchmark $(date -u +%FT%TZ) on $(nproc) cores: $PLAYERS players on distinct addresses, $((PLAYERS / PER_ACCOUNT)) accounts of $PER_ACCOUNT connections, $CHANNELS channels, $SECONDS_ s"
for f in "$WORK"/*.result; do
  kind=$(basename "$f" .result)
  line=$(grep '^RESULT' "$f" || echo "RESULT missing")
  verdict=$(python3 - "$line" <<'PY'
import sys
kv = dict(p.split('=') for p in sys.argv[1].split()[1:] if '=' in p)
ok = kv and kv['refusals'] == '0' and kv['errors'] == '0' and kv['stalls'] == '0' and float(kv['p99_ms']) < 500
print('meets the targets' if ok else 'MISSES the targets (0 refusals, 0 errors, 0 stalls, p99 < 500 ms)')
PY
)
  echo "  $kind: $(grep -v '^RESULT' "$f" | tail -1)"
  echo "  $kind: $verdict"
done
