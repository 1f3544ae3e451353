#!/usr/bin/env bash
# Policy stage: 1,000 policies in 5 tiers, 10,000 pods, 200,000 new flows between random pods and
# external addresses (policy-bench generates all of it). Figures are decisions per CPU-second of
# the one evaluating thread ("on one core"), so other work on a shared machine does not count.
# Reference: the issue's goal of 1 M decisions/s warm; cold figures are set against warm.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

out="$BENCH_WORK/policy-bench.txt"
"$BENCH_BIN/policy-bench" "${POLICY_BENCH_FLOWS:-200000}" "${POLICY_BENCH_PASSES:-5}" >"$out"
cat "$out" >&2
value() { awk -v k="$1" '$1 == k { printf "%.0f", $2 }' "$out"; }
seconds() { awk -v k="$1" '$1 == k { printf "%.2f", $2 }' "$out"; }

warm=$(value warm_per_second)
bench_row "policy: decisions/s warm (cached)" "$warm" "dec/s" "goal" 1000000
bench_row "policy: decisions/s warm, batch API" "$(value warm_batch_per_second)" "dec/s" "warm (same run)" "$warm"
bench_row "policy: decisions/s cold (fresh engine)" "$(value cold_first_pass_per_second)" "dec/s" "warm (same run)" "$warm"
bench_row "policy: decisions/s uncached, plans built" "$(value cold_uncached_per_second)" "dec/s" "warm (same run)" "$warm"
bench_row "policy: load 10k pods + 1k policies" "$(seconds load_seconds)" "s" "-" "-"
