#!/usr/bin/env bash
# scripts/make_feature_fixtures.sh — makes the committed fixtures of the audio
# feature tests (tests/fixtures/features/, described in its README.md):
#
#   sweep.wav             synthetic: 0.15 s silence, a 0.8 s exponential sine
#                         sweep 100 Hz -> 6000 Hz at amplitude 0.5 with 10 ms
#                         raised-cosine fades, 0.15 s silence; 16 kHz, 16-bit
#                         (Python 3 standard library only)
#   speech.wav            espeak-ng 1.51, voice en-us, "Hello, Bob." at its
#                         defaults (22050 Hz, 16-bit)
#   *.expected.txt        the feature frames of each, written by the test
#                         program itself (tests/test_features --write-expected)
#
# Usage: scripts/make_feature_fixtures.sh [BUILD_DIR]   (default: build-feat)
#   --audio-only   remake the WAV files only
#   --expected-only  rewrite the expected frames only (after a reviewed change
#                  of the extractor; see the README before doing this)
# Run from anywhere; needs python3, espeak-ng and a configured build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-feat
audio=1
expected=1
for arg in "$@"; do
  case "$arg" in
    --audio-only) expected=0 ;;
    --expected-only) audio=0 ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) build="$arg" ;;
  esac
done
dir=tests/fixtures/features
mkdir -p "$dir"

if [ "$audio" = 1 ]; then
  python3 - "$dir/sweep.wav" <<'EOF'
import math, struct, sys, wave
rate, amp = 16000, 0.5
lead, sweep, tail, fade = 0.15, 0.80, 0.15, 0.010
f0, f1 = 100.0, 6000.0
k = math.log(f1 / f0)
samples = [0.0] * int(lead * rate)
n = int(sweep * rate)
for i in range(n):
    t = i / rate
    # exponential sweep: f(t) = f0 (f1/f0)^(t/T), phase = 2 pi f0 T / ln(f1/f0) ((f1/f0)^(t/T) - 1)
    phase = 2.0 * math.pi * f0 * sweep / k * (math.exp(k * t / sweep) - 1.0)
    g = 1.0
    if t < fade: g = 0.5 - 0.5 * math.cos(math.pi * t / fade)
    if t > sweep - fade: g = 0.5 - 0.5 * math.cos(math.pi * (sweep - t) / fade)
    samples.append(amp * g * math.sin(phase))
samples += [0.0] * int(tail * rate)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", max(-32768, min(32767, round(s * 32767)))) for s in samples))
EOF
  espeak-ng -v en-us -w "$dir/speech.wav" "Hello, Bob."
  echo "wrote $dir/sweep.wav $dir/speech.wav"
fi

if [ "$expected" = 1 ]; then
  cmake --build "$build" --target test_features >/dev/null
  "$build/tests/test_features" --write-expected "$dir"
fi
