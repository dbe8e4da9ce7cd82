#!/usr/bin/env bash
# Many targets: one nginx listening on N loopback ports (N targets), scanned in one run.
# Prints wall time, connections per target and peak memory (RSS) for tlsaudit and, when
# installed, sslyze (which also takes many targets in one process).
#
#   bench/many.sh          # N=200
#   N=1000 bench/many.sh
#   PEERS=none N=2000 bench/many.sh   # tlsaudit only
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
daemon off; master_process off; worker_processes 1; worker_rlimit_nofile 65536; pid $work/pid; error_log $work/error.log;
events { worker_connections 8192; }
http { access_log off; client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server {
$listens
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on;
    ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256;
  } }
CONF
ulimit -n 65536 2>/dev/null || true
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" </dev/null >/dev/null 2>&1 &
pid=$!
sleep 1
sed 's/^/127.0.0.1:/' "$work/ports" >"$work/targets"

printf '%-9s %8s %10s %16s %14s\n' tool targets "wall (s)" "conns/target" "peak RSS (MB)"
/usr/bin/time -f '%e %M' -o "$work/t.tlsaudit" "$BIN" scan --only versions,suites --policy none -i "$work/targets" --format jsonl -o "$work/out.jsonl" --concurrency 64
read -r t m <"$work/t.tlsaudit"
conns=$(python3 -c "import json,sys; r=[json.loads(l) for l in open('$work/out.jsonl')]; print(round(sum(x['connections'] for x in r)/len(r),1), sum(1 for x in r if x['error']))")
printf '%-9s %8d %10.2f %16s %14.1f   (errors: %s)\n' tlsaudit "$N" "$t" "${conns% *}" "$(echo "$m/1024" | bc -l)" "${conns#* }"
SSLYZE=$(command -v sslyze || { [ -x /opt/sslyze-venv/bin/sslyze ] && echo /opt/sslyze-venv/bin/sslyze; } || true)
if [ -n "$SSLYZE" ] && [[ "${PEERS:-sslyze}" == *sslyze* ]]; then
  /usr/bin/time -f '%e %M' -o "$work/t.sslyze" "$SSLYZE" --sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 \
    --targets_in "$work/targets" --json_out "$work/sslyze.json" >/dev/null 2>&1
  read -r t m <"$work/t.sslyze"
  printf '%-9s %8d %10.2f %16s %14.1f\n' sslyze "$N" "$t" "-" "$(echo "$m/1024" | bc -l)"
fi
