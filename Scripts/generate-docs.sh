#!/usr/bin/env bash
# Regenerates what the argument parser can write: shell completions (completions/) and the man page
# (docs/man/bouncetail.1). Tests check that both are in step with the commands.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product bouncetail >/dev/null
bin=$(swift build --show-bin-path)/bouncetail
mkdir -p completions docs/man
"$bin" --generate-completion-script bash >completions/bouncetail.bash
"$bin" --generate-completion-script zsh >completions/_bouncetail
"$bin" --generate-completion-script fish >completions/bouncetail.fish
out=$(mktemp -d)
swift package --allow-writing-to-directory "$out" generate-manual --date 2026-11-23 --output-directory "$out" >/dev/null
cp "$out/bouncetail.1" docs/man/bouncetail.1
rm -rf "$out"
echo "completions/ and docs/man/bouncetail.1 regenerated"
