#!/usr/bin/env bash
# Every figure of the project's speed and memory targets, each against its baseline measured in the
# same run, on loopback, bounded; stops everything it starts.
#
#   bench/run.sh [ROUNDS]      (default 3 interleaved rounds; needs java, ffmpeg, nginx, wrk, curl,
#                               python3, redis-server on 127.0.0.1:6379; about 12 minutes)
#   BENCH_ROWS="2 6" bench/run.sh 1
#                              only the rows named (numbers below, space or comma separated); row 6
#                              plays the all-in-one players of row 2 first (its memory is taken after
#                              them), so it prints row 2's all-in-one line too. A partial run prints
#                              its table but leaves bench/results.txt alone.
#   BENCH_FRONTS=all-in-one    skip the nginx front (rows 1, 2 and 5 then print their all-in-one line only);
#   BENCH_FRONTS=front         skip the all-in-one server (rows 1, 2 and 5 of the nginx front only)
#   BENCH_VIEWERS_HOOK='cmd'   run in the background as each front's players start, with KIND, SERVER_PID
#                              (the JVM, or bin/iptv cluster's shell) and PORT set (CPU use, profiles)
#   IPTV_JAVA_OPTS=...          other JVM options for the servers (as bin/iptv reads them);
#   BENCH_ROW6_HOOK='cmd'      run once row 6 has read the memory, with SERVER_PID set (for example
#                              jcmd $SERVER_PID VM.native_memory summary, with -XX:NativeMemoryTracking=summary
#                              among the options)
#
# One data set for the whole run, seeded into Redis database 10 (flushed before and after): 100,000
# users and 25,000 channels, as a big operator's panel syncs them; 20 of the channels (ids 1-20) and
# the cold-start channels play the shipped live source (LiveSource: FFmpeg encoding H.264/AAC at
# real-time pace), the rest point at sources that are never started.
#
# Rows (the harder reading where the wording leaves room: both fronts must meet the poll and viewer
# targets, medians of interleaved rounds):
#   1. live playlist poll (token + session check), wrk 8 connections, all-in-one and nginx front
#      (each after one unmeasured 8 s wrk run that warms the JIT),
#      against plain nginx serving the same playlist file: >= 0.3x, p99 < 20 ms
#   2. 1,000 players on distinct addresses (250 accounts of 4 connections, 20 channels, 60 s), both
#      fronts: 0 errors, 0 stalls, poll p99 < 500 ms                      (bench/viewers/Viewers.java)
#   3. cold channel, time to first playlist, against the floor: plain FFmpeg on the same source,
#      "-probesize 32768 -analyzeduration 0 -i SRC -c copy -f hls -hls_init_time 1 -hls_time 4",
#      time until its playlist lists a segment: <= 1.3x
#   4. the 25,000-channel playlist, wrk 8 connections, against nginx serving the same bytes: p99 < 100 ms, >= 0.77x
#   5. all-in-one segment delivery (proof check + sendfile), wrk 64 connections, against plain nginx: >= 0.8x
#      (the all-in-one after one unmeasured 8 s wrk run that warms the JIT, as in row 1)
#   6. all-in-one JVM resident memory (bin/iptv's JVM options), 25,000 channels + 100,000 users, after the
#      1,000 players and a paged listing of every user: <= 300 MB
# The table goes to stdout and to bench/results.txt.
set -euo pipefail

ROUNDS=${1:-3}
COLD_ROUNDS=${BENCH_COLD_ROUNDS:-11}   # cold starts vary with where the source's key-frame cycle is at connect
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR=$ROOT/server/target/iptv.jar
TESTCLASSES=$ROOT/stream-service/target/test-classes
DB=10
USERS=100000
CHANNELS=25000
PLAYERS=${BENCH_PLAYERS:-1000}
VIEW_S=${BENCH_VIEW_S:-60}
JAVA_OPTS_BIN=$("$ROOT/bin/iptv" java-opts)   # the JVM options bin/iptv runs the server with
WORK=$(mktemp -d /tmp/iptv-bench.XXXXXX)
chmod 755 "$WORK"
PIDS=()
ADMIN=bench-admin-token-$(date +%s)-0123456789
RESULTS=$ROOT/bench/results.txt
LIST_BYTES=0
ROWS=" ${BENCH_ROWS:-1 2 3 4 5 6} "
ROWS=${ROWS//,/ }
want() { [[ "$ROWS" == *" $1 "* ]]; }
[ "$ROWS" = " 1 2 3 4 5 6 " ] || RESULTS=/dev/null

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
redis() { redis-cli -n $DB "$@"; }
median() { python3 -c "import statistics,sys; print(statistics.median([float(x) for x in sys.argv[1:]]))" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }

cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  redis FLUSHDB >/dev/null 2>&1
  if [ "${BENCH_KEEP:-}" = 1 ]; then say "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in java ffmpeg nginx wrk curl python3 redis-cli; do
  command -v $tool >/dev/null || die "$tool is missing"
done
[ "$(redis PING)" = PONG ] || die "no Redis on 127.0.0.1:6379"
if [ ! -f "$JAR" ] || [ ! -d "$TESTCLASSES/dev/iptv/stream/testing" ] || [ -n "$(find "$ROOT" -path '*/src/main/*' -newer "$JAR" -print -quit)" ]; then
  say "building (mvn -q -B -o -pl server -am package -DskipTests: nothing installed)"
  (cd "$ROOT" && mvn -q -B -o -pl server -am package -DskipTests) || die "build failed"
fi
ulimit -n 65536 2>/dev/null || true
redis FLUSHDB >/dev/null

# --- the live source and the data ----------------------------------------------------------------
java -cp "$JAR:$TESTCLASSES" dev.iptv.stream.testing.LiveSource 0 > "$WORK/source.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q '^LIVE ' "$WORK/source.log" && break; sleep 0.1; done
SOURCE=$(grep '^LIVE ' "$WORK/source.log" | cut -d' ' -f2)
[ -n "$SOURCE" ] || { cat "$WORK/source.log" >&2; die "the live source did not start"; }
say "live source $SOURCE; seeding $USERS users and $CHANNELS channels"
python3 - "$SOURCE" "$USERS" "$CHANNELS" "$WORK" <<'PY' | redis --pipe > "$WORK/seed.log"
import sys, os, json, random
source, users, channels, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
random.seed(9)
out = sys.stdout.buffer
def cmd(*args):
    b = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode()
        b.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(b))
tokens = open(os.path.join(work, "tokens"), "w")
for i in range(users):
    name = "sub%06d" % i
    token = "%064x" % random.getrandbits(256)
    maxc = 4 if i < 260 else 2
    user = {"username": name, "token": token, "email": name + "@example.com",
            "expires_at": "2099-12-31T00:00:00Z", "max_connections": maxc, "is_active": True}
    cmd("SET", "user:" + name, json.dumps(user))
    cmd("SADD", "users:all", name)
    rec = dict(user)
    cmd("SET", "token:" + token, json.dumps(rec))
    tokens.write(token + "\n")
for i in range(1, channels + 1):
    live = i <= 20 or i >= 24880
    ch = {"channel_id": str(i), "name": "Channel %d HD" % i,
          "source_url": source if live else "http://upstream.example.com/live/%d.ts" % i,
          "logo": "http://logos.example.com/%d.png" % i, "category": "Category %d" % ((i - 1) // 250 + 1),
          "quality": "medium", "order": i, "category_order": (i - 1) // 250 + 1, "is_active": True}
    cmd("SET", "channel:%d" % i, json.dumps(ch))
    cmd("SADD", "channels:all", str(i))
PY
[ "$(redis SCARD users:all)" = "$USERS" ] || die "seeding failed: $(tail -3 "$WORK/seed.log")"
# Accounts 0-249: the viewers (4 connections each); 250-259: the benches' own players.
head -n 250 "$WORK/tokens" > "$WORK/viewer.tokens"
POLL_TOKEN=$(sed -n 251p "$WORK/tokens")
LIST_TOKEN=$(sed -n 252p "$WORK/tokens")
COLD_TOKEN=$(sed -n 253p "$WORK/tokens")
# Channel 900: the polls' and segments' own channel (rows 1 and 5), on the live source too.
redis SET channel:900 "{\"channel_id\":\"900\",\"name\":\"Poll\",\"source_url\":\"$SOURCE\",\"is_active\":true}" >/dev/null
LIVE="/live/stream_900.m3u8?token=$POLL_TOKEN"

# --- fronts --------------------------------------------------------------------------------------
SERVER_PID=""
start_front() {   # start_front all-in-one|front
  local kind=$1 state=$WORK/$1
  mkdir -p "$state/hls"
  chmod 755 "$state"
  PORT=$(free_port)
  local -a env=(IPTV_ADMIN_TOKEN=$ADMIN IPTV_REDIS_URL=redis://127.0.0.1:6379/$DB IPTV_HTTP_PORT=$PORT
    IPTV_BIND_HOST=127.0.0.1 IPTV_HLS_DIR=$state/hls IPTV_STATE_DIR=$state IPTV_NO_BUILD=1
    IPTV_IDLE_TIMEOUT_S=900 IPTV_NODE_NAME=bench IPTV_SEGMENT_LOG_PORT=0 IPTV_PG_URL=
    IPTV_USER_STARTS_PER_MIN=0 IPTV_MAX_STREAMS=200 IPTV_FFMPEG_LOG_DIR=$state/ffmpeg-logs)
  if [ "$kind" = all-in-one ]; then
    # The JVM itself (not bin/iptv's shell), with bin/iptv's JVM options: its memory is row 6.
    # shellcheck disable=SC2086
    env "${env[@]}" java $JAVA_OPTS_BIN -jar "$JAR" run > "$state/out.log" 2>&1 &
    SERVER_PID=$!
  else
    env "${env[@]}" IPTV_NGINX_LISTEN=127.0.0.1:$PORT IPTV_AUTH_PORT=$(free_port) IPTV_PLAYLIST_PORT=$(free_port) \
      IPTV_STREAM_PORT=$(free_port) IPTV_MONITOR_PORT=$(free_port) IPTV_CLUSTER_PORT=$(free_port) \
      IPTV_CLUSTER_NAME=bench-$$ "$ROOT/bin/iptv" cluster > "$state/out.log" 2>&1 &
    SERVER_PID=$!
  fi
  PIDS+=($SERVER_PID)
  for _ in $(seq 1 900); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/health")" = 200 ] && { HLS=$state/hls; return 0; }
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  tail -40 "$state/out.log" >&2
  die "$kind did not start"
}
stop_front() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# Plain nginx serving $HLS at /live/ (the baseline of rows 1, 4 and 5), on $NPORT.
start_plain_nginx() {
  NPORT=$(free_port)
  mkdir -p "$WORK/plain/logs"
  cat > "$WORK/plain/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/plain/nginx.pid;
error_log $WORK/plain/logs/error.log warn;
events { worker_connections 4096; }
http {
  types { video/mp2t ts; application/vnd.apple.mpegurl m3u8; audio/x-mpegurl m3u; }
  sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 100000;
  access_log off;
  client_body_temp_path $WORK/plain/cb; proxy_temp_path $WORK/plain/px; fastcgi_temp_path $WORK/plain/fc;
  uwsgi_temp_path $WORK/plain/uw; scgi_temp_path $WORK/plain/sc;
  server { listen 127.0.0.1:$NPORT; location /live/ { alias $HLS/; } location /static/ { alias $WORK/static/; } }
}
EOF
  nginx -p "$WORK/plain" -c "$WORK/plain/nginx.conf" -g 'daemon off;' &
  PIDS+=($!)
  NGINX_PID=$!
  sleep 0.5
}
stop_plain_nginx() { kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; }

# wrk summary: "req/s p50_ms p99_ms non2xx"
wrk_run() {
  local out=$1; shift
  wrk "$@" > "$out" 2>&1 || true
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       /Requests\/sec/ {r=$2} /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)} /Non-2xx/ {e=$NF}
       END {printf "%s %.2f %.2f %d\n", r, p50, p99, (e==""?0:e)}' "$out"
}
# Interleaved rounds of wrk on two URLs; sets A_RPS A_P99 A_ERR B_RPS B_P99 (medians).
versus() {   # versus NAME ARGS_A... -- URL_A URL_B
  local name=$1 a=$2 b=$3; shift 3
  local ra=() pa=() ea=() rb=() pb=()
  for r in $(seq 1 "$ROUNDS"); do
    read -r x _ y z < <(wrk_run "$WORK/wrk-$name-a.$r" "$@" "$a"); ra+=("$x"); pa+=("$y"); ea+=("$z")
    read -r x _ y _ < <(wrk_run "$WORK/wrk-$name-b.$r" "$@" "$b"); rb+=("$x"); pb+=("$y")
  done
  A_RPS=$(median "${ra[@]}"); A_P99=$(median "${pa[@]}"); A_ERR=$(median "${ea[@]}")
  B_RPS=$(median "${rb[@]}"); B_P99=$(median "${pb[@]}")
}

poll_warmup() {   # one unmeasured poll run: the JIT's warm-up before row 1 (nginx needs none)
  wrk -t2 -c8 -d8s -H "User-Agent: bench-poll" "http://127.0.0.1:$PORT$LIVE" > /dev/null 2>&1 || true
}
warm() {   # warm CHANNEL TOKEN: plays the channel once (cold start outside any measurement)
  curl -fs -o /dev/null --max-time 30 -A bench-warmup "http://127.0.0.1:$PORT/live/stream_$1.m3u8?token=$2" || say "channel $1 did not start"
}

declare -A ROW

viewers() {   # viewers KIND
  [ -z "${BENCH_VIEWERS_HOOK:-}" ] || { KIND=$1 SERVER_PID=$SERVER_PID PORT=$PORT bash -c "$BENCH_VIEWERS_HOOK" >&2 & }
  java -Xmx1g -cp "$JAR" "$ROOT/bench/viewers/Viewers.java" "$PORT" "$WORK/viewer.tokens" "$PLAYERS" "$VIEW_S" 20 4 \
    > "$WORK/viewers-$1.txt" 2>&1 || true
  grep -v '^RESULT' "$WORK/viewers-$1.txt" | tail -2 >&2
  grep '^RESULT' "$WORK/viewers-$1.txt" || echo "RESULT missing"
}

# ================================ all-in-one =======================================================
if [ "${BENCH_FRONTS:-both}" != front ]; then
start_front all-in-one
say "all-in-one on port $PORT (pid $SERVER_PID)"
for c in $(seq 1 20) 900; do warm "$c" "$COLD_TOKEN"; done
start_plain_nginx

# Row 3: cold start against the floor, interleaved.
S=(); FL=()
want 3 || COLD_ROUNDS=-1
for r in $(seq 0 "$COLD_ROUNDS"); do
  id=$((24880 + r))
  t=$(curl -fs -o /dev/null -w '%{time_total}' --max-time 30 -A bench-cold "http://127.0.0.1:$PORT/live/stream_$id.m3u8?token=$COLD_TOKEN" || echo 30)
  mkdir -p "$WORK/floor"; rm -f "$WORK"/floor/*
  t0=$(date +%s%3N)
  ffmpeg -nostdin -loglevel error -probesize 32768 -analyzeduration 0 -i "$SOURCE" -c copy -f hls -hls_init_time 1 -hls_time 4 \
    "$WORK/floor/floor.m3u8" > /dev/null 2>&1 &
  fp=$!
  for _ in $(seq 1 3000); do grep -qs '\.ts' "$WORK/floor/floor.m3u8" && break; sleep 0.01; done
  t1=$(date +%s%3N)
  kill "$fp" 2>/dev/null; wait "$fp" 2>/dev/null || true
  curl -fs -o /dev/null -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "{\"channel_id\":\"$id\"}" "http://127.0.0.1:$PORT/api/stream/stop" || true
  if [ "$r" -gt 0 ]; then   # round 0 warms up
    S+=("$(python3 -c "print(round($t*1000))")"); FL+=($((t1 - t0)))
    say "cold start round $r: server ${S[-1]} ms, floor ${FL[-1]} ms"
  fi
done
want 3 && ROW[cold]="$(median "${S[@]}") $(median "${FL[@]}")"

# Row 1: the live playlist poll, after one unmeasured wrk run (the JIT's warm-up; nginx has none).
want 1 && poll_warmup
want 1 && versus poll-aio "http://127.0.0.1:$PORT$LIVE" "http://127.0.0.1:$NPORT/live/stream_900.m3u8" \
  -t2 -c8 -d8s --latency -H "User-Agent: bench-poll"
want 1 && ROW[poll-aio]="$A_RPS $A_P99 $A_ERR $B_RPS $B_P99"

# Row 5: segment delivery (a copy of a live segment under a name FFmpeg never uses).
seg_row() {   # seg_row NAME
  seg=$(ls "$HLS"/stream_900_*.ts | head -1)
  cp "$seg" "$HLS/stream_900_1.ts"
  PROOF=$(curl -fs -A bench-seg "http://127.0.0.1:$PORT$LIVE" | grep -m1 '\.ts?' | sed 's/^[^?]*?//')
  # The JIT's warm-up, as row 1 has: one unmeasured run of the path the JVM serves (nginx needs none).
  if [ "$1" = seg-aio ]; then
    wrk -t2 -c64 -d8s -H "User-Agent: bench-seg" "http://127.0.0.1:$PORT/live/stream_900_1.ts?$PROOF" > /dev/null 2>&1 || true
  fi
  versus "$1" "http://127.0.0.1:$PORT/live/stream_900_1.ts?$PROOF" "http://127.0.0.1:$NPORT/live/stream_900_1.ts" \
    -t2 -c64 -d8s --latency -H "User-Agent: bench-seg"
  ROW[$1]="$A_RPS $A_P99 $A_ERR $B_RPS $B_P99"
}
want 5 && seg_row seg-aio

# Row 4: the 25,000-channel playlist against the same bytes from nginx.
mkdir -p "$WORK/static"
if want 4; then
  curl -fs -A bench-list -o "$WORK/static/list.m3u" "http://127.0.0.1:$PORT/playlist/$LIST_TOKEN.m3u8"
  LIST_BYTES=$(stat -c %s "$WORK/static/list.m3u")
  versus list "http://127.0.0.1:$PORT/playlist/$LIST_TOKEN.m3u8" "http://127.0.0.1:$NPORT/static/list.m3u" \
    -t2 -c8 -d8s --latency -H "User-Agent: bench-list"
  ROW[list]="$A_RPS $A_P99 $A_ERR $B_RPS $B_P99"
fi
stop_plain_nginx

# Row 2 (all-in-one), then row 6: memory after the players and a paged listing of every user.
if want 2 || want 6; then ROW[view-aio]=$(viewers all-in-one); fi
if want 6; then
  for off in $(seq 0 1000 $((USERS - 1))); do
    curl -fs -o /dev/null -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/users?limit=1000&offset=$off" || die "user page $off failed"
  done
  sleep 2
  ROW[rss]=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")
  [ -z "${BENCH_ROW6_HOOK:-}" ] || SERVER_PID=$SERVER_PID bash -c "$BENCH_ROW6_HOOK" >&2 || true
fi
stop_front
fi

# ================================ nginx front (bin/iptv cluster) ==================================
if [ "${BENCH_FRONTS:-both}" != all-in-one ] && { want 1 || want 2 || want 5; }; then
  start_front front
  say "nginx front on port $PORT"
  for c in $(seq 1 20) 900; do warm "$c" "$COLD_TOKEN"; done
  start_plain_nginx
  want 1 && poll_warmup
  want 1 && versus poll-front "http://127.0.0.1:$PORT$LIVE" "http://127.0.0.1:$NPORT/live/stream_900.m3u8" \
    -t2 -c8 -d8s --latency -H "User-Agent: bench-poll"
  want 1 && ROW[poll-front]="$A_RPS $A_P99 $A_ERR $B_RPS $B_P99"
  want 5 && seg_row seg-front
  stop_plain_nginx
  want 2 && ROW[view-front]=$(viewers front)
  stop_front
fi

# ================================ the table =======================================================
python3 - "${ROW[poll-aio]:-}" "${ROW[poll-front]:-}" "${ROW[view-aio]:-}" "${ROW[view-front]:-}" "${ROW[cold]:-}" \
  "${ROW[list]:-}" "${ROW[seg-aio]:-}" "${ROW[seg-front]:-}" "${ROW[rss]:-}" "$ROUNDS" "$LIST_BYTES" "$PLAYERS" "$VIEW_S" <<'PY' | tee "$RESULTS"
import sys, datetime, os
(poll_aio, poll_front, view_aio, view_front, cold, lst, seg_aio, seg_front, rss, rounds, list_bytes,
 players, view_s) = sys.argv[1:14]
def w(s):
    r, p99, err, br, bp99 = (float(x) for x in s.split())
    return r, p99, int(err), br, bp99
def v(s):
    kv = dict(p.split('=') for p in s.split()[1:] if '=' in p)
    return kv
def ok(b): return "meets" if b else "MISSES"
print(f"IPTV suite benchmarks {datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ} on {os.cpu_count()} cores, loopback, "
      f"medians of {rounds} interleaved rounds")
rows = []
for name, s in (("all-in-one", poll_aio), ("nginx front", poll_front)):
    if not s: continue
    r, p99, err, br, bp99 = w(s)
    x = r / br
    rows.append(("live poll (token + session), 8 conns, " + name,
                 f"{r:,.0f} req/s, p99 {p99:.1f} ms, non-2xx {err}", f"plain nginx same file {br:,.0f} req/s",
                 f"{x:.3f}x", ok(x >= 0.3 and p99 < 20 and err == 0) + " >= 0.3x, p99 < 20 ms"))
for name, s in (("all-in-one", view_aio), ("nginx front", view_front)):
    if not s: continue
    kv = v(s)
    if not kv:
        rows.append((f"{players} players, distinct addresses, {name}", "no result", "", "", "MISSES")); continue
    good = kv['errors'] == '0' and kv['refusals'] == '0' and kv['stalls'] == '0' and float(kv['p99_ms']) < 500
    rows.append((f"{players} players, distinct addresses, 20 channels, {view_s} s, {name}",
                 f"poll p50 {kv['p50_ms']} ms, p99 {kv['p99_ms']} ms, {kv['polls']} polls, {kv['segments']} segments",
                 f"refusals {kv['refusals']}, errors {kv['errors']}, stalls {kv['stalls']}", "",
                 ok(good) + " 0 errors, 0 stalls, p99 < 500 ms"))
if cold:
    srv, floor = (float(x) for x in cold.split())
    rows.append(("cold channel, time to first playlist", f"{srv:.0f} ms", f"floor (plain FFmpeg, minimal probe) {floor:.0f} ms",
                 f"{srv / floor:.2f}x", ok(srv / floor <= 1.3) + " <= 1.3x"))
if lst:
    r, p99, err, br, bp99 = w(lst)
    rows.append((f"25,000-channel playlist ({int(list_bytes) / 1e6:.1f} MB), 8 conns", f"{r:,.0f} req/s, p99 {p99:.1f} ms",
             f"nginx static {br:,.0f} req/s", f"{r / br:.2f}x", ok(r / br >= 0.77 and p99 < 100 and err == 0) + " >= 0.77x, p99 < 100 ms"))
for name, s, target in (("all-in-one", seg_aio, 0.8), ("nginx front", seg_front, 0.8)):
    if not s: continue
    r, p99, err, br, bp99 = w(s)
    rows.append((f"segment delivery, 64 conns, {name}", f"{r:,.0f} req/s, non-2xx {err}", f"plain nginx {br:,.0f} req/s",
                 f"{r / br:.2f}x", ok(r / br >= target and err == 0) + f" >= {target}x"))
if rss: rows.append(("all-in-one JVM resident, 25k channels + 100k users, after the players and a paged listing",
             f"{rss} MB", "", "", ok(int(rss) <= 300) + " <= 300 MB"))
for row in rows:
    print(" | ".join(c for c in row if c))
PY
