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

areas=("$@")
if [ ${#areas[@]} -eq 0 ]; then
    areas=()
    for s in "$BENCH_ROOT"/Benchmarks/scripts/*.sh; do
        [ "$(basename "$s")" = lib.sh ] || areas+=("$(basename "$s" .sh)")
    done
fi

for area in "${areas[@]}"; do
    if [ ! -f "$BENCH_ROOT/Benchmarks/scripts/$area.sh" ]; then
        echo "run.sh: no area '$area' (have: $(cd "$BENCH_ROOT/Benchmarks/scripts" && ls ./*.sh | grep -v '^\./lib\.sh$' | sed 's|^\./||; s|\.sh$||' | tr '\n' ' '))" >&2
        exit 2
    fi
done

# What the benchmarks need besides Swift. Missing essentials stop the run; a missing peer only
# loses the rows measured against it, so it is reported with the command that installs it.
missing_essential=0
need() {  # need KIND COMMAND PACKAGE WHAT
    command -v "$2" >/dev/null 2>&1 && return 0
    echo "run.sh: $2 not found ($4); install it with: apt-get install -y $3" >&2
    [ "$1" = essential ] && missing_essential=1
    return 0
}
command -v swift >/dev/null 2>&1 || { echo "run.sh: swift not found; install a Swift 6 toolchain (https://www.swift.org/install/)" >&2; missing_essential=1; }
need essential /usr/bin/time time "peak RSS and elapsed time of every timed command"
need essential cc gcc "builds the C reference tools"
need essential pkg-config pkg-config "finds libpcap, liblz4 and libyaml"
pkg-config --exists libpcap 2>/dev/null || { echo "run.sh: libpcap not found; install it with: apt-get install -y libpcap-dev" >&2; missing_essential=1; }
pkg-config --exists liblz4 2>/dev/null || { echo "run.sh: liblz4 not found; install it with: apt-get install -y liblz4-dev" >&2; missing_essential=1; }
pkg-config --exists yaml-0.1 2>/dev/null || { echo "run.sh: libyaml not found; install it with: apt-get install -y libyaml-dev" >&2; missing_essential=1; }
need peer nfpcapd nfdump "end-to-end reference"
need peer argus argus-server "end-to-end reference"
need peer python3 python3 "checks the query benchmark's answers before timing them"
[ "$missing_essential" -eq 0 ] || exit 1

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
