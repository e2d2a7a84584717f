#!/usr/bin/env bash
# How far one PostgreSQL carries a fleet: three hosts each following its own log at full speed into one shared
# state whose recipients table already holds N addresses.
#
#   Benchmarks/fleet-scale.sh [N] [LOG_SIZE] [RATE SECONDS]   e.g. Benchmarks/fleet-scale.sh 10000000 64M
#
# Starts a private PostgreSQL (Debian's postgresql, as the postgres user: run as root) in a temporary
# directory, fills bouncetail.recipients with N addresses (each with one hard bounce, as a state that has
# tracked them), writes three realistic logs of LOG_SIZE (different seeds, the same hours), then runs three
# `follow --host-name mxK --from start` at once until each has committed its whole log. Prints per host its
# lines/s, commits, recipient rows merged per commit and how long a commit held its row locks; for the fleet,
# commits/s and the table's size. Logs are cached in $BENCH_DIR (default /tmp/bouncetail-bench).
#
# With RATE and SECONDS the followers keep pace with live logs instead: each log starts empty and grows by
# RATE lines a second (in tenth-of-a-second steps, taken from the generated log) for SECONDS; printed are the
# same per-host figures, how far behind its log a follower was at worst (sampled each second) and how long
# the fleet took to catch up once the logs stopped growing.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
size=${2:-64M}
rate=${3:-}
seconds=${4:-60}
swift build -c release --product bouncetail >/dev/null
swift build -c release --product bouncetail-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
bt=$bin/bouncetail
gen=$bin/bouncetail-bench
base=${BENCH_DIR:-/tmp/bouncetail-bench}/fleet
mkdir -p "$base"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d "$base/run-XXXX")
chown postgres "$work"
runuser -u postgres -- "$pgbin/initdb" -D "$work/data" -A trust -U bouncetail >/dev/null
setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/postgres" -D "$work/data" -k "$work" \
    -c listen_addresses= -c shared_buffers=2GB -c max_wal_size=8GB >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
until "$pgbin/pg_isready" -q -h "$work"; do sleep 0.2; done
db="host=$work user=bouncetail dbname=postgres"
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }

"$bt" migrate --state "$db" >/dev/null
t=$(now)
psql "$db" -X -q -c "
INSERT INTO bouncetail.recipients (address, hard, soft, first_bounce, last_bounce, last_reason, suppressed, timeline)
SELECT 'user' || i || '@customer' || (i % 5000) || '.example.net', 1, 0, ts, ts, 'userunknown', false,
       't1 - f' || E'\n' || 'b 0 0 - - - - 0 - - -' || E'\n' || 'r 1 0 ' || s || ' ' || s || ' - userunknown 0 - - -'
       || E'\n' || 'h ' || s || ' userunknown'
FROM generate_series(1, $n) AS i,
     LATERAL (SELECT timestamptz '2026-10-01 00:00:00+00' + i * interval '1 second' AS ts) AS t,
     LATERAL (SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS s) AS x;" -c "VACUUM ANALYZE bouncetail.recipients"
printf 'recipients table filled with %d addresses in %.0f s (%s)\n' "$n" "$(since "$t")" \
    "$(psql "$db" -X -A -t -c "SELECT pg_size_pretty(pg_total_relation_size('bouncetail.recipients'))")"

for k in 1 2 3; do
    log=$base/mx$k-$size.log
    [ -s "$log" ] || "$gen" generate --format postfix-rfc3339 --size "$size" --recipients 200000 --seed "$k" >"$log"
    cp "$log" "$work/mx$k.log"
done
printf 'three logs of %s, %d lines each on average\n' "$size" $(( $(cat "$work"/mx?.log | wc -l) / 3 ))

commits_before=$(psql "$db" -X -A -t -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'")
start_followers() {
    pids=()
    for k in 1 2 3; do
        "$bt" follow --state "$db" --host-name "mx$k" --deltas "$work/mx$k.jsonl" --from start --verbose \
            "$work/mx$k.log" 2>"$work/mx$k.err" &
        pids+=($!)
    done
}
positions() { psql "$db" -X -A -t -c "SELECT host || ' ' || \"offset\" FROM bouncetail.inputs ORDER BY host" 2>/dev/null || true; }
sizes() { for k in 1 2 3; do printf 'mx%d %d\n' "$k" "$(stat -c %s "$work/mx$k.log")"; done; }
wait_caught_up() { want=$(sizes); until [ "$(positions)" = "$want" ]; do sleep 0.2; done; }

if [ -z "$rate" ]; then
    t=$(now)
    start_followers
    wait_caught_up
    elapsed=$(since "$t")
    summary="all three caught up in $(printf '%.1f' "$elapsed") s"
else
    step=$(( (rate + 9) / 10 ))
    for k in 1 2 3; do
        mkdir -p "$work/chunks$k"
        mv "$work/mx$k.log" "$work/source$k.log"
        split -l "$step" -a 6 -d "$work/source$k.log" "$work/chunks$k/c"
        : >"$work/mx$k.log"
    done
    start_followers
    t=$(now)
    worst=0
    for (( i = 0; i < seconds * 10; i++ )); do
        chunk=$(printf 'c%06d' "$i")
        [ -f "$work/chunks1/$chunk" ] || break
        for k in 1 2 3; do cat "$work/chunks$k/$chunk" >>"$work/mx$k.log"; done
        if (( i % 10 == 9 )); then
            behind=$(paste <(sizes) <(positions) | awk '{ b = $2 - ($4 == "" ? 0 : $4); if (b > m) m = b } END { print m + 0 }')
            (( behind > worst )) && worst=$behind
        fi
        pause=$(echo "$t + ($i + 1) / 10 - $(now)" | bc -l)
        [[ $pause == -* ]] || sleep "$pause"
    done
    fed=$(since "$t")
    s=$(now)
    wait_caught_up
    elapsed=$(since "$t")
    fed_lines=$(( $(wc -l <"$work/mx1.log") ))
    summary=$(printf 'live logs: %d lines/s a host for %.0f s (%d lines each); worst lag %d bytes (about %.1f s of log); caught up %.1f s after the last line' \
        "$rate" "$fed" "$fed_lines" "$worst" "$(echo "$worst / ($(stat -c %s "$work/mx1.log") / $fed)" | bc -l)" "$(since "$s")")
fi
for p in "${pids[@]}"; do kill -TERM "$p"; done
wait "${pids[@]}" || true
commits=$(( $(psql "$db" -X -A -t -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'") - commits_before ))

echo "$summary"
for k in 1 2 3; do
    lines=$(wc -l <"$work/mx$k.log")
    printf '  mx%d  %6.0f lines/s  %s\n' "$k" "$(echo "$lines / $elapsed" | bc -l)" "$(grep -E 'commits, ' "$work/mx$k.err" | tail -1 | sed 's/^bouncetail: //')"
done
follower_commits=$(for k in 1 2 3; do grep -oE '[0-9]+ commits, ' "$work/mx$k.err" | tail -1; done | awk '{ n += $1 } END { print n + 0 }')
printf '  fleet: %.1f follower commits/s; the server committed %.1f transactions/s (with this script'"'"'s polling)\n' \
    "$(echo "$follower_commits / $elapsed" | bc -l)" "$(echo "$commits / $elapsed" | bc -l)"
printf '  recipients after: %s rows, %s; deltas %s\n' \
    "$(psql "$db" -X -A -t -c "SELECT count(*) FROM bouncetail.recipients")" \
    "$(psql "$db" -X -A -t -c "SELECT pg_size_pretty(pg_total_relation_size('bouncetail.recipients'))")" \
    "$(psql "$db" -X -A -t -c "SELECT count(*) FROM bouncetail.deltas")"
