#!/usr/bin/python3
"""Compare two folders of .npy outputs (0.npy, 1.npy, ...): A is the result under test, B the
reference (ONNX Runtime, the TFLite NumPy interpreter, ...).

    compare.py A_DIR B_DIR [--tol 1e-4]

For every i.npy in B: A must have i.npy with the same shape and dtype, and the normalised
error max|a - b| / max(max|b|, 1e-3) must be <= tol (integer and bool outputs must be equal:
their error is 0 or at least 1 / max|b|). NaN in either side at different places fails.
Prints one line per output; exit 0 when all pass, 1 otherwise, 2 on bad usage.
"""

import argparse
import os
import re
import sys

import numpy as np


def compare(a, b):
    """Normalised error of a against the reference b (inf when the NaN patterns differ)."""
    if a.size == 0:
        return 0.0
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    na, nb = np.isnan(a64), np.isnan(b64)
    if (na != nb).any():
        return float("inf")
    fin = ~nb
    inf_a, inf_b = np.isinf(a64) & fin, np.isinf(b64) & fin
    if (inf_a != inf_b).any() or (a64[inf_b] != b64[inf_b]).any():
        return float("inf")
    m = fin & ~inf_b
    if not m.any():
        return 0.0
    diff = np.abs(a64[m] - b64[m]).max()
    return float(diff / max(np.abs(b64[m]).max(), 1e-3))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a_dir")
    ap.add_argument("b_dir")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args(argv)
    names = sorted((f for f in os.listdir(args.b_dir) if re.fullmatch(r"\d+\.npy", f)),
                   key=lambda f: int(f[:-4]))
    if not names:
        print("compare: no N.npy files in %s" % args.b_dir, file=sys.stderr)
        return 1
    ok = True
    for f in names:
        pa, pb = os.path.join(args.a_dir, f), os.path.join(args.b_dir, f)
        b = np.load(pb, allow_pickle=False)
        if not os.path.exists(pa):
            print("%-8s FAIL missing in %s" % (f, args.a_dir))
            ok = False
            continue
        a = np.load(pa, allow_pickle=False)
        if a.shape != b.shape or a.dtype != b.dtype:
            print("%-8s FAIL shape/dtype %s %s vs reference %s %s" % (f, a.shape, a.dtype.str, b.shape, b.dtype.str))
            ok = False
            continue
        err = compare(a, b)
        good = err <= args.tol
        ok &= good
        print("%-8s %s err %.3e (tol %.1e) shape %s %s" % (f, "ok  " if good else "FAIL", err, args.tol,
                                                           list(b.shape), b.dtype.str))
    extra = sorted(set(f for f in os.listdir(args.a_dir) if re.fullmatch(r"\d+\.npy", f)) - set(names))
    for f in extra:
        print("%-8s note: only in %s" % (f, args.a_dir))
    print("compare: %s" % ("all outputs within tolerance" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
