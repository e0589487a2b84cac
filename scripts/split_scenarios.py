#!/usr/bin/env python3
"""scripts/split_scenarios.py — makes data/scenarios/split.json: a stratified
train/validation/test split of the scenario corpus BY SCENARIO (docs/CORPUS.md).

A scenario never straddles two splits, and a scenario and its translation
(the "parallel" field) always land in the same split. The split aims at
80/10/10 of the turns, with every split's share of each emotion class (over
all turns, and over SELF turns separately) and of each language close to the
corpus-wide share, and every class present in every split.

Method: a greedy start (units in order of decreasing size, each placed in the
split that most lowers the cost) followed by local search (moves of one unit
and swaps of two units between splits, accepted while they lower the cost),
from several seeded random unit orders; the lowest cost wins. The cost is a
sum of squared relative deviations from the targets, plus a large penalty for
a class missing from a split. Python 3 standard library only; deterministic
for a given --seed.

With --keep, the scenarios split.json already assigns stay where they are and
only new scenarios are placed (the way to extend the corpus without moving a
test scenario into training, or the reverse).

Usage: python3 scripts/split_scenarios.py [--dir data/scenarios] [--seed 1] [--restarts 8] [--keep]
"""
import argparse
import glob
import json
import os
import random
import sys

CLASSES = ["neutral", "joy", "gratitude", "laughter", "excitement", "agreement", "sadness", "crying",
           "sulk", "apology", "worry", "anger", "refusal", "surprise", "fluster", "shy"]
SPLITS = ["train", "validation", "test"]
FRACTIONS = [0.8, 0.1, 0.1]
LANGS = ["en", "ko"]
MISSING_PENALTY = 1000.0


def load(directory):
    scenarios = []
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    scenarios.append(json.loads(line))
    return scenarios


def make_units(scenarios):
    """Groups each scenario with its translations (union-find over "parallel")."""
    index = {s["id"]: i for i, s in enumerate(scenarios)}
    parent = list(range(len(scenarios)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, s in enumerate(scenarios):
        if "parallel" in s and s["parallel"] in index:
            parent[root(i)] = root(index[s["parallel"]])
    groups = {}
    for i in range(len(scenarios)):
        groups.setdefault(root(i), []).append(i)
    units = []
    for members in sorted(groups.values()):
        vec = [0] * (2 * len(CLASSES) + len(LANGS) + 1)
        for i in members:
            s = scenarios[i]
            for t in s["turns"]:
                c = CLASSES.index(t["emotion"])
                vec[c] += 1
                if t["speaker"] == "SELF":
                    vec[len(CLASSES) + c] += 1
                vec[2 * len(CLASSES) + LANGS.index(s["lang"])] += 1
                vec[-1] += 1
        units.append((members, vec))
    return units


def cost_of(sums, totals):
    """Squared relative deviation of each split's counts from its target share."""
    cost = 0.0
    for k, frac in enumerate(FRACTIONS):
        for j, total in enumerate(totals):
            if total == 0:
                continue
            target = frac * total
            dev = (sums[k][j] - target) / max(target, 1.0)
            # the turn total (last entry) weighs most: it sets the 80/10/10 sizes
            w = 20.0 if j == len(totals) - 1 else 1.0
            cost += w * dev * dev
        for c in range(len(CLASSES)):
            if totals[c] and sums[k][c] == 0:
                cost += MISSING_PENALTY
    return cost


def search(units, totals, rng, fixed):
    """fixed: unit -> split index for units that must not move."""
    n = len(units)
    dim = len(totals)
    order = [u for u in range(n) if u not in fixed]
    rng.shuffle(order)
    order.sort(key=lambda u: -units[u][1][-1])  # big units first; ties in random order
    assign = [0] * n
    sums = [[0] * dim for _ in SPLITS]
    for u, k in fixed.items():
        assign[u] = k
        for j in range(dim):
            sums[k][j] += units[u][1][j]
    # greedy start
    for u in order:
        best, best_k = None, 0
        for k in range(len(SPLITS)):
            for j in range(dim):
                sums[k][j] += units[u][1][j]
            c = cost_of(sums, totals)
            for j in range(dim):
                sums[k][j] -= units[u][1][j]
            if best is None or c < best:
                best, best_k = c, k
        assign[u] = best_k
        for j in range(dim):
            sums[best_k][j] += units[u][1][j]

    def apply(u, k, sign):
        for j in range(dim):
            sums[k][j] += sign * units[u][1][j]

    current = cost_of(sums, totals)
    improved = True
    while improved:
        improved = False
        for u in order:  # moves
            k0 = assign[u]
            for k in range(len(SPLITS)):
                if k == k0:
                    continue
                apply(u, k0, -1)
                apply(u, k, +1)
                c = cost_of(sums, totals)
                if c < current - 1e-12:
                    current, assign[u], k0 = c, k, k
                    improved = True
                else:
                    apply(u, k, -1)
                    apply(u, k0, +1)
        for a in order:  # swaps
            for b in order:
                ka, kb = assign[a], assign[b]
                if a >= b or ka == kb:
                    continue
                apply(a, ka, -1)
                apply(a, kb, +1)
                apply(b, kb, -1)
                apply(b, ka, +1)
                c = cost_of(sums, totals)
                if c < current - 1e-12:
                    current = c
                    assign[a], assign[b] = kb, ka
                    improved = True
                else:
                    apply(a, kb, -1)
                    apply(a, ka, +1)
                    apply(b, ka, -1)
                    apply(b, kb, +1)
    return current, assign, sums


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="data/scenarios")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--restarts", type=int, default=8)
    ap.add_argument("--keep", action="store_true", help="keep the assignments of the existing split.json")
    args = ap.parse_args()

    scenarios = load(args.dir)
    units = make_units(scenarios)
    fixed = {}
    if args.keep:
        with open(os.path.join(args.dir, "split.json"), encoding="utf-8") as f:
            old = json.load(f)
        where = {sid: k for k, name in enumerate(SPLITS) for sid in old.get(name, [])}
        for u, (members, _) in enumerate(units):
            ks = {where.get(scenarios[i]["id"]) for i in members}
            if ks == {None}:
                continue
            if len(ks) != 1:
                sys.exit(f"split_scenarios: {[scenarios[i]['id'] for i in members]} (translations) are in different "
                         "splits or partly unassigned in split.json; fix it by hand")
            fixed[u] = ks.pop()
    dim = len(units[0][1])
    totals = [sum(u[1][j] for u in units) for j in range(dim)]
    rng = random.Random(args.seed)
    best = None
    for _ in range(args.restarts):
        result = search(units, totals, rng, fixed)
        if best is None or result[0] < best[0]:
            best = result
    cost, assign, sums = best

    out = {"format": "animasync-scenario-split", "version": 1}
    out["method"] = ("Stratified split by scenario (translations kept together): greedy start plus local search "
                     "(single moves and pairwise swaps) minimising the squared relative deviation of every split's "
                     "turn count (target 80/10/10), per-class turn counts (all turns and SELF turns) and per-language "
                     "turn counts from their targets, with a penalty for a class missing from a split; best of "
                     f"{args.restarts} seeded restarts (cost {cost:.4f})" +
                     (f"; {len(fixed)} earlier assignments kept." if args.keep else "."))
    out["command"] = (f"python3 scripts/split_scenarios.py --dir {args.dir} --seed {args.seed} "
                      f"--restarts {args.restarts}" + (" --keep" if args.keep else ""))
    out["seed"] = args.seed
    counts = {}
    for k, name in enumerate(SPLITS):
        ids = sorted(scenarios[i]["id"] for u, members_vec in enumerate(units) if assign[u] == k
                     for i in members_vec[0])
        out[name] = ids
        counts[name] = {"scenarios": len(ids), "turns": sums[k][-1],
                        "classes": {c: sums[k][j] for j, c in enumerate(CLASSES)},
                        "langs": {l: sums[k][2 * len(CLASSES) + j] for j, l in enumerate(LANGS)}}
    out["counts"] = counts
    # Field order for readers: provenance first, the long id lists last.
    ordered = {key: out[key] for key in ["format", "version", "method", "command", "seed", "counts"] + SPLITS}
    path = os.path.join(args.dir, "split.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(ordered, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    total = totals[-1]
    for k, name in enumerate(SPLITS):
        print(f"{name:10s} {counts[name]['scenarios']:4d} scenarios {sums[k][-1]:5d} turns "
              f"({sums[k][-1] / total:.1%})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
