#!/usr/bin/env bash
# Measures how long a bouncing line takes from being appended to a followed log to its delta being durable
# in the deltas file, and the CPU `follow` uses on an idle log. Run by hand: bash Benchmarks/follow-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product bouncetail >/dev/null
bin=.build/release/bouncetail
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
: > "$dir/mail.log"
"$bin" follow --state "$dir/st" --deltas "$dir/d.jsonl" --hard-limit 1 --timezone UTC "$dir/mail.log" 2>/dev/null &
pid=$!
sleep 1
lat=()
for i in $(seq 1 20); do
    start=$(date +%s.%N)
    printf 'Nov  3 10:00:%02d mx postfix/smtp[1]: Q%05dAAA: to=<lat%d@example.net>, relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown)\n' $((i % 60)) "$i" "$i" >> "$dir/mail.log"
    until [ "$(wc -l < "$dir/d.jsonl" 2>/dev/null || echo 0)" -ge "$i" ]; do sleep 0.005; done
    end=$(date +%s.%N)
    lat+=("$(echo "$end - $start" | bc)")
    sleep 0.$((RANDOM % 5))
done
printf '%s\n' "${lat[@]}" | sort -n | awk '{a[NR]=$1} END {printf "append-to-durable-delta latency over %d lines: median %.3f s, max %.3f s\n", NR, a[int((NR+1)/2)], a[NR]}'
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
sleep 10
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "idle CPU over 10 s: $(( (t1 - t0) * 10 )) ms ($(getconf CLK_TCK) ticks/s)"
