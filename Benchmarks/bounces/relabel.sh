#!/usr/bin/env bash
# Rebuilds every labelled set of Benchmarks/bounces/ from its source in src/ with Sisimai (Debian
# libsisimai-perl), through Benchmarks/sisimai-label.pl: after a new Sisimai, or to check that a set is what its
# source gives (`git diff` shows any row whose label moved). (project-diagnostics.tsv comes from the texts of
# Tests/Data/diagnostics.tsv, not from src/.)
#
#   Benchmarks/bounces/relabel.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
label=Benchmarks/sisimai-label.pl
# One Postfix bounce per text (with the relay host the source names).
perl "$label" providers < Benchmarks/bounces/src/providers.in.tsv > Benchmarks/bounces/providers.tsv
perl "$label" 'MTA messages, Benchmarks/bounces/src/mta-messages.in.tsv' < Benchmarks/bounces/src/mta-messages.in.tsv > Benchmarks/bounces/mta-messages.tsv
perl "$label" 'delivery notices, Benchmarks/bounces/src/ndr-texts.in.tsv' < Benchmarks/bounces/src/ndr-texts.in.tsv > Benchmarks/bounces/ndr-texts.tsv
perl "$label" isp-replies < Benchmarks/bounces/src/isp-replies.in.tsv > Benchmarks/bounces/isp-replies.tsv
# The same texts in several MTAs' notices, each row as Sisimai read it out of the notice.
notices() {
    local name=$1 src=$2
    shift 2
    for m in "$@"; do
        if [ "$m" = postfix ]; then perl "$label" "$name" < "$src"; else perl "$label" --notice "$m" "$name" < "$src"; fi
    done | awk 'NR == 1 || $1 != "id"'
}
notices mta-messages Benchmarks/bounces/src/mta-messages.in.tsv qmail sendmail exim courier gmail > Benchmarks/bounces/mta-notices.tsv
notices local-notices Benchmarks/bounces/src/local-notices.in.tsv exim qmail > Benchmarks/bounces/local-notices.tsv
notices common-wordings Benchmarks/bounces/src/common-wordings.in.tsv postfix exim qmail sendmail > Benchmarks/bounces/common-wordings.tsv
