#!/usr/bin/env bash
# How bouncetail weighs a phrase against an enhanced code, beside the reference: every pairing of a plain phrase
# of each cause with a code of each cause, at RCPT and after DATA, labelled by Sisimai (Debian libsisimai-perl,
# through Benchmarks/sisimai-label.pl) and scored by Benchmarks/classify-agreement.pl.
#
#   Benchmarks/weighing-grid.sh [--misses all]      (after a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
codes="5.1.1 5.1.2 5.2.1 5.2.0 5.2.2 5.2.3 5.3.4 4.2.1 5.1.6 5.1.8 5.3.1 5.3.2 5.5.3 4.7.1 5.7.25 5.6.0 5.3.0 5.4.0 4.4.7 5.7.1 5.7.13 5.1.10"
phrases=(
    "User unknown" "Domain does not exist" "Mailbox full" "message too large"
    "Message size exceeds fixed maximum message size" "account has been suspended" "Sender address rejected"
    "Relay access denied" "blocked using zen.spamhaus.org" "Message rejected as spam" "Virus detected"
    "Message rejected due to DMARC policy" "Too many connections" "Authentication required" "Too many hops"
    "Delivery time expired" "Temporary local problem" "greylisted"
)
i=0
for p in "${phrases[@]}"; do
    for c in $codes; do
        for command in RCPT DATA; do
            i=$((i + 1))
            printf 'W%04d\t%s50\t%s\t%s\t%s50 %s %s\tmx.example.net\n' "$i" "${c:0:1}" "$c" "$command" "${c:0:1}" "$c" "$p"
        done
    done
done >"$work/grid.in.tsv"
perl Benchmarks/sisimai-label.pl "weighing grid" <"$work/grid.in.tsv" >"$work/weighing-grid.tsv"
perl Benchmarks/classify-agreement.pl "$@" "$work/weighing-grid.tsv"
