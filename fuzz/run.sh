#!/bin/sh
# Runs every fuzz target (or those named) for RUNS executions each (default 10^7), one after
# the other on one core, on the stable toolchain, growing fuzz/corpus/<target>/. Each run's
# libFuzzer output goes to fuzz/logs/<target>.log; its last lines are the figures the README
# records. A crash stops that target (its input lands in fuzz/artifacts/<target>/), not the rest.
set -u
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
TARGETS=${*:-"sslv2 ocsp handshake records tls12_client starttls client_hello x509 quic dns_ech"}
mkdir -p logs
for t in $TARGETS; do
    start=$(date +%s)
    nice cargo +stable fuzz run "$t" -s none -- -runs="$RUNS" -print_final_stats=1 \
        > "logs/$t.log" 2>&1
    rc=$?
    echo "$t: exit $rc after $(( $(date +%s) - start )) s"
done
