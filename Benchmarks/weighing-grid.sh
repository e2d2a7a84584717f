#!/usr/bin/env bash
# How bouncetail weighs a phrase against codes and the SMTP stage, beside the reference, in three grids labelled
# by Sisimai (Debian libsisimai-perl, through Benchmarks/sisimai-label.pl) and scored by
# Benchmarks/classify-agreement.pl:
#   phrase-code   every pairing of a plain phrase of each cause with an enhanced code of each cause, at RCPT
#                 and after DATA;
#   code-alone    each enhanced code, and each bare reply code, under a text that says nothing;
#   phrase-stage  phrases of a few causes under a few codes, at each stage (connection, EHLO, MAIL, RCPT, DATA).
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
done >"$work/phrase-code.in.tsv"

enhanced="4.0.0 4.1.0 4.1.1 4.1.2 4.1.3 4.1.7 4.1.8 4.2.0 4.2.1 4.2.2 4.2.3 4.2.4 4.3.0 4.3.1 4.3.2 4.3.3 4.3.5
    4.4.0 4.4.1 4.4.2 4.4.3 4.4.4 4.4.5 4.4.6 4.4.7 4.5.0 4.5.1 4.5.3 4.5.5 4.6.0 4.7.0 4.7.1 4.7.25 4.7.26 4.7.27
    4.7.500 4.7.650 5.0.0 5.1.0 5.1.1 5.1.2 5.1.3 5.1.4 5.1.5 5.1.6 5.1.7 5.1.8 5.1.9 5.1.10 5.2.0 5.2.1 5.2.2
    5.2.3 5.2.4 5.3.0 5.3.1 5.3.2 5.3.3 5.3.4 5.3.5 5.4.0 5.4.1 5.4.2 5.4.3 5.4.4 5.4.6 5.4.7 5.5.0 5.5.1 5.5.2
    5.5.3 5.5.4 5.5.5 5.5.6 5.6.0 5.6.1 5.6.3 5.7.0 5.7.1 5.7.2 5.7.3 5.7.4 5.7.5 5.7.7 5.7.8 5.7.9 5.7.10 5.7.13
    5.7.14 5.7.15 5.7.17 5.7.20 5.7.23 5.7.25 5.7.26 5.7.27 5.7.28 5.7.500 5.7.509 5.7.606 5.7.700 5.7.750"
{
    i=0
    for c in $enhanced; do
        i=$((i + 1))
        printf 'E%04d\t%s50\t%s\tRCPT\t%s50 %s Nope, not today\tmx.example.net\n' "$i" "${c:0:1}" "$c" "${c:0:1}" "$c"
    done
    for rc in 421 450 451 452 454 500 501 502 503 504 521 530 550 551 552 553 554 556; do
        for command in RCPT DATA; do
            i=$((i + 1))
            printf 'E%04d\t%s\t\t%s\t%s Nope, not today\tmx.example.net\n' "$i" "$rc" "$command" "$rc"
        done
    done
} >"$work/code-alone.in.tsv"

i=0
for p in "User unknown" "No such user here" "Domain does not exist" "blocked using zen.spamhaus.org" "Mailbox full" \
    "Relay access denied" "Service unavailable" "Access denied" "Message rejected as spam"; do
    for c in 5.0.0 5.1.1 5.7.1 5.1.2; do
        for command in CONN EHLO MAIL RCPT DATA; do
            i=$((i + 1))
            printf 'S%04d\t%s50\t%s\t%s\t%s50 %s %s\tmx.example.net\n' "$i" "${c:0:1}" "$c" "$command" "${c:0:1}" "$c" "$p"
        done
    done
done >"$work/phrase-stage.in.tsv"

for g in phrase-code code-alone phrase-stage; do
    perl Benchmarks/sisimai-label.pl "weighing grid: $g" <"$work/$g.in.tsv" >"$work/$g.tsv"
done
perl Benchmarks/classify-agreement.pl "$@" "$work/phrase-code.tsv" "$work/code-alone.tsv" "$work/phrase-stage.tsv" |
    sed "s|$work/||"
