#!/usr/bin/env python3
"""Keeps the checked-in corpus small: for each target, the seeds from real bytes that the tests
name, then the inputs of an edge-only minimisation (`-merge=1 -use_counters=0`) smallest first
until the target's byte budget. The largest inputs go first: mutants of whole certificates and
flights, each adding one or two edges, which a few minutes of fuzzing finds again.

Run from fuzz/ after a fuzzing run: python3 seeds/trim.py SEEDS_DIR, where SEEDS_DIR holds
the `seed-*` files of each target (as make_seeds.py wrote them) under SEEDS_DIR/<target>/."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

BUDGET = {  # bytes, beyond the kept seeds
    "sslv2": 8_000, "starttls": 8_000, "handshake": 40_000, "records": 60_000,
    "client_hello": 50_000, "ocsp": 80_000, "x509": 60_000, "tls12_client": 50_000,
}
KEEP = {  # seeds kept whatever their size (prefixes of file names)
    "sslv2": ["seed-"], "starttls": ["seed-"], "client_hello": ["seed-"],
    "ocsp": ["seed-"], "x509": ["seed-rsa", "seed-ec", "seed-ed25519", "seed-ca"],
    "handshake": ["seed-alert", "seed-client-hello-curl"] + [
        f"seed-{s}-curl-7.88-type" for s in
        ["ecdhe-rsa", "dhe-rsa-cbc", "rsa-kx", "ecdhe-ecdsa", "staple-certreq", "tls13", "hrr"]],
    "records": ["seed-alert", "seed-sslv2"] + [
        f"seed-{s}-curl-7.88" for s in
        ["ecdhe-rsa", "dhe-rsa-cbc", "rsa-kx", "ecdhe-ecdsa", "staple-certreq", "tls13", "hrr"]],
    "tls12_client": ["seed-open"] + [
        f"seed-{s}-curl-7.88" for s in ["ecdhe-rsa", "dhe-rsa-cbc", "rsa-kx", "ecdhe-ecdsa", "staple-certreq"]],
}
BIN = "target/x86_64-unknown-linux-gnu/release"


def main(seeds_dir):
    for target, budget in BUDGET.items():
        corpus = os.path.join("corpus", target)
        merged = tempfile.mkdtemp()
        subprocess.run([os.path.join(BIN, target), "-merge=1", "-use_counters=0", merged, corpus],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        keep = {}
        sd = os.path.join(seeds_dir, target)
        for name in sorted(os.listdir(sd)):
            if any(name.startswith(p) for p in KEEP[target]):
                keep[name] = open(os.path.join(sd, name), "rb").read()
        seen = {hashlib.sha1(d).hexdigest() for d in keep.values()}
        spent = 0
        for name in sorted(os.listdir(merged), key=lambda n: (os.path.getsize(os.path.join(merged, n)), n)):
            data = open(os.path.join(merged, name), "rb").read()
            if spent + len(data) > budget:
                break
            if hashlib.sha1(data).hexdigest() not in seen:
                keep[name] = data
                spent += len(data)
        shutil.rmtree(corpus)
        os.makedirs(corpus)
        for name, data in keep.items():
            open(os.path.join(corpus, name), "wb").write(data)
        shutil.rmtree(merged)
        print(f"{target}: {len(keep)} files, {sum(map(len, keep.values()))} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
