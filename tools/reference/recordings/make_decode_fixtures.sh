#!/usr/bin/env bash
# Makes the committed decoder fixtures (core/audio/fixtures/decode-*) from synthetic audio: one
# second of two swept tones (a different sweep per channel, 16 kHz, 16-bit stereo) written as WAV,
# then encoded by the reference encoders. core/audio/decode.test.ts decodes each and compares it with
# the WAV. Needs Debian's sox, flac and opus-tools.
set -euo pipefail
out="$(cd "$(dirname "$0")/../../../core/audio/fixtures" && pwd)"
cd "$out"
sox -n -r 16000 -c 2 -b 16 decode-source.wav synth 1 sine 200-900 sine 1200-400 gain -8
flac --silent --force --best -o decode-source.flac decode-source.wav
opusenc --quiet --bitrate 64 decode-source.wav decode-source.opus
