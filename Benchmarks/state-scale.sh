#!/usr/bin/env bash
# How the state scales with the number of tracked recipients: a log in which N distinct recipients bounce
# once each (so the state holds N records), then what an operator runs every day against that state.
#
#   Benchmarks/state-scale.sh [N ...]      e.g. Benchmarks/state-scale.sh 100000 1000000 10000000
#
# For each N it prints: the state's size; the first `track` of the whole log (time, peak RSS); a cron `track`
# that finds 5 new lines and one that finds none; `list` to its first line and to its end; `follow` from its
# start until it follows, then appended bounces until their deltas are durable (latency, and the CPU the
# follower spent per commit) and its RSS. Logs are cached in $BENCH_DIR (default /tmp/bouncetail-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product bouncetail >/dev/null
swift build -c release --product bouncetail-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
bt=$bin/bouncetail
gen=$bin/bouncetail-bench
base=${BENCH_DIR:-/tmp/bouncetail-bench}/state
mkdir -p "$base"
[ $# -gt 0 ] || set -- 100000 1000000

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

for n in "$@"; do
    log=$base/distinct-$n.log
    [ -s "$log" ] || "$gen" distinct --count "$n" >"$log"
    work=$(mktemp -d "$base/run-XXXX")
    cp "$log" "$work/mail.log"
    st=$work/st
    opts=(--timezone UTC --deltas "$work/d.jsonl")
    printf '\n%d tracked recipients (log %s MB)\n' "$n" "$(( $(stat -c %s "$log") / 1000000 ))"

    t=$(now)
    /usr/bin/time -f %M -o "$work/rss" "$bt" track --state "$st" "${opts[@]}" "$work/mail.log"
    printf '  first track of the whole log      %7.2f s   peak RSS %d MiB\n' "$(since "$t")" $(( $(cat "$work/rss") / 1024 ))
    printf '  state.db                          %7d MB\n' $(( $(du -b "$st/state.db" | cut -f1) / 1000000 ))

    "$gen" distinct --count 5 --first "$n" >>"$work/mail.log"
    t=$(now)
    /usr/bin/time -f %M -o "$work/rss" "$bt" track --state "$st" "${opts[@]}" "$work/mail.log"
    printf '  cron track, 5 new lines           %7.3f s   peak RSS %d MiB\n' "$(since "$t")" $(( $(cat "$work/rss") / 1024 ))
    t=$(now)
    "$bt" track --state "$st" "${opts[@]}" "$work/mail.log"
    printf '  cron track, nothing new           %7.3f s\n' "$(since "$t")"

    t=$(now)
    "$bt" list --state "$st" --format postfix | head -1 >/dev/null
    printf '  list, first line                  %7.3f s\n' "$(since "$t")"
    t=$(now)
    "$bt" list --state "$st" >/dev/null
    printf '  list, whole (suppressed only)     %7.3f s\n' "$(since "$t")"

    # follow: start until following; then bounces appended one by one (to addresses stored long ago and to
    # new ones), each until its delta is in the deltas file.
    t=$(now)
    "$bt" follow --state "$st" "${opts[@]}" --hard-limit 1 "$work/mail.log" 2>"$work/follow.err" &
    pid=$!
    until grep -q "following" "$work/follow.err" 2>/dev/null; do sleep 0.002; done
    printf '  follow, start until following     %7.3f s\n' "$(since "$t")"
    sleep 1
    lat=()
    cpu=()
    for k in $(seq 1 10); do
        before=$(wc -l <"$work/d.jsonl")
        c0=$(ticks $pid)
        t=$(now)
        if [ $((k % 2)) -eq 0 ]; then first=$((k * 7919 % n)); else first=$((n + 100 + k)); fi
        "$gen" distinct --count 1 --first "$first" | sed "s/^2026-11-01/2026-12-0$((k % 9 + 1))/" >>"$work/mail.log"
        until [ "$(wc -l <"$work/d.jsonl")" -gt "$before" ]; do sleep 0.002; done
        lat+=("$(since "$t")")
        cpu+=("$(( ($(ticks $pid) - c0) * 1000 / hz ))")
        sleep 0.5
    done
    rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
    kill $pid
    wait $pid || true
    printf '  follow, appended line to delta    median %.3f s, max %.3f s (first: %.3f s)\n' \
        "$(printf '%s\n' "${lat[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
        "$(printf '%s\n' "${lat[@]}" | sort -g | tail -1)" "${lat[0]}"
    printf '  follow, CPU per commit            median %d ms, max %d ms (clock ticks of %d ms)   peak RSS %d MiB\n' \
        "$(printf '%s\n' "${cpu[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
        "$(printf '%s\n' "${cpu[@]}" | sort -n | tail -1)" $((1000 / hz)) "$rss"
    rm -rf "$work"
done
