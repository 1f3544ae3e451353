#!/usr/bin/env bash
# The one benchmark command: builds flowlog and the benchmark tools in release mode, makes the
# synthetic inputs, runs every stage's benchmark beside its reference (same run, same input) and
# prints one table. Usage: Benchmarks/run.sh [area ...]   (areas: the scripts in Benchmarks/scripts)
#
# Each Benchmarks/scripts/<area>.sh prints result rows on stdout as
#   ROW|<benchmark>|<figure>|<unit>|<reference>|<reference figure>|<ratio>
# and anything else on stderr. Environment they can use:
#   BENCH_ROOT  the repository root      BENCH_WORK  scratch directory (inputs, outputs)
#   FLOWLOG     the release flowlog binary
#   BENCH_BIN   the release directory of the benchmark package (capture-bench, …)
#   SHARED      the reference tools directory, when present (pcapgen.c, pcaplimit.c)
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_WORK=${BENCH_WORK:-$BENCH_ROOT/Benchmarks/work}
mkdir -p "$BENCH_WORK"
export BENCH_ROOT BENCH_WORK

echo "building (release)…" >&2
swift build -c release --package-path "$BENCH_ROOT" >&2
swift build -c release --package-path "$BENCH_ROOT/Benchmarks" >&2
FLOWLOG=$(swift build -c release --package-path "$BENCH_ROOT" --show-bin-path)/flowlog
BENCH_BIN=$(swift build -c release --package-path "$BENCH_ROOT/Benchmarks" --show-bin-path)
export FLOWLOG BENCH_BIN
for candidate in "${SHARED:-}" "$BENCH_ROOT/../shared/tools"; do
    if [ -n "$candidate" ] && [ -f "$candidate/pcaplimit.c" ]; then SHARED=$(cd "$candidate" && pwd); break; fi
done
export SHARED=${SHARED:-}

areas=("$@")
if [ ${#areas[@]} -eq 0 ]; then
    areas=()
    for s in "$BENCH_ROOT"/Benchmarks/scripts/*.sh; do areas+=("$(basename "$s" .sh)"); done
fi

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for area in "${areas[@]}"; do
    echo "== $area" >&2
    bash "$BENCH_ROOT/Benchmarks/scripts/$area.sh" | grep '^ROW|' >>"$rows" || echo "$area: failed" >&2
done

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-46s %16s %-10s %-28s %16s %10s\n' benchmark figure unit reference "ref figure" ratio
cut -d'|' -f2- "$rows" | while IFS='|' read -r name figure unit ref reffig ratio; do
    printf '%-46s %16s %-10s %-28s %16s %10s\n' "$name" "$figure" "$unit" "$ref" "$reffig" "$ratio"
done
