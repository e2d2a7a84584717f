#!/usr/bin/env bash
# Reading the systemd journal against reading the same lines from a file: a generated Postfix log of SIZE
# (RFC 3339 stamps) is written into journal files by systemd-journal-remote (which rotates them as journald
# does), then `track --journal-dir` and `track` over the file run alternately RUNS times; medians, entries per
# second, peak RSS and the process's own memory (RssAnon: the journal files sd-journal maps are page cache).
#
#   Benchmarks/journal-speed.sh [SIZE] [RUNS]      e.g. Benchmarks/journal-speed.sh 256M 5
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-128M}
runs=${2:-5}
remote=/lib/systemd/systemd-journal-remote
[ -x "$remote" ] || { echo "needs systemd-journal-remote (apt-get install systemd-journal-remote)" >&2; exit 1; }
swift build -c release --product bouncetail >/dev/null
swift build -c release --product bouncetail-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin/bouncetail-bench" generate --format postfix-rfc3339 --size "$size" --recipients 100000 --seed 3 >"$dir/mail.log"
mkdir "$dir/journal"
"$bin/bouncetail-bench" export-journal <"$dir/mail.log" | "$remote" --output="$dir/journal/remote.journal" - 2>/dev/null
lines=$(wc -l <"$dir/mail.log")
files=$(ls "$dir/journal" | wc -l)

run() {  # label, then the track arguments; prints seconds and peak RSS (KiB)
    local label=$1; shift
    rm -rf "$dir/st"
    /usr/bin/time -f "%e %M" -o "$dir/time" "$bin/bouncetail" track --state "$dir/st" "$@" >"$dir/deltas.$label"
    cat "$dir/time"
}
declare -a tj tf
for i in $(seq 1 "$runs"); do
    read -r s m < <(run journal --journal-dir "$dir/journal"); tj+=("$s"); mj=$m
    read -r s m < <(run file "$dir/mail.log"); tf+=("$s"); mf=$m
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
j=$(median "${tj[@]}")
f=$(median "${tf[@]}")
# The process's own memory, sampled while it reads the journal.
rm -rf "$dir/st"
"$bin/bouncetail" track --state "$dir/st" --journal-dir "$dir/journal" >/dev/null &
pid=$!
anon=0
while kill -0 $pid 2>/dev/null; do
    a=$(awk '/RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ "${a:-0}" -gt "$anon" ] && anon=$a
    sleep 0.05
done
wait $pid
same=$(diff <(sed 's/"file".*//' "$dir/deltas.journal") <(sed 's/"file".*//' "$dir/deltas.file") >/dev/null && echo "the same deltas" || echo "DIFFERENT deltas")
echo "journal: $lines entries in $files journal files; file: the same lines, $(stat -c %s "$dir/mail.log") bytes; median of $runs runs"
printf 'track --journal-dir  %6.2f s  %8.0f entries/s  peak RSS %d MiB (own memory, RssAnon, %d MiB)\n' "$j" "$(echo "$lines / $j" | bc -l)" $((mj / 1024)) $((anon / 1024))
printf 'track over the file  %6.2f s  %8.0f lines/s    peak RSS %d MiB\n' "$f" "$(echo "$lines / $f" | bc -l)" $((mf / 1024))
echo "journal/file: $(echo "scale=1; $j / $f" | bc -l)x; $same"
