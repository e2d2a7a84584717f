#!/usr/bin/env bash
# Speed of `bouncetail serve` as Postfix uses it: N suppressed addresses in the state, many kept connections
# asking at once (one request at a time each), one recipient in ten a suppressed one. Prints requests per
# second, latency percentiles and the service's CPU and RSS.
#
#   Benchmarks/policy-load.sh [SUPPRESSED] [CONNECTIONS] [REQUESTS-PER-CONNECTION]   e.g. 1000000 50 2000
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
connections=${2:-50}
requests=${3:-2000}
swift build -c release --product bouncetail >/dev/null
swift build -c release --product bouncetail-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
seq 0 $((n - 1)) | sed 's/^/suppressed-/; s/$/@example.net/' > "$dir/list"
"$bin/bouncetail" suppress --state "$dir/st" --reason complaint --file "$dir/list" >/dev/null
start=$(date +%s.%N)
"$bin/bouncetail" serve --state "$dir/st" --listen "unix:$dir/policy.sock" 2>"$dir/serve.err" &
pid=$!
until [ -S "$dir/policy.sock" ]; do sleep 0.01; done
echo "$n suppressed addresses: serving after $(echo "$(date +%s.%N) - $start" | bc -l | cut -c1-5) s"
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks)
"$bin/bouncetail-bench" policy --socket "$dir/policy.sock" --connections "$connections" --requests "$requests" --suppressed "$n"
after=$(ticks)
total=$((connections * requests))
hz=$(getconf CLK_TCK)
echo "service CPU: $(echo "($after - $before) * 1000000 / $hz / $total" | bc -l | cut -c1-5) µs per request; RSS $(awk '/VmHWM/ {print int($2/1024)}' /proc/$pid/status) MiB"
