#!/usr/bin/env bash
# Measures how long a bouncing line takes from being appended to a followed log to its delta being durable
# in the deltas file, and the CPU `follow` uses on an idle log. Run by hand: bash Benchmarks/follow-latency.sh
# `bash Benchmarks/follow-latency.sh journal` measures `follow --journal-dir` instead, on a journal file that
# systemd-journal-remote appends each entry to (its own start-up is inside the latency: it is reported apart).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product bouncetail >/dev/null
bin=.build/release/bouncetail
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
mode=${1:-file}
line() { printf 'Q%05dAAA: to=<lat%d@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)' "$1" "$1"; }
remote=/lib/systemd/systemd-journal-remote
writer=()
if [ "$mode" = journal ]; then
    [ -x "$remote" ] || { echo "journal mode needs systemd-journal-remote (apt-get install systemd-journal-remote)" >&2; exit 1; }
    mkdir "$dir/journal"
    # One entry first: the directory must hold a journal file when follow starts.
    entry() {
        local us=$(( $(date +%s%N) / 1000 ))
        printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=5f1c0a7e2b8d4c6f9e3a1b2c3d4e5f60\n_HOSTNAME=mx\nSYSLOG_IDENTIFIER=postfix/smtp\nSYSLOG_PID=1\nMESSAGE=%s\n\n' "$us" "$us" "$(line "$1")"
    }
    entry 0 | "$remote" --output="$dir/journal/remote.journal" - 2>/dev/null
    "$bin" follow --state "$dir/st" --deltas "$dir/d.jsonl" --hard-limit 1 --journal-dir "$dir/journal" 2>/dev/null &
    offset=1
else
    : > "$dir/mail.log"
    "$bin" follow --state "$dir/st" --deltas "$dir/d.jsonl" --hard-limit 1 --timezone UTC "$dir/mail.log" 2>/dev/null &
    offset=0
fi
pid=$!
sleep 1
lat=()
for i in $(seq 1 20); do
    start=$(date +%s.%N)
    if [ "$mode" = journal ]; then
        entry "$i" | "$remote" --output="$dir/journal/remote.journal" - 2>/dev/null
        writer+=("$(echo "$(date +%s.%N) - $start" | bc)")
    else
        printf 'Nov  3 10:00:%02d mx postfix/smtp[1]: %s\n' $((i % 60)) "$(line "$i")" >> "$dir/mail.log"
    fi
    until [ "$(wc -l < "$dir/d.jsonl" 2>/dev/null || echo 0)" -ge $((i + offset)) ]; do sleep 0.005; done
    end=$(date +%s.%N)
    lat+=("$(echo "$end - $start" | bc)")
    sleep 0.$((RANDOM % 5))
done
printf '%s\n' "${lat[@]}" | sort -n | awk -v m="$mode" '{a[NR]=$1} END {printf "%s: append-to-durable-delta latency over %d lines: median %.3f s, max %.3f s\n", m, NR, a[int((NR+1)/2)], a[NR]}'
if [ ${#writer[@]} -gt 0 ]; then
    printf '%s\n' "${writer[@]}" | sort -n | awk '{a[NR]=$1} END {printf "  of which systemd-journal-remote writing the entry: median %.3f s\n", a[int((NR+1)/2)]}'
fi
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
sleep 10
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "idle CPU over 10 s: $(( (t1 - t0) * 10 )) ms ($(getconf CLK_TCK) ticks/s)"
