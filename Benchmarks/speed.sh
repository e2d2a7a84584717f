#!/usr/bin/env bash
# Speed and memory of bouncetail against the floors (grep, zlib's and ISA-L's inflate), on generated logs.
# bouncetail reads gzip with ISA-L (zlib where a build lacks it); its gzip reader alone is printed too, and
# `track` of the archive with the zlib fallback (BOUNCETAIL_GZIP=zlib). The ratios stay against zlib's.
#
#   Benchmarks/speed.sh [SIZE] [RUNS]      e.g. Benchmarks/speed.sh 1G 5
#
# Generates (once, cached in $BENCH_DIR, default /tmp/bouncetail-bench) a Postfix log of SIZE with 100,000
# recipients, its gzip, a rotated set of four gzip archives, and an Exim log; then runs bouncetail and the
# floors alternately RUNS times and prints the medians, MB/s, lines/s, the ratios the speed targets name,
# peak RSS, and allocations per line (counted by a malloc-counting preload over a smaller log).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
runs=${2:-5}
dir=${BENCH_DIR:-/tmp/bouncetail-bench}/$size
mkdir -p "$dir"

swift build -c release --product bouncetail >/dev/null
swift build -c release --product bouncetail-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
bt=$bin/bouncetail
gen=$bin/bouncetail-bench

if [ ! -s "$dir/postfix.log" ]; then
    echo "generating $size logs in $dir ..." >&2
    "$gen" generate --format postfix --size "$size" --recipients 100000 --seed 1 >"$dir/postfix.log"
    "$gen" generate --format exim --size "$size" --recipients 100000 --seed 2 >"$dir/exim.log"
    gzip -6 -c "$dir/postfix.log" >"$dir/postfix.log.gz"
    # A rotated set: the same log cut in four, each gzipped (mail.log.4.gz oldest).
    split -n l/4 -d "$dir/postfix.log" "$dir/part."
    for i in 0 1 2 3; do gzip -6 -c "$dir/part.0$i" >"$dir/mail.log.$((4 - i)).gz"; rm "$dir/part.0$i"; done
fi

# Seconds of one run of a command, by bash's clock. Output goes to a file, not /dev/null: GNU grep stops at
# the first match when its output is /dev/null.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >"$dir/out" 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

track() { rm -rf "$dir/state" "$dir/deltas.jsonl"; "$bt" track --state "$dir/state" --deltas "$dir/deltas.jsonl" --timezone UTC "$@"; }

declare -A t
names=(grep track_plain inflate inflate_isal inflate_own track_gz track_gz_zlib inflate_rotated track_rotated grep_exim track_exim)
for n in "${names[@]}"; do : >"$dir/$n.times"; done
for ((r = 1; r <= runs; r++)); do
    seconds grep -c status= "$dir/postfix.log" >>"$dir/grep.times"
    seconds track "$dir/postfix.log" >>"$dir/track_plain.times"
    seconds "$gen" inflate "$dir/postfix.log.gz" >>"$dir/inflate.times"
    seconds "$gen" inflate --decoder isal "$dir/postfix.log.gz" >>"$dir/inflate_isal.times"
    seconds "$gen" inflate --decoder bouncetail "$dir/postfix.log.gz" >>"$dir/inflate_own.times"
    seconds track "$dir/postfix.log.gz" >>"$dir/track_gz.times"
    BOUNCETAIL_GZIP=zlib seconds track "$dir/postfix.log.gz" >>"$dir/track_gz_zlib.times"
    seconds "$gen" inflate "$dir"/mail.log.{4,3,2,1}.gz >>"$dir/inflate_rotated.times"
    seconds track "$dir"/mail.log.{4,3,2,1}.gz >>"$dir/track_rotated.times"
    seconds grep -c ' => ' "$dir/exim.log" >>"$dir/grep_exim.times"
    seconds track "$dir/exim.log" >>"$dir/track_exim.times"
done
for n in "${names[@]}"; do t[$n]=$(median <"$dir/$n.times"); done

bytes=$(stat -c %s "$dir/postfix.log")
lines=$(wc -l <"$dir/postfix.log")
exim_bytes=$(stat -c %s "$dir/exim.log")
mb() { echo "scale=0; $1 / $2 / 1000000" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }

rss_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss_plain=$(rm -rf "$dir/state"; rss_kib "$bt" track --state "$dir/state" --timezone UTC "$dir/postfix.log")
rss_gz=$(rm -rf "$dir/state"; rss_kib "$bt" track --state "$dir/state" --timezone UTC "$dir/postfix.log.gz")
# Flat in bytes: the first 256 MiB, and the same 256 MiB four times over (1 GiB, the same recipients).
head -c 268435456 "$dir/postfix.log" | sed '$d' >"$dir/quarter.log"
cat "$dir/quarter.log" "$dir/quarter.log" "$dir/quarter.log" "$dir/quarter.log" >"$dir/quarter4.log"
rss_quarter=$(rm -rf "$dir/state"; rss_kib "$bt" track --state "$dir/state" --timezone UTC "$dir/quarter.log")
rss_quarter4=$(rm -rf "$dir/state"; rss_kib "$bt" track --state "$dir/state" --timezone UTC "$dir/quarter4.log")
rm -f "$dir/quarter.log" "$dir/quarter4.log"

# Allocations per line: a preload counts malloc/calloc/realloc; the difference between a log and the
# same log twice over, divided by the extra lines, is what each line costs (start-up costs cancel out).
counter=$dir/malloc-count.so
if [ ! -f "$counter" ]; then
    cat >"$dir/malloc-count.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static unsigned long calls;
static void *(*real_malloc)(size_t), *(*real_calloc)(size_t, size_t), *(*real_realloc)(void *, size_t);
static char bootstrap[4096]; static size_t used;
void *malloc(size_t n) { if (!real_malloc) real_malloc = dlsym(RTLD_NEXT, "malloc"); calls++; return real_malloc(n); }
void *calloc(size_t a, size_t b) {
    if (!real_calloc) { if (used + a * b > sizeof bootstrap) return NULL; void *p = bootstrap + used; used += a * b; real_calloc = dlsym(RTLD_NEXT, "calloc"); return p; }
    calls++; return real_calloc(a, b);
}
void *realloc(void *p, size_t n) { if (!real_realloc) real_realloc = dlsym(RTLD_NEXT, "realloc"); calls++; return real_realloc(p, n); }
void free(void *p) { static void (*real_free)(void *); if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return; if (!real_free) real_free = dlsym(RTLD_NEXT, "free"); real_free(p); }
__attribute__((destructor)) static void report(void) { char b[64]; int n = snprintf(b, sizeof b, "allocations %lu\n", calls); write(2, b, n); }
EOF
    cc -O2 -shared -fPIC -o "$counter" "$dir/malloc-count.c" -ldl
fi
head -c 64000000 "$dir/postfix.log" | sed '$d' >"$dir/small.log"
cat "$dir/small.log" "$dir/small.log" >"$dir/small2.log"
allocs() { rm -rf "$dir/state"; LD_PRELOAD=$counter "$bt" track --state "$dir/state" --timezone UTC "$@" 2>&1 >/dev/null | awk '/^allocations/ {print $2}' | tail -1; }
a1=$(allocs "$dir/small.log")
a2=$(allocs "$dir/small2.log")
small_lines=$(wc -l <"$dir/small.log")
per_line=$(echo "scale=4; ($a2 - $a1) / $small_lines" | bc -l)
# The same with limits no recipient reaches: no deltas, so what is left is scanning and counting alone.
quiet=(--hard-limit 1000000 --soft-limit 1000000)
h1=$(allocs "${quiet[@]}" "$dir/small.log")
h2=$(allocs "${quiet[@]}" "$dir/small2.log")
hot_per_line=$(echo "scale=5; ($h2 - $h1) / $small_lines" | bc -l)

echo "bouncetail speed on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); median of $runs runs"
printf 'postfix log: %s bytes, %s lines; exim log: %s bytes\n' "$bytes" "$lines" "$exim_bytes"
printf '%-34s %8s s %8s MB/s\n' \
    "grep -c status= (floor)" "${t[grep]}" "$(mb "$bytes" "${t[grep]}")" \
    "track, plain postfix" "${t[track_plain]}" "$(mb "$bytes" "${t[track_plain]}")" \
    "zlib inflate alone (floor)" "${t[inflate]}" "$(mb "$bytes" "${t[inflate]}")" \
    "ISA-L inflate alone (floor)" "${t[inflate_isal]}" "$(mb "$bytes" "${t[inflate_isal]}")" \
    "bouncetail's gzip reader alone" "${t[inflate_own]}" "$(mb "$bytes" "${t[inflate_own]}")" \
    "track, gzipped postfix" "${t[track_gz]}" "$(mb "$bytes" "${t[track_gz]}")" \
    "track, gzipped, zlib fallback" "${t[track_gz_zlib]}" "$(mb "$bytes" "${t[track_gz_zlib]}")" \
    "zlib inflate, 4 archives (floor)" "${t[inflate_rotated]}" "$(mb "$bytes" "${t[inflate_rotated]}")" \
    "track, 4 rotated archives" "${t[track_rotated]}" "$(mb "$bytes" "${t[track_rotated]}")" \
    "grep -c ' => ' exim (floor)" "${t[grep_exim]}" "$(mb "$exim_bytes" "${t[grep_exim]}")" \
    "track, exim" "${t[track_exim]}" "$(mb "$exim_bytes" "${t[track_exim]}")"
printf 'lines/s, track plain postfix: %s\n' "$(echo "scale=0; $lines / ${t[track_plain]}" | bc -l)"
printf 'ratio track/grep (target <= 1.5): %s\n' "$(ratio "${t[track_plain]}" "${t[grep]}")"
printf 'ratio track.gz/zlib inflate (target <= 1.15): %s; track.gz/ISA-L inflate: %s\n' \
    "$(ratio "${t[track_gz]}" "${t[inflate]}")" "$(ratio "${t[track_gz]}" "${t[inflate_isal]}")"
printf 'rotated set throughput vs one inflate stream (target >= 1.7): %s\n' "$(ratio "${t[inflate]}" "${t[track_rotated]}")"
printf 'ratio track exim/grep (target <= 1.5): %s\n' "$(ratio "${t[track_exim]}" "${t[grep_exim]}")"
printf 'peak RSS: plain %s MiB, gzip %s MiB\n' "$((rss_plain / 1024))" "$((rss_gz / 1024))"
printf 'peak RSS, the first 256 MiB: %s MiB; the same 256 MiB four times (1 GiB, same recipients): %s MiB\n' \
    "$((rss_quarter / 1024))" "$((rss_quarter4 / 1024))"
printf 'allocations per line (marginal, track): %s; scanning and counting alone (no deltas): %s\n' "$per_line" "$hot_per_line"
