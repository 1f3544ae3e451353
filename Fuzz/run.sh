#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan) and runs each over a copy of its seed corpus.
#
#   Fuzz/run.sh                     every target for 5 seconds (the short run CI does)
#   Fuzz/run.sh --seconds 60        every target for a minute
#   Fuzz/run.sh --runs 1000000      every target for a million inputs (the long run)
#   Fuzz/run.sh --runs 1000000 store-fuzz filter-fuzz
#   Fuzz/run.sh --release --runs 1000000 audit-event-fuzz   optimized (still sanitized): many
#                                   times the inputs per second, for long runs of large inputs
#   Fuzz/run.sh --max-len 4096 ...  a smaller largest input than the target's own
#   Fuzz/run.sh --release --no-asan --runs 1000000 config-fuzz   coverage-guided without
#                                   AddressSanitizer (Swift's bounds and overflow traps still
#                                   stop the run): about 5x the inputs per second for targets
#                                   that allocate a lot; built apart, in Fuzz/.build-coverage-only
#
# Named targets are the only ones built.
#
# A crash or failed check stops with libFuzzer's report, copies the input that caused it
# (crash-…) to the current directory and exits non-zero. docs/fuzzing.md has more.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
limit=(-max_total_time=5)
mode=debug
max_len=""
sanitizers=fuzzer,address
scratch=()
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        --runs) limit=(-runs="$2"); shift 2 ;;
        --release) mode=release; shift ;;
        --max-len) max_len=$2; shift 2 ;;
        --no-asan) sanitizers=fuzzer; scratch=(--scratch-path "$here/.build-coverage-only"); shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
flags=(${scratch[@]+"${scratch[@]}"} -c "$mode" -Xswiftc -sanitize="$sanitizers" -Xswiftc -parse-as-library -Xswiftc -use-ld=lld)
if [ ${#targets[@]} -gt 0 ]; then
    for target in "${targets[@]}"; do swift build --package-path "$here" "${flags[@]}" --product "$target"; done
else
    targets=(selector-fuzz config-fuzz report-spec-fuzz audit-event-fuzz siem-config-fuzz capture-fuzz pcap-inplace-fuzz dns-fuzz filter-fuzz time-fuzz manifest-fuzz yaml-scanner-fuzz store-fuzz evidence-fuzz export-state-fuzz)
    swift build --package-path "$here" "${flags[@]}"
fi
bin="$(swift build --package-path "$here" "${flags[@]}" --show-bin-path)"

# Each target's seed corpus and largest input.
corpus_of() {
    case "$1" in
        selector-fuzz) echo corpus ;;
        report-spec-fuzz) echo corpus-report-spec ;;
        audit-event-fuzz) echo corpus-audit ;;
        siem-config-fuzz) echo siem-corpus ;;
        *) echo "${1%-fuzz}-corpus" ;;
    esac
}
max_len_of() {
    case "$1" in
        selector-fuzz|filter-fuzz|time-fuzz) echo 1024 ;;
        capture-fuzz|pcap-inplace-fuzz|store-fuzz|evidence-fuzz|export-state-fuzz) echo 16384 ;;
        audit-event-fuzz) echo 65536 ;;
        *) echo 4096 ;;
    esac
}

# libFuzzer reports crashes itself; the Swift runtime's symbolicating backtrace only slows them down.
export SWIFT_BACKTRACE=enable=no
# Swift's lazily created globals look like leaks to LeakSanitizer, at every exit too.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
work="$(mktemp -d "${TMPDIR:-/tmp}/flowlog-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    corpus="$work/$target"
    mkdir -p "$corpus"
    cp "$here/$(corpus_of "$target")"/* "$corpus/"
    extra=()
    if [ "$target" = selector-fuzz ]; then extra=(-dict="$here/selector.dict"); fi
    echo "== $target ${limit[*]}"
    status=0
    (cd "$work" && "$bin/$target" "${limit[@]}" -max_len="${max_len:-$(max_len_of "$target")}" -print_final_stats=1 -detect_leaks=0 \
        ${extra[@]+"${extra[@]}"} "$corpus" > "$work/$target.log" 2>&1) || status=$?
    grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units)' "$work/$target.log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$work/$target.log" >&2
        cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* . 2>/dev/null || true
        echo "$target failed (exit $status); the input is in $(pwd)" >&2
        exit 1
    fi
done
