#!/usr/bin/env python3
"""Compares the results of two run directories (or two folders of run directories) byte for
byte: metrics.csv, lanes.csv and seeds.csv, leaving out wall-clock timings (the `seconds`
metric rows of metrics.csv and the `seconds` column of seeds.csv). Exit status 1 on any
difference. Usage: scripts/compare-runs.py OLD NEW"""
import csv, io, os, sys


def strip_seconds(name, text):
    if name == "metrics.csv":
        return "\n".join(l for l in text.splitlines() if ",seconds," not in l)
    if name == "seeds.csv":
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            return ""
        keep = [i for i, h in enumerate(rows[0]) if h != "seconds"]
        return "\n".join(",".join(r[i] for i in keep) for r in rows)
    return text


def run_dirs(root):
    if os.path.exists(os.path.join(root, "metrics.csv")):
        return {".": root}
    return {
        d: os.path.join(root, d)
        for d in sorted(os.listdir(root))
        if os.path.exists(os.path.join(root, d, "metrics.csv"))
    }


def main(old, new):
    a, b = run_dirs(old), run_dirs(new)
    bad = 0
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            print(f"{name}: only in {'old' if name in a else 'new'}")
            bad += 1
            continue
        for f in ["metrics.csv", "lanes.csv", "seeds.csv"]:
            pa, pb = os.path.join(a[name], f), os.path.join(b[name], f)
            ta = strip_seconds(f, open(pa).read()) if os.path.exists(pa) else None
            tb = strip_seconds(f, open(pb).read()) if os.path.exists(pb) else None
            if ta != tb:
                bad += 1
                la, lb = (ta or "").splitlines(), (tb or "").splitlines()
                first = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
                print(f"{name}/{f}: differs at line {first + 1}")
                print(f"  old: {la[first] if first < len(la) else '<end>'}"[:300])
                print(f"  new: {lb[first] if first < len(lb) else '<end>'}"[:300])
        print(f"{name}: {'identical' if not bad else 'checked'}")
    print("IDENTICAL" if bad == 0 else f"{bad} DIFFERENCE(S)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
