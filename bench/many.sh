#!/usr/bin/env bash
# Many targets: one nginx listening on N loopback ports (N targets), scanned in one run.
# Prints wall time, connections per target and peak memory (RSS) for tlsaudit and, when
# installed, sslyze (which also takes many targets in one process).
#
#   bench/many.sh          # N=200
#   N=1000 bench/many.sh
#   PEERS=none N=2000 bench/many.sh   # tlsaudit only
#   FULL=1 DEAD=10 N=1000 bench/many.sh   # full default scans, 10 % of the targets dead
#                                          # (half closed ports, half silent listeners)
# Not a test: nothing here asserts a time.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
cargo build --release -q || exit 2
BIN=$PWD/target/release/tlsaudit
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is not installed"; exit 2; }

openssl req -x509 -nodes -days 30 -subj /CN=localhost -newkey rsa:2048 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
python3 - "$N" >"$work/ports" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
listens=$(sed 's/.*/    listen 127.0.0.1:& ssl;/' "$work/ports")
cat >"$work/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; worker_rlimit_nofile $(ulimit -Hn); pid $work/pid; error_log $work/error.log;
events { worker_connections $((N + 4096)); }
http { access_log off; client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server {
$listens
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on;
    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256;
  } }
CONF
# nginx needs a descriptor per listening port beside its connections.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" </dev/null >/dev/null 2>&1 &
pid=$!
sleep 1
# Up to a minute for many listening sockets; a server that did not start is said, not scanned.
for _ in $(seq 600); do
  kill -0 "$pid" 2>/dev/null || { echo "nginx did not start:"; cat "$work/error.log"; exit 2; }
  (exec 3<>"/dev/tcp/127.0.0.1/$(tail -1 "$work/ports")") 2>/dev/null && break
  sleep 0.1
done
sed 's/^/127.0.0.1:/' "$work/ports" >"$work/targets"
DEAD=${DEAD:-0}
if [ "$DEAD" -gt 0 ]; then
  # Dead targets: closed ports (bound, then let go) and silent listeners (a process that
  # listens and never reads: the kernel completes the TCP handshake, then nothing comes).
  ndead=$(( N * DEAD / 100 ))
  python3 - "$ndead" "$work/dead" <<'PY' &
import socket, sys, time
n, out = int(sys.argv[1]), sys.argv[2]
# The closed ports are let go only once every port is taken, so no silent listener gets one.
held = [socket.socket() for _ in range(n // 2)]
for s in held:
    s.bind(("127.0.0.1", 0))
silent = []
for _ in range(n - n // 2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1024); silent.append(s)
closed = [s.getsockname()[1] for s in held]
for s in held:
    s.close()
with open(out, "w") as f:
    f.write("\n".join(f"127.0.0.1:{p}" for p in closed + [s.getsockname()[1] for s in silent]) + "\n")
time.sleep(86400)
PY
  deadpid=$!
  for _ in $(seq 100); do [ -s "$work/dead" ] && break; sleep 0.1; done
  # Every tenth line a dead one, the live ones dropped to keep N targets in all.
  python3 - "$work/targets" "$work/dead" <<'PY' >"$work/mixed"
import sys
live = open(sys.argv[1]).read().split(); dead = open(sys.argv[2]).read().split()
live = live[:len(live) - len(dead)]
out, step = [], max(1, (len(live) + len(dead)) // max(1, len(dead)))
while live or dead:
    for _ in range(step - 1):
        if live: out.append(live.pop())
    if dead: out.append(dead.pop())
print("\n".join(out))
PY
  mv "$work/mixed" "$work/targets"
  trap 'kill $deadpid 2>/dev/null; cleanup' EXIT
fi
STAGES="--only versions,suites"
[ -n "${FULL:-}" ] && STAGES=""

printf '%-9s %8s %10s %16s %14s\n' tool targets "wall (s)" "conns/target" "peak RSS (MB)"
# shellcheck disable=SC2086
/usr/bin/time -f "%e %M %U %S" -o "$work/t.tlsaudit" "$BIN" scan $STAGES --policy none -i "$work/targets" --format jsonl -o "$work/out.jsonl" --concurrency "${CONC:-64}"
[ -n "${KEEP:-}" ] && cp "$work/out.jsonl" "$KEEP"
read -r t m u sy < <(tail -1 "$work/t.tlsaudit")  # after any "Command exited with" line
# The server's CPU time (clock ticks in /proc/PID/stat, fields 14 and 15) beside ours.
server_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat" 2>/dev/null || echo "?")
conns=$(python3 -c "import json,sys; r=[json.loads(l) for l in open('$work/out.jsonl')]; print(round(sum(x['connections'] for x in r)/len(r),1), sum(1 for x in r if x['error']), len(set(x['target'] for x in r)))")
read -r cpt errs lines <<<"$conns"
printf '%-9s %8d %10.2f %16s %14.1f   (distinct targets reported: %s, with an error: %s; %.0f scans a minute; CPU s: tlsaudit %.1f, nginx %s)\n' tlsaudit "$N" "$t" "$cpt" "$(echo "$m/1024" | bc -l)" "$lines" "$errs" "$(echo "$N * 60 / $t" | bc -l)" "$(echo "$u + $sy" | bc -l)" "$server_cpu"
SSLYZE=$(command -v sslyze || { [ -x /opt/sslyze-venv/bin/sslyze ] && echo /opt/sslyze-venv/bin/sslyze; } || true)
if [ -n "$SSLYZE" ] && [[ "${PEERS:-sslyze}" == *sslyze* ]]; then
  /usr/bin/time -f '%e %M' -o "$work/t.sslyze" "$SSLYZE" --sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 \
    --targets_in "$work/targets" --json_out "$work/sslyze.json" >/dev/null 2>&1
  read -r t m <"$work/t.sslyze"
  printf '%-9s %8d %10.2f %16s %14.1f\n' sslyze "$N" "$t" "-" "$(echo "$m/1024" | bc -l)"
fi
