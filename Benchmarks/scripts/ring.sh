#!/usr/bin/env bash
# Ring: items/s through FlowRing's SPSC ring (one producer thread, one consumer thread)
# beside a mutex-protected circular array queue with the same batching, measured in the same run.
# Each figure is the best of three runs of RING_ITEMS items (default 50 M).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

out=$("$BENCH_BIN/ring-bench" --items "${RING_ITEMS:-50000000}" --repeat "${RING_REPEAT:-3}")
reference_name=$(echo "$out" | head -1 | cut -f1)
reference=$(echo "$out" | head -1 | cut -f2)
echo "$out" | tail -n +2 | while IFS=$'\t' read -r name figure; do
    bench_row "$name" "$(printf '%.0f' "$figure")" "items/s" "$reference_name" "$(printf '%.0f' "$reference")"
done
