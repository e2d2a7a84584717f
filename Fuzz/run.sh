#!/usr/bin/env bash
# Fuzzes the gzip reading path (GzipSource over every decoder the build has) with libFuzzer and AddressSanitizer.
#
#   Fuzz/run.sh [SECONDS] [CORPUS_DIR]     default 60 s; CI runs it for 60 s after the tests
#
# The corpus starts from the shipped gzip samples and grows in CORPUS_DIR (default: a fresh temporary directory,
# so a CI run always starts the same way); keep a directory between runs to fuzz longer, e.g.
#   Fuzz/run.sh 3600 ~/bouncetail-gzip-corpus
# A crash or a failed check stops the run, exits non-zero and leaves the input in .build-fuzz/artifacts/;
# replay it with `.build-fuzz/release/bouncetail-fuzz-gzip FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
corpus=${2:-$(mktemp -d)}
mkdir -p "$corpus" .build-fuzz/artifacts
cp -n samples/rotated/*.gz "$corpus"/ 2>/dev/null || true

# The target is in the package only when BOUNCETAIL_FUZZ is set (it has no main of its own). SwiftPM's
# --sanitize fuzzer links libFuzzer but does not instrument Swift code for coverage, hence -sanitize-coverage.
BOUNCETAIL_FUZZ=1 swift build -c release --build-path .build-fuzz --sanitize fuzzer --sanitize address \
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table --product bouncetail-fuzz-gzip
.build-fuzz/release/bouncetail-fuzz-gzip -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=.build-fuzz/artifacts/ "$corpus"
