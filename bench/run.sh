#!/usr/bin/env bash
# Benchmark: tlsaudit against its peers on the same local servers, in one run.
#
# Starts real TLS servers on loopback, puts a counting TCP relay (bench/relay.py) in front of
# each, and runs every installed scanner through the relay, like for like: protocol versions +
# every accepted cipher suite per version; then each tool's full default scan (tlsaudit's and
# sslyze's). Prints wall time and connections opened (counted by
# the relay, not claimed by the tool) side by side, with ratios to tlsaudit.
#
#   bench/run.sh                 # all servers, all installed peers
#   PEERS="sslyze sslscan" bench/run.sh
#   SERVERS="modern legacy" bench/run.sh
#   MODE=suites bench/run.sh     # only the like-for-like table; MODE=full: only the full scans;
#                                # MODE=stages: tlsaudit without and with the http and weaknesses stages
#
# Peers, when installed: sslyze (PyPI; also looked for in /opt/sslyze-venv), testssl.sh
# (Debian: testssl.sh, `-p -E`), sslscan (Debian), nmap (Debian, ssl-enum-ciphers).
# Not a test: nothing here asserts a time.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q || exit 2
BIN=$PWD/target/release/tlsaudit
work=$(mktemp -d)
logs=$PWD/bench/out   # each tool's output, kept for inspection (git-ignored)
mkdir -p "$logs"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -nodes -days 30 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -newkey rsa:2048 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$work/dh.pem" 2>/dev/null

SEED="ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384"

# s_server quits at EOF on stdin: give every one a FIFO this shell keeps open (fd 3).
mkfifo "$work/stdin"
exec 3<>"$work/stdin"

start_s_server() { # name args... — sets PORT[name]
  local name=$1; shift
  # -www: an HTTPS server (it answers GET / with a status page), as the full scans expect.
  openssl s_server -accept 127.0.0.1:0 -naccept 1000000 -www -cert "$work/cert.pem" -key "$work/key.pem" "$@" \
    >"$work/$name.out" 2>/dev/null <"$work/stdin" &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ACCEPT' "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  PORT[$name]=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$work/$name.out" | head -1)
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

declare -A PORT
want() { [ -z "${SERVERS:-}" ] || [[ " $SERVERS " == *" $1 "* ]]; }

want modern && start_s_server modern -min_protocol TLSv1.2 -cipher "$SEED" -serverpref
want legacy && start_s_server legacy -provider default -provider legacy -min_protocol TLSv1 -max_protocol TLSv1.2 \
  -cipher 'AES128-SHA:AES256-SHA:CAMELLIA128-SHA:SEED-SHA:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA256:@SECLEVEL=0'
if want nginx && command -v nginx >/dev/null; then
  p=$(free_port); mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $work/nginx/pid; error_log $work/nginx/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$p ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; ssl_dhparam $work/dh.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384; } }
CONF
  /usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" </dev/null >/dev/null 2>&1 &
  pids+=($!); wait_port "$p" && PORT[nginx]=$p
fi
if want gnutls && command -v gnutls-serv >/dev/null; then
  p=$(free_port)
  gnutls-serv --http --port "$p" --x509certfile "$work/cert.pem" --x509keyfile "$work/key.pem" \
    --priority 'NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:+ARCFOUR-128:+RSA:%SERVER_PRECEDENCE' </dev/null >/dev/null 2>&1 &
  pids+=($!); wait_port "$p" && PORT[gnutls]=$p
fi

SSLYZE=$(command -v sslyze || { [ -x /opt/sslyze-venv/bin/sslyze ] && echo /opt/sslyze-venv/bin/sslyze; } || true)
TESTSSL=$(command -v testssl || command -v testssl.sh || true)
declare -A CMD
CMD[tlsaudit]="$BIN scan --only versions,suites --policy none --format json -o /dev/null 127.0.0.1:{port}"
[ -n "$SSLYZE" ] && CMD[sslyze]="$SSLYZE --sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 127.0.0.1:{port}"
[ -n "$TESTSSL" ] && CMD[testssl.sh]="$TESTSSL --quiet --color 0 --warnings off -p -E 127.0.0.1:{port}"
command -v sslscan >/dev/null && CMD[sslscan]="sslscan --no-colour --no-check-certificate --no-heartbleed --no-renegotiation --no-compression --no-fallback --no-groups 127.0.0.1:{port}"
command -v nmap >/dev/null && CMD[nmap]="nmap -Pn -n -p {port} --script ssl-enum-ciphers 127.0.0.1"
order=(tlsaudit sslyze testssl.sh sslscan nmap)
if [ -n "${PEERS:-}" ]; then order=(tlsaudit $PEERS); fi

# The full scans: tlsaudit's default (every stage, weaknesses included, clients predicted)
# beside sslyze's default scan (every scan command it has).
declare -A FULL
FULL[tlsaudit]="$BIN scan --policy none --format json -o /dev/null 127.0.0.1:{port}"
[ -n "$SSLYZE" ] && FULL[sslyze]="$SSLYZE 127.0.0.1:{port}"

# table TITLE ARRAY-NAME: every server, every tool the array names, side by side.
table() {
  local title=$1; local -n cmds=$2
  echo "== $title"
  printf '%-8s %-11s %10s %12s %10s %12s\n' server tool "wall (s)" connections "time x" "conns x"
  for server in modern legacy nginx gnutls; do
    [ -n "${PORT[$server]:-}" ] || continue
    if [ -z "${RPORT[$server]:-}" ]; then
      python3 bench/relay.py "${PORT[$server]}" "$work/$server.rport" "$work/$server.count" &
      pids+=($!)
      for _ in $(seq 100); do [ -s "$work/$server.rport" ] && break; sleep 0.05; done
      RPORT[$server]=$(cat "$work/$server.rport")
    fi
    rport=${RPORT[$server]}
    base_t=""; base_c=""
    for tool in "${order[@]}"; do
      [ -n "${cmds[$tool]:-}" ] || continue
      # Connections: through the counting relay. Wall time: a second run straight to the
      # server, so the relay's own latency does not count against anyone.
      : >"$work/$server.count"
      sleep 1.5  # let the server settle: openssl s_server -www sleeps 1 s after a refused renegotiation
      timeout 1800 bash -c "${cmds[$tool]//\{port\}/$rport}" >"$logs/$server.$tool.$2.relay.log" 2>&1
      sleep 1.5
      c=$(cat "$work/$server.count" 2>/dev/null || echo 0); c=${c:-0}
      start=$(date +%s.%N)
      timeout 1800 bash -c "${cmds[$tool]//\{port\}/${PORT[$server]}}" >"$logs/$server.$tool.$2.log" 2>&1
      end=$(date +%s.%N)
      t=$(echo "$end - $start" | bc -l)
      if [ -z "$base_t" ]; then base_t=$t; base_c=$c; fi
      rt=$(echo "scale=1; $t / $base_t" | bc -l); rc=$(echo "scale=2; $c / ($base_c + 0.0001)" | bc -l)
      printf '%-8s %-11s %10.2f %12d %10s %12s\n' "$server" "$tool" "$t" "$c" "$rt" "$rc"
    done
  done
  echo
}

# What the weaknesses and HTTP stages cost: tlsaudit without them, and whole (MODE=stages).
declare -A STAGES
STAGES[before]="$BIN scan --only versions,suites,groups,sigs,certs,features --policy none --format json -o /dev/null 127.0.0.1:{port}"
STAGES[after]="$BIN scan --policy none --format json -o /dev/null 127.0.0.1:{port}"

declare -A RPORT
case "${MODE:-both}" in
  stages) order=(before after); table "tlsaudit before (no http, no weaknesses) and after (whole scan)" STAGES ;;
  suites) table "versions + every accepted suite" CMD ;;
  full) table "full scans: tlsaudit's default beside sslyze's default" FULL ;;
  *) table "versions + every accepted suite" CMD
     table "full scans: tlsaudit's default beside sslyze's default" FULL ;;
esac
