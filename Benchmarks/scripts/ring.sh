#!/usr/bin/env bash
# Ring: items/s through FlowRing's SPSC ring (one producer thread, one consumer thread) beside a
# mutex-protected circular array queue doing the same work (same items, same batching), measured
# in the same run. Each figure is the best of RING_REPEAT runs (default 3) of RING_ITEMS items
# (default 50 M).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

"$BENCH_BIN/ring-bench" --items "${RING_ITEMS:-50000000}" --repeat "${RING_REPEAT:-3}" |
    while IFS=$'\t' read -r name figure reference_name reference; do
        bench_row "$name" "$(printf '%.0f' "$figure")" "items/s" "$reference_name" "$(printf '%.0f' "$reference")"
    done
