#!/usr/bin/env bash
# Regenerates core/audio/fixtures/{ulaw,alaw}-{encode,decode}.bin from the ITU-T STL g711.c.
# The STL is fetched into a temporary directory and never committed (ITU-T licence).
# Usage: tools/reference/g711/generate.sh [STL_CHECKOUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../../core/audio/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stl="${1:-}"
if [[ -z "$stl" ]]; then
  git clone --depth 1 https://github.com/openitu/STL.git "$work/STL"
  stl="$work/STL"
fi
gcc -O2 -Wall -I"$stl/src/g711" -o "$work/g711-vectors" "$here/driver.c" "$stl/src/g711/g711.c"
mkdir -p "$out"
"$work/g711-vectors" "$out"
(cd "$out" && sha256sum ulaw-encode.bin alaw-encode.bin ulaw-decode.bin alaw-decode.bin)
