#!/usr/bin/env bash
# Peak memory under hostile peers (issue 13). Not a test: nothing here asserts a figure.
#
# 1. Hostile servers: the hostile-server suite's scripted servers (tests/it/hostile.rs), each
#    scanned by the release `tlsaudit` binary in a process of its own; peak RSS per behaviour
#    (getrusage of that one child), beside a well-behaved openssl s_server.
# 2. Hostile clients: `tlsaudit client --listen` under a flood — N silent connections, N
#    connections sending 48 KB of a hello that never ends, N sending random
#    bytes — then one real client (openssl s_client); peak RSS (VmHWM) of the listener, and
#    whether the real client was served.
#
#   bench/hostile.sh            # both
#   FLOOD=1000 bench/hostile.sh # connections per kind in part 2 (default 1000)
set -uo pipefail
cd "$(dirname "$0")/.."
FLOOD=${FLOOD:-1000}

echo "== hostile servers: peak RSS of one scan per behaviour (release build)"
cargo test --release -q --test it hostile_peak_rss_per_behaviour -- --ignored --nocapture 2>&1 \
  | grep -E '^\||^worst|FAILED|panicked'

echo
echo "== hostile clients: tlsaudit client --listen under a flood of $FLOOD connections per kind"
cargo build --release -q || exit 2
BIN=$PWD/target/release/tlsaudit
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" client --listen 127.0.0.1:"$port" --timeout 5 --format jsonl >"$work/reports.jsonl" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
rss() { sed -n 's/^VmHWM:\s*\([0-9]*\) kB/\1/p' /proc/$pid/status; }
echo "idle: peak RSS $(( $(rss) / 1024 )) MiB"
ulimit -n 65536 2>/dev/null || true
LISTENER=$pid python3 - "$port" "$FLOOD" <<'PY'
import os, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
def conn():
    s = socket.create_connection(("127.0.0.1", port)); socks.append(s); return s
for _ in range(n):            # silent
    conn()
# Three full records of a hello claiming 64 KB: 48 KB held until the deadline.
record = lambda payload: bytes([22, 3, 1, len(payload) >> 8, len(payload) & 0xff]) + payload
never_done = record(bytes([1, 0, 0xff, 0xff]) + bytes(16380)) + record(bytes(16384)) * 2
for _ in range(n):            # a hello that never ends
    s = conn()
    try:
        s.sendall(never_done)
    except OSError:
        pass
for _ in range(n):            # random bytes
    s = conn()
    try:
        s.sendall(os.urandom(64 * 1024))
    except OSError:
        pass
print(f"flood: {len(socks)} connections open", flush=True)
with open(f"/proc/{os.environ['LISTENER']}/status") as f:
    hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
print(f"after the flood: peak RSS {int(hwm) // 1024} MiB", flush=True)
import subprocess
start = time.time()
subprocess.run(["timeout", "60", "openssl", "s_client", "-quiet", "-connect", f"127.0.0.1:{port}"],
               input=b"GET /after-the-flood HTTP/1.1\r\nHost: x\r\n\r\n",
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"real client during the flood: done in {time.time() - start:.2f} s", flush=True)
PY
sleep 0.5
if grep -q 'after-the-flood' "$work/reports.jsonl"; then served=yes; else served=no; fi
echo "real client served (its request line in the reports): $served"
echo "reports written: $(wc -l <"$work/reports.jsonl")"
echo "final peak RSS: $(( $(rss) / 1024 )) MiB"
