#!/usr/bin/env bash
# scripts/demo.sh — builds animasync and runs its main job on the built-in
# defaults: `animasync say` on an example sentence with emotion tags, writing
# out/demo/speech.wav, anim.json and anim.csv. Installs missing Debian
# packages first. This is the README's first quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
echo "== building (build/release) =="
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)" --target animasync_cli >/dev/null
cli=build/release/animasync
text="[joy:80] Thanks so much for coming! [surprise:60] Wait, you brought a pumpkin pie? [sadness:40] I wish I could stay longer."
echo "== animasync say \"$text\" -o out/demo =="
"$cli" say "$text" -o out/demo
echo
echo "== a few frames of out/demo/anim.csv (time, jawOpen, mouthClose, mouthSmileLeft, browInnerUp, eyeBlinkLeft) =="
awk -F, 'NR==1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
         (NR - 2) % 15 == 0 { printf "t=%5.2fs  jawOpen %.2f  mouthClose %.2f  smileL %.2f  browInnerUp %.2f  blinkL %.2f\n",
           $1, $col["jawOpen"], $col["mouthClose"], $col["mouthSmileLeft"], $col["browInnerUp"], $col["eyeBlinkLeft"] }' out/demo/anim.csv
echo
echo "Play it: build/release/animasync serve, then open http://127.0.0.1:8080/player.html and drop out/demo/anim.json + speech.wav"
