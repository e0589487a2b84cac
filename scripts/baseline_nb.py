#!/usr/bin/env python3
"""scripts/baseline_nb.py — a bag-of-n-grams baseline for the text classifier.

Multinomial naive Bayes (Bernoulli-style presence counts, additive smoothing)
over character 2-, 3- and 4-grams of the lower-cased turn plus its
white-space words, trained on the training split of data/scenarios and
scored on the validation and test splits with the same macro-F1 as
`animasync train-classifier --evaluate`. Python standard library only.

It answers one question for docs/CLASSIFIER.md: how much of the 16-way task
do surface cues alone solve on this corpus? (The current turn only, no
context; uniform class prior, since macro-F1 weighs every class alike.)

usage: python3 scripts/baseline_nb.py [--dir data/scenarios] [--alpha 0.3]
"""
import argparse
import collections
import glob
import json
import math
import os


def load(directory):
    with open(os.path.join(directory, "split.json"), encoding="utf-8") as f:
        split = json.load(f)
    where = {sid: name for name in ("train", "validation", "test") for sid in split[name]}
    data = {"train": [], "validation": [], "test": []}
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                scenario = json.loads(line)
                name = where.get(scenario["id"])
                if name is None:
                    continue
                for turn in scenario["turns"]:
                    data[name].append((turn["text"], turn["emotion"]))
    return data


def features(text):
    t = " " + text.lower() + " "
    out = set()
    for n in (2, 3, 4):
        for i in range(len(t) - n + 1):
            out.add(t[i:i + n])
    for w in text.lower().split():
        out.add("W" + w.strip(".,!?…~\"'"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="data/scenarios")
    ap.add_argument("--alpha", type=float, default=0.3, help="additive smoothing (default 0.3)")
    args = ap.parse_args()
    data = load(args.dir)
    counts = collections.defaultdict(collections.Counter)
    for text, emotion in data["train"]:
        counts[emotion].update(features(text))
    classes = sorted(counts)
    vocab = set()
    for c in classes:
        vocab.update(counts[c])
    total = {c: sum(counts[c].values()) for c in classes}
    denom = {c: math.log(total[c] + args.alpha * len(vocab)) for c in classes}

    def predict(text):
        fs = [f for f in features(text) if f in vocab]
        return max(classes, key=lambda c: sum(math.log(counts[c][f] + args.alpha) - denom[c] for f in fs))

    print(f"train {len(data['train'])} turns, {len(classes)} classes, {len(vocab)} n-gram features")
    for name in ("validation", "test"):
        tp, fp, fn = collections.Counter(), collections.Counter(), collections.Counter()
        for text, emotion in data[name]:
            guess = predict(text)
            if guess == emotion:
                tp[emotion] += 1
            else:
                fp[guess] += 1
                fn[emotion] += 1
        f1 = [2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]) if tp[c] + fp[c] + fn[c] else 0.0 for c in classes]
        acc = sum(tp.values()) / len(data[name])
        print(f"{name}: {len(data[name])} turns, accuracy {acc:.4f}, macro-F1 {sum(f1) / len(f1):.4f}")


if __name__ == "__main__":
    main()
