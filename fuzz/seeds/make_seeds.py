#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/, from real bytes:
the client hellos captured in data/clients/*.toml, and the flights `openssl s_server` sends
in answer to them (TLS 1.2 with RSA, DHE and ECDHE key exchange, an ECDSA key, a stapled
OCSP response, a CertificateRequest; TLS 1.3; a HelloRetryRequest), certificates and OCSP
responses made with the `openssl` command. STARTTLS transcripts and the SSLv2 SERVER-HELLO
(no server here speaks SSLv2) are written after real servers' answers.

Run from the repository root: python3 fuzz/seeds/make_seeds.py (needs `openssl` on PATH).
Afterwards `cargo fuzz cmin <target> -s none` keeps what adds coverage."""

import glob
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def sh(*args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hellos():
    out = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "data", "clients", "*.toml"))):
        text = open(path).read()
        m = re.search(r'^hellos = \["([0-9a-f]+)"', text, re.M)
        if m:
            out[os.path.basename(path)[:-5]] = bytes.fromhex(m.group(1))
    return out


def records(stream):
    """(content type, payload) of each record."""
    out, i = [], 0
    while i + 5 <= len(stream):
        ct, ln = stream[i], struct.unpack(">H", stream[i + 3:i + 5])[0]
        out.append((ct, stream[i + 5:i + 5 + ln]))
        i += 5 + ln
    return out


def messages(stream):
    """Raw handshake messages (header included) of the handshake records."""
    hs = b"".join(p for ct, p in records(stream) if ct == 22)
    out, i = [], 0
    while i + 4 <= len(hs):
        ln = int.from_bytes(hs[i + 1:i + 4], "big")
        out.append(hs[i:i + 4 + ln])
        i += 4 + ln
    return out


def flight(port, hello, until_done=True):
    """The bytes a server sends in answer to `hello`, up to ServerHelloDone (TLS 1.2) or a
    short quiet period."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(hello)
    got = b""
    s.settimeout(0.5)
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        got += b
        if until_done and any(m[:1] == b"\x0e" for m in messages(got)):
            break
    s.close()
    return got


def start_server(tmp, port, *args):
    p = subprocess.Popen(
        ["openssl", "s_server", "-quiet", "-accept", str(port), *args],
        cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.1)
    raise SystemExit("s_server did not start: " + " ".join(args))


def make_pki(tmp):
    cnf = """
[req]
distinguished_name = dn
[dn]
[leaf]
subjectAltName = DNS:www.example.com, DNS:example.com, IP:192.0.2.1, email:ops@example.com
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
basicConstraints = critical, CA:FALSE
authorityInfoAccess = OCSP;URI:http://ocsp.example.com, caIssuers;URI:http://ca.example.com/ca.der
crlDistributionPoints = URI:http://crl.example.com/ca.crl
tlsfeature = status_request
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""
    open(os.path.join(tmp, "x.cnf"), "w").write(cnf)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
       "-subj", "/C=NL/O=Fuzz Test CA/CN=Fuzz Test Root", "-days", "3650", "-config", "x.cnf",
       "-extensions", "ca", "-set_serial", "1", cwd=tmp)
    for name, alg in [("rsa", ["-newkey", "rsa:2048"]), ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
                      ("ed25519", ["-newkey", "ed25519"])]:
        sh("openssl", "req", "-new", *alg, "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
           "-subj", "/C=NL/O=Example/CN=www.example.com", "-config", "x.cnf", cwd=tmp)
        serial = {"rsa": "2", "ec": "3", "ed25519": "4"}[name]
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-set_serial", serial, "-days", "398", "-extfile", "x.cnf", "-extensions", "leaf",
           "-out", name + ".pem", cwd=tmp)
        sh("openssl", "x509", "-in", name + ".pem", "-outform", "DER", "-out", name + ".der", cwd=tmp)
    sh("openssl", "x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der", cwd=tmp)
    # OCSP: the RSA leaf good, the EC leaf revoked.
    open(os.path.join(tmp, "index.txt"), "w").write(
        "V\t301231235959Z\t\t02\tunknown\t/C=NL/O=Example/CN=www.example.com\n"
        "R\t301231235959Z\t250101000000Z,keyCompromise\t03\tunknown\t/C=NL/O=Example/CN=www.example.com\n")
    for leaf, out in [("rsa.pem", "good.der"), ("ec.pem", "revoked.der")]:
        sh("openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
           "-issuer", "ca.pem", "-cert", leaf, "-respout", out, "-ndays", "7", "-reqout", "/dev/null",
           cwd=tmp)
    sh("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", "dh.pem", cwd=tmp)


def main():
    tmp = tempfile.mkdtemp(prefix="tlsaudit-seeds-")
    make_pki(tmp)
    read = lambda n: open(os.path.join(tmp, n), "rb").read()

    # X.509 and OCSP.
    for n in ["rsa", "ec", "ed25519", "ca"]:
        put("x509", n + ".der", read(n + ".der"))
    for n in ["good", "revoked"]:
        put("ocsp", n, read(n + ".der"))
    put("ocsp", "trylater", bytes.fromhex("30030a0103"))

    # Client hellos: the capture reads them as sent; the handshake target the message alone.
    hs = hellos()
    for name, h in hs.items():
        put("client_hello", name, h)
        for m in messages(h):
            put("handshake", "client-hello-" + name, m)
    put("client_hello", "sslv2-compatible", bytes.fromhex(
        "801f010301000600000000100000350000ff") + bytes(range(16)))

    # Flights from s_server.
    port = 24433
    servers = [
        ("ecdhe-rsa", ["-cert", "rsa.pem", "-key", "rsa.key", "-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]),
        ("dhe-rsa-cbc", ["-cert", "rsa.pem", "-key", "rsa.key", "-no_tls1_3", "-cipher", "DHE-RSA-AES256-SHA", "-dhparam", "dh.pem"]),
        ("rsa-kx", ["-cert", "rsa.pem", "-key", "rsa.key", "-no_tls1_3", "-cipher", "AES128-SHA"]),
        ("ecdhe-ecdsa", ["-cert", "ec.pem", "-key", "ec.key", "-no_tls1_3", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"]),
        ("staple-certreq", ["-cert", "rsa.pem", "-key", "rsa.key", "-cert_chain", "ca.pem", "-no_tls1_3",
                            "-status_file", "good.der", "-verify", "1", "-CAfile", "ca.pem",
                            "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]),
        ("tls13", ["-cert", "ec.pem", "-key", "ec.key", "-tls1_3"]),
        ("hrr", ["-cert", "ec.pem", "-key", "ec.key", "-tls1_3", "-groups", "P-384"]),
    ]
    picks = ["curl-7.88", "openssl-3.0", "java-17-httpclient", "go-1.19", "gnutls-cli-3.7"]
    for sname, args in servers:
        port += 1
        p = start_server(tmp, port, *args)
        try:
            for cname in picks:
                got = flight(port, hs[cname], until_done=not sname.startswith(("tls13", "hrr")))
                if not got:
                    continue
                tag = f"{sname}-{cname}"
                put("records", tag, b"\xfe" + got)
                if cname == picks[0]:
                    put("records", tag + "-bytewise", b"\x00" + got)
                    put("tls12_client", tag + "-bytewise", b"\x00" + got)
                put("tls12_client", tag, b"\x7f" + got)
                for m in messages(got):
                    put("handshake", f"{tag}-type{m[0]}", m)
                    if m[0] == 11:  # Certificate: each DER certificate
                        body, i = m[7:], 0
                        while i + 3 <= len(body):
                            ln = int.from_bytes(body[i:i + 3], "big")
                            put("x509", f"{sname}-{i}", body[i + 3:i + 3 + ln])
                            i += 3 + ln
                for ct, payload in records(got):
                    if ct == 21:
                        put("handshake", f"{tag}-alert", payload)
        finally:
            p.kill()
            p.wait()
    # An alert answer, and an SSLv2 SERVER-HELLO (draft-hickman-netscape-ssl-00) carrying the
    # RSA certificate and the seven SSLv2 cipher kinds, as OpenSSL 0.9.8 answered.
    put("records", "alert", b"\xfe" + bytes.fromhex("150303000202 28".replace(" ", "")))
    cert = read("rsa.der")
    kinds = bytes.fromhex("010080 020080 030080 040080 050080 060040 0700c0".replace(" ", ""))
    cid = bytes(range(16))
    v2 = bytes([4, 0, 1]) + struct.pack(">HHHH", 2, len(cert), len(kinds), len(cid)) + cert + kinds + cid
    put("sslv2", "server-hello", v2)
    put("sslv2", "server-hello-session-hit", bytes([4, 1, 0]) + struct.pack(">HHHH", 2, 0, 0, len(cid)) + cid)
    put("sslv2", "server-hello-one-kind", bytes([4, 0, 1]) + struct.pack(">HHHH", 2, len(cert), 3, 16)
        + cert + kinds[:3] + cid)
    # CLIENT-HELLOs (the same parser family): SSLv2 proper and SSLv2-compatible for TLS 1.0.
    put("sslv2", "client-hello", bytes([1]) + struct.pack(">HHHH", 2, len(kinds), 0, 16) + kinds + cid)
    put("sslv2", "client-hello-compatible", bytes([1]) + struct.pack(">HHHH", 0x0301, 9, 0, 16)
        + bytes.fromhex("00002f 000035 0000ff") + cid)
    put("records", "sslv2-server-hello", b"\x01" + struct.pack(">H", 0x8000 | len(v2)) + v2)
    put("records", "sslv2-error", b"\x01" + bytes.fromhex("8003000001"))

    # Records opened under fixed keys (tls12_client's modes >= 128): a GCM and a CBC record
    # of plausible lengths.
    put("tls12_client", "open-gcm-tls12", b"\x84\x00" + bytes(8 + 32 + 16))
    put("tls12_client", "open-cbc-tls10", b"\x80\x00" + bytes(48))
    put("tls12_client", "open-cbc-etm-tls11", b"\x83\x00" + bytes(16 + 32 + 20))

    # STARTTLS: the first byte picks the protocol (0 smtp, 1 imap, 2 pop3, 3 postgres,
    # 4 ftp, 5 xmpp); the rest is what the server says, as Postfix, Dovecot, PostgreSQL,
    # vsftpd and Prosody answer.
    st = {
        "smtp-postfix": b"\x00220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n"
                        b"250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
                        b"250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                        b"250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n220 2.0.0 Ready to start TLS\r\n",
        "smtp-refused": b"\x00220 mx ESMTP\r\n250 mx\r\n454 4.7.0 TLS not available due to local problem\r\n",
        "imap-dovecot": b"\x01* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
                        b"STARTTLS LOGINDISABLED] Dovecot (Debian) ready.\r\n"
                        b"a1 OK Begin TLS negotiation now.\r\n",
        "pop3-dovecot": b"\x02+OK Dovecot (Debian) ready.\r\n+OK Begin TLS negotiation now.\r\n",
        "postgres": b"\x03S",
        "postgres-refused": b"\x03N",
        "ftp-vsftpd": b"\x04220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n",
        "ftp-multiline": b"\x04220-Welcome\r\n220-to the FTP service\r\n220 ready\r\n234 AUTH TLS OK.\r\n",
        "xmpp-prosody": b"\x05<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                        b"xml:lang='en' version='1.0' id='5c1f0b9e' from='example.com' xmlns='jabber:client'>"
                        b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                        b"</stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "xmpp-error": b"\x05<?xml version='1.0'?><stream:stream from='x' version='1.0'><stream:error>"
                      b"<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:"
                      b"xml:ns:xmpp-streams'>not here</text></stream:error></stream:stream>",
    }
    for name, data in st.items():
        put("starttls", name, data)
    quic_seeds()
    print("seeds written to", CORPUS)


def quic_seeds():
    """QUIC: the server Initial of RFC 9001 appendix A.3 (the fuzz entry reads as that RFC's
    client), Version Negotiation and Retry, aioquic 1.7's transport parameters, and frames."""
    marker = bytes.fromhex("fffefdfc")
    a3 = bytes.fromhex(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
        "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
        "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
        "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
        "2158407dd074ee")
    put("quic", "rfc9001-a3-server-initial", a3)
    put("quic", "garbage-then-a3", b"HTTP/1.1 400 Bad Request\r\n\r\n" + marker + a3)
    put("quic", "a3-then-short-header", a3 + marker + bytes.fromhex("4f") + bytes(40))
    put("quic", "version-negotiation",
        bytes.fromhex("80000000000008f067a5502a4262b56b3343cfff00001d"))
    put("quic", "retry", bytes.fromhex("f0000000010008f067a5502a4262b5") + b"token" + bytes(16))

    def varint(v):
        if v < 1 << 6:
            return bytes([v])
        if v < 1 << 14:
            return struct.pack(">H", v | 0x4000)
        return struct.pack(">I", v | 0x80000000)

    params = [(0x00, bytes(8)), (0x01, varint(60000)), (0x02, bytes(16)), (0x04, varint(1048576)),
              (0x05, varint(1048576)), (0x06, varint(1048576)), (0x07, varint(1048576)),
              (0x08, varint(128)), (0x09, varint(128)), (0x0a, varint(3)), (0x0b, varint(25)),
              (0x0e, varint(8)), (0x0f, bytes(8)), (0x11, bytes.fromhex("0000000100000001")),
              (0x2ab2, b"")]
    put("quic", "transport-parameters-aioquic",
        b"".join(varint(i) + varint(len(v)) + v for i, v in params))
    put("quic", "frames-ack-crypto-close",
        bytes.fromhex("0200000000") + bytes.fromhex("060005") + b"hello"
        + bytes.fromhex("1c4178000004") + b"nope")


if __name__ == "__main__":
    sys.exit(main())
