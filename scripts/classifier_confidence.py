#!/usr/bin/env python3
"""scripts/classifier_confidence.py — how far the classifier's confidence
can be trusted: for the turns of one split of data/scenarios, classified
alone (no context, as `say` classifies a first sentence), the share of
non-neutral predictions kept and their precision when only predictions whose
top probability reaches a threshold are kept.

It answers one question for docs/CLASSIFIER.md: would a confidence floor
make `say`'s automatic tags more reliable? Python standard library only;
runs `animasync classify --format json` once per turn.

usage: python3 scripts/classifier_confidence.py [--bin build/release/animasync]
                                                [--dir data/scenarios] [--split validation]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_nb import load  # noqa: E402  (the same split reader)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="build/release/animasync")
    ap.add_argument("--dir", default="data/scenarios")
    ap.add_argument("--split", default="validation", choices=("validation", "test"))
    args = ap.parse_args()
    turns = load(args.dir)[args.split]
    rows = []
    for i, (text, label) in enumerate(turns):
        out = subprocess.run([args.bin, "classify", text, "--format", "json"], capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"classify failed on turn {i}: {out.stderr.strip()}")
        d = json.loads(out.stdout)
        rows.append((d["emotion"], label, max(d["probabilities"].values())))
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{len(turns)} turns", file=sys.stderr)
    n = len(rows)
    print(f"{args.split}: {n} turns, accuracy {sum(p == y for p, y, _ in rows) / n:.3f}")
    tagged = [r for r in rows if r[0] != "neutral"]
    print("top probability >=  kept non-neutral  precision")
    for th in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        kept = [r for r in tagged if r[2] >= th]
        if kept:
            prec = sum(p == y for p, y, _ in kept) / len(kept)
            print(f"  {th:.1f}               {len(kept):4d} / {len(tagged):4d}      {prec:.3f}")


if __name__ == "__main__":
    main()
