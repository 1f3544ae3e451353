#!/usr/bin/env bash
# Regenerates the demo (samples/cluster/*.yaml and samples/demo.pcap) with samplegen.
# The arguments are fixed, so the result is byte for byte what is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swift run -c release --package-path "$root/Benchmarks" samplegen --out "$out" \
    --pods 14 --namespaces 4 --policies 12 --tiers 4 --flows 240 --packets-per-flow 8 \
    --external 12 --denied 15 --ipv6 10 --duration 120 --start 2026-11-02T09:00:00Z --seed 14
rm -rf "$root/samples/cluster"
mkdir -p "$root/samples/cluster"
cp "$out"/cluster/*.yaml "$root/samples/cluster/"
cp "$out/capture.pcap" "$root/samples/demo.pcap"
