#!/usr/bin/env bash
# stream-service benchmark, loopback only, bounded, stops everything it starts.
#
#   bench/stream/run.sh [RUNS]        (default RUNS=5; needs ffmpeg, redis-server on 127.0.0.1:6379, wrk, nginx)
#
# 1. Cold start. On the shipped live source (LiveSource: a real FFmpeg encoding testsrc2+sine to
#    H.264/AAC MPEG-TS at real-time pace, 1 s GOP, fanned out over HTTP), for RUNS cold channels:
#      server    time until the all-in-one server (java -jar server/target/iptv.jar run) answers
#                GET /live/stream_{id}.m3u8?token=T with a playlist (includes token check, start
#                on demand, first segment);
#      frame     time until a player (ffmpeg -frames:v 1) decodes the first video frame of a cold
#                channel through the server;
#      floor     plain FFmpeg on the same source with the least probing that still works on it
#                (issue 9): "-probesize 32768 -analyzeduration 0 -i SRC -c copy -f hls
#                -hls_init_time 1 -hls_time 4": time until its playlist exists;
#      own       the server's own FFmpeg command line (read from /proc) run by hand: what the
#                server adds on top of its FFmpeg;
#      seed      the seed 002 copy command line (-probesize 5M -analyzeduration 5M, hls_time 4,
#                append_list+split_by_time, event playlist): time until its first playlist exists.
#    Target: server <= 1.3 x floor.
# 2. Segment delivery under load: wrk on one signed segment URL through the production front (the
#    repo's nginx template, rendered by `bin/iptv nginx-config`: secure_link proof check, sendfile,
#    the buffered segment-log file the monitor follows; and the same with the log over syslog) and
#    through the all-in-one server (Vert.x: proof check + sendfile, one server per core), each
#    against a plain nginx serving the same file without any check. Target: >= 0.8x.
# 3. Live playlist polls (token and session check) through the server, the front and plain nginx,
#    and the all-in-one JVM's resident memory.
#
# Redis database 7 is flushed (the bench's, see TestEnv). Results go to stdout and bench/stream/results.txt.
set -euo pipefail

RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=$ROOT/server/target/iptv.jar
TESTCLASSES=$ROOT/stream-service/target/test-classes
DB=7
WORK=$(mktemp -d /tmp/iptv-bench-stream.XXXXXX)
HLS=$WORK/hls
mkdir -p "$HLS" "$WORK/floor" "$WORK/seed" "$WORK/nginx/logs"
chmod 755 "$WORK" "$HLS"   # nginx workers run unprivileged
PIDS=()
RESULTS=$ROOT/bench/stream/results.txt

say() { echo "bench: $*" >&2; }
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 2
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  redis-cli -n $DB FLUSHDB >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for tool in ffmpeg redis-cli wrk nginx curl python3; do
  command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install ffmpeg redis-tools wrk nginx curl python3)" >&2; exit 2; }
done
redis-cli ping >/dev/null || { echo "bench: no Redis on 127.0.0.1:6379" >&2; exit 2; }
if [ ! -f "$JAR" ] || [ ! -d "$TESTCLASSES/dev/iptv/stream/testing" ]; then
  say "building (mvn -o -q install -DskipTests)"
  (cd "$ROOT" && mvn -o -q install -DskipTests)
  (cd "$ROOT" && mvn -o -q -pl stream-service test-compile)
fi
redis-cli -n $DB FLUSHDB >/dev/null

# --- the live source -------------------------------------------------------------------------
java -cp "$JAR:$TESTCLASSES" dev.iptv.stream.testing.LiveSource 0 > "$WORK/source.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^LIVE ' "$WORK/source.log" && break; sleep 0.1; done
SOURCE=$(grep '^LIVE ' "$WORK/source.log" | cut -d' ' -f2)
[ -n "$SOURCE" ] || { cat "$WORK/source.log" >&2; exit 1; }
say "live source $SOURCE"

# --- the all-in-one server -------------------------------------------------------------------
ULOG=$(free_port)   # the monitor's segment-log UDP port
PORT=$(free_port)
ADMIN=bench-admin-token-$(date +%s)-0123456789
env IPTV_ADMIN_TOKEN=$ADMIN IPTV_REDIS_URL=redis://127.0.0.1:6379/$DB IPTV_HTTP_PORT=$PORT \
  IPTV_BIND_HOST=127.0.0.1 IPTV_HLS_DIR=$HLS IPTV_FFMPEG_LOG_DIR=$WORK/ffmpeg-logs IPTV_IDLE_TIMEOUT_S=600 IPTV_NODE_NAME=bench \
  IPTV_SEGMENT_LOG_FILE=$WORK/front/segments.log IPTV_SEGMENT_LOG_PORT=$ULOG IPTV_USER_STARTS_PER_MIN=0 \
  java -jar "$JAR" run > "$WORK/server.log" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
for _ in $(seq 1 300); do [ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/api/health")" != 000 ] && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/api/health")" != 000 ] || { tail -50 "$WORK/server.log" >&2; exit 1; }
say "all-in-one server on port $PORT"

TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
redis-cli -n $DB SET "token:$TOKEN" "{\"username\":\"bench\",\"token\":\"$TOKEN\",\"expires_at\":\"2099-01-01T00:00:00Z\",\"max_connections\":1000,\"is_active\":true}" >/dev/null
channel() {
  redis-cli -n $DB SET "channel:$1" "{\"channel_id\":\"$1\",\"name\":\"Bench $1\",\"source_url\":\"$SOURCE\",\"quality\":\"medium\",\"is_active\":true}" >/dev/null
  redis-cli -n $DB SADD channels:all "$1" >/dev/null
}

# Time (ms) until $1 exists, for a command started now in the background; kills it afterwards.
time_to_file() {
  local file=$1; shift
  local t0 t1
  t0=$(now_ms)
  "$@" > /dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 3000); do [ -f "$file" ] && break; sleep 0.01; done
  t1=$(now_ms)
  kill "$pid" 2>/dev/null; sleep 0.3; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  echo $((t1 - t0))
}

# Warm-up: one cold start not counted (JIT, connections).
channel 900
curl -fs -o /dev/null "http://127.0.0.1:$PORT/live/stream_900.m3u8?token=$TOKEN" || { tail -50 "$WORK/server.log" >&2; exit 1; }

declare -a S F FL OWN SD
for i in $(seq 1 "$RUNS"); do
  id=$((1000 + i)); fid=$((2000 + i))
  channel $id; channel $fid
  # server: cold playlist
  t=$(curl -fs -o /dev/null -w '%{time_total}' "http://127.0.0.1:$PORT/live/stream_$id.m3u8?token=$TOKEN")
  S+=($(python3 -c "print(round($t*1000))"))
  # own: the server's own FFmpeg command line, run by hand into another folder
  pid=$(redis-cli -n $DB GET "stream:$id:pid")
  mapfile -d '' ARGS < "/proc/$pid/cmdline"
  for k in "${!ARGS[@]}"; do ARGS[$k]=${ARGS[$k]//$HLS/$WORK/floor}; done
  rm -f "$WORK"/floor/*
  OWN+=($(time_to_file "$WORK/floor/stream_$id.m3u8" "${ARGS[@]}"))
  rm -f "$WORK"/floor/*
  # floor: plain FFmpeg with the least probing that works on this source (issue 9's baseline)
  FL+=($(time_to_file "$WORK/floor/floor_$id.m3u8" ffmpeg -nostdin -v error -probesize 32768 -analyzeduration 0 \
    -i "$SOURCE" -c copy -f hls -hls_init_time 1 -hls_time 4 "$WORK/floor/floor_$id.m3u8"))
  rm -f "$WORK"/floor/*
  # seed 002 copy command line
  rm -f "$WORK"/seed/*
  SD+=($(time_to_file "$WORK/seed/stream_$id.m3u8" ffmpeg -reconnect 1 -reconnect_streamed 1 -reconnect_delay_max 5 \
    -rw_timeout 15000000 -probesize 5M -analyzeduration 5M -i "$SOURCE" -c copy -bufsize 4096k \
    -max_muxing_queue_size 1024 -f hls -hls_time 4 -hls_list_size 6 \
    -hls_flags delete_segments+append_list+split_by_time -hls_playlist_type event \
    -hls_segment_filename "$WORK/seed/stream_${id}_%03d.ts" "$WORK/seed/stream_$id.m3u8"))
  rm -f "$WORK"/seed/*
  # first decoded frame through the server, on another cold channel
  t0=$(now_ms)
  ffmpeg -nostdin -v error -i "http://127.0.0.1:$PORT/live/stream_$fid.m3u8?token=$TOKEN" -frames:v 1 -f null - >/dev/null 2>&1 || true
  F+=($(( $(now_ms) - t0 )))
  curl -fs -o /dev/null -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"channel_id\":\"$id\"}" "http://127.0.0.1:$PORT/api/stream/stop" || true
  curl -fs -o /dev/null -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"channel_id\":\"$fid\"}" "http://127.0.0.1:$PORT/api/stream/stop" || true
  say "run $i: server ${S[-1]} ms, first frame ${F[-1]} ms, floor ${FL[-1]} ms, own command ${OWN[-1]} ms, seed ${SD[-1]} ms"
done

stats() { python3 -c "import statistics,sys; v=[int(x) for x in sys.argv[1:]]; print(f'median {statistics.median(v):.0f} ms (min {min(v)}, max {max(v)})')" "$@"; }
median() { python3 -c "import statistics,sys; print(statistics.median([int(x) for x in sys.argv[1:]]))" "$@"; }

# --- segment delivery under load -------------------------------------------------------------
# A segment of the running warm-up channel 900 copied under a name its FFmpeg never uses or
# deletes (its numbers come from the clock), served by both fronts from the same folder. (A file of
# a channel nobody runs would be removed by stream-service's sweep as a leftover.)
seg=$(ls "$HLS"/stream_900_*.ts | head -1)
cp "$seg" "$HLS/stream_900_1.ts"
SIZE=$(stat -c %s "$HLS/stream_900_1.ts")
PROOF=$(curl -fs "http://127.0.0.1:$PORT/live/stream_900.m3u8?token=$TOKEN" | grep -m1 '\.ts?' | sed 's/^[^?]*?//')
SIGNED="http://127.0.0.1:$PORT/live/stream_900_1.ts?$PROOF"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$SIGNED")" = 200 ] || { echo "bench: signed segment not served" >&2; exit 1; }
NPORT=$(free_port)
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  types { video/mp2t ts; }
  sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 100000;
  access_log off;
  client_body_temp_path $WORK/nginx/cb; proxy_temp_path $WORK/nginx/px; fastcgi_temp_path $WORK/nginx/fc;
  uwsgi_temp_path $WORK/nginx/uw; scgi_temp_path $WORK/nginx/sc;
  server { listen 127.0.0.1:$NPORT; location /live/ { alias $HLS/; } }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
sleep 0.5
PLAIN="http://127.0.0.1:$NPORT/live/stream_900_1.ts"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$PLAIN")" = 200 ] || { echo "bench: nginx does not serve the segment" >&2; exit 1; }

# The production front: the repo's template, every upstream the all-in-one server. Its segment log
# is the default buffered file, followed by the server's monitor; a second front logs over syslog.
front() {   # front NAME PORT [IPTV_SEGMENT_LOG]
  mkdir -p "$WORK/$1"
  env IPTV_ADMIN_TOKEN=$ADMIN IPTV_HLS_DIR=$HLS IPTV_NGINX_LISTEN=127.0.0.1:$2 IPTV_AUTH_PORT=$PORT \
    IPTV_PLAYLIST_PORT=$PORT IPTV_STREAM_PORT=$PORT IPTV_MONITOR_PORT=$PORT IPTV_SEGMENT_LOG="${3:-}" \
    "$ROOT/bin/iptv" nginx-config "$WORK/$1" > "$WORK/$1/nginx.conf"
  nginx -p "$WORK/$1" -c "$WORK/$1/nginx.conf" -g 'daemon off;' &
  PIDS+=($!)
}
FPORT=$(free_port)
SPORT=$(free_port)
front front "$FPORT"
front front-syslog "$SPORT" "syslog:server=127.0.0.1:$ULOG,tag=iptv,nohostname"
sleep 0.5
FRONT="http://127.0.0.1:$FPORT/live/stream_900_1.ts?$PROOF"
FRONT_SYSLOG="http://127.0.0.1:$SPORT/live/stream_900_1.ts?$PROOF"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$FRONT")" = 200 ] || { echo "bench: the nginx front does not serve the signed segment" >&2; cat "$WORK/front/error.log" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FPORT/live/stream_900_1.ts")" = 403 ] || { echo "bench: the nginx front serves a segment without its proof" >&2; exit 1; }

WRK_ARGS=(-t2 -c64 -d5s --latency)
ROUNDS=3
say "wrk ${WRK_ARGS[*]} on a $SIZE-byte segment, $ROUNDS interleaved rounds (this machine is noisy)"
for r in $(seq 1 $ROUNDS); do
  wrk "${WRK_ARGS[@]}" "$FRONT" > "$WORK/wrk-front.$r.txt" 2>&1
  wrk "${WRK_ARGS[@]}" "$FRONT_SYSLOG" > "$WORK/wrk-syslog.$r.txt" 2>&1
  wrk "${WRK_ARGS[@]}" "$SIGNED" > "$WORK/wrk-server.$r.txt" 2>&1
  wrk "${WRK_ARGS[@]}" "$PLAIN" > "$WORK/wrk-nginx.$r.txt" 2>&1
done
# The round with the median req/s of each target stands for it.
pick() {
  local best
  best=$(for f in "$WORK"/wrk-$1.*.txt; do echo "$(awk '/Requests\/sec/ {print $2}' "$f") $f"; done | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p" | cut -d' ' -f2)
  cp "$best" "$WORK/wrk-$1.txt"
}
pick front; pick syslog; pick server; pick nginx

# --- live playlist polls: what the token and session check costs ------------------------------
# The warm channel 900's live playlist: through the all-in-one server (token + session check in
# auth-service, file read, segment URIs signed), through the nginx front (auth_request to the JVM,
# file from disk, sub_filter), and the same file from plain nginx without any check.
LIVE="/live/stream_900.m3u8?token=$TOKEN"
POLL_ARGS=(-t2 -c8 -d5s --latency -H "User-Agent: bench-player")
say "wrk ${POLL_ARGS[*]} on the live playlist"
wrk "${POLL_ARGS[@]}" "http://127.0.0.1:$PORT$LIVE" > "$WORK/poll-server.txt" 2>&1
wrk "${POLL_ARGS[@]}" "http://127.0.0.1:$FPORT$LIVE" > "$WORK/poll-front.txt" 2>&1
wrk "${POLL_ARGS[@]}" "http://127.0.0.1:$NPORT/live/stream_900.m3u8" > "$WORK/poll-nginx.txt" 2>&1
RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
wrkline() { awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {e=$NF} END {printf "%s req/s, %s/s, p50 %s, p99 %s, non-2xx %s", r, t, p50, p99, (e==""?0:e)}' "$1"; }

{
  echo "stream-service benchmark $(date -u +%FT%TZ) on $(nproc) cores, $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
  echo "cold start, $RUNS runs, live source 640x360 H.264/AAC 25 fps 1 s GOP, IPTV_HLS_TIME_S=4 (first segments 1 s):"
  echo "  server: playlist answered      $(stats "${S[@]}")"
  echo "  server: first frame decoded    $(stats "${F[@]}")"
  echo "  floor:  plain FFmpeg, least probe $(stats "${FL[@]}")"
  echo "  own:    server's command by hand $(stats "${OWN[@]}")"
  echo "  seed 002 copy command          $(stats "${SD[@]}")"
  echo "  server/floor (medians) = $(python3 -c "print(round($(median "${S[@]}")/$(median "${FL[@]}"),2))")  (target <= 1.3)"
  echo "segment delivery, wrk ${WRK_ARGS[*]}, $SIZE-byte segment, median of $ROUNDS interleaved rounds:"
  echo "  nginx front (secure_link, file log): $(wrkline "$WORK/wrk-front.txt")"
  echo "  nginx front, segment log over syslog: $(wrkline "$WORK/wrk-syslog.txt")"
  echo "  all-in-one server (proof + sendfile): $(wrkline "$WORK/wrk-server.txt")"
  echo "  plain nginx (no check):               $(wrkline "$WORK/wrk-nginx.txt")"
  echo "  front/plain = $(python3 -c "print(round($(rps "$WORK/wrk-front.txt")/$(rps "$WORK/wrk-nginx.txt"),2))"), all-in-one/plain = $(python3 -c "print(round($(rps "$WORK/wrk-server.txt")/$(rps "$WORK/wrk-nginx.txt"),2))")  (target >= 0.8)"
  echo "live playlist polls, wrk ${POLL_ARGS[*]:0:5}:"
  echo "  all-in-one server (check + sign):     $(wrkline "$WORK/poll-server.txt")"
  echo "  nginx front (auth_request to JVM):    $(wrkline "$WORK/poll-front.txt")"
  echo "  plain nginx (same file, no check):    $(wrkline "$WORK/poll-nginx.txt")"
  echo "all-in-one JVM resident memory after the run (one stream, defaults): $((RSS_KB / 1024)) MB"
} | tee "$RESULTS"
