#!/usr/bin/python3
"""Run a TFLite model with the NumPy interpreter in tflite_np.py (the TFLite oracle).

    tflite_run.py MODEL.tflite IN0.npy [IN1.npy ...] -o DIR [--ops]

Inputs in the subgraph's input order. Writes DIR/0.npy, DIR/1.npy, ... in the subgraph's
output order (float32 '<f4', C order, .npy format 1.0) and prints one line per output:
index, name, dtype, shape. --ops also prints the operator list. Exit 1 on error, 2 on usage.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite_np import TFLiteModel  # noqa: E402


def save_atomic(path, arr):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(arr), allow_pickle=False)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--ops", action="store_true", help="print the operators in execution order")
    args = ap.parse_args(argv)
    try:
        m = TFLiteModel.load(args.model)
        if args.ops:
            for i, name in enumerate(m.op_names()):
                print("op %d\t%s" % (i, name))
        if len(args.inputs) != len(m.inputs):
            raise ValueError("%s has %d inputs (%s), %d .npy files given" % (
                args.model, len(m.inputs), ", ".join(d[0] or "?" for d in m.input_details()), len(args.inputs)))
        xs = [np.load(p, allow_pickle=False) for p in args.inputs]
        outs = m.run(xs)
        os.makedirs(args.out, exist_ok=True)
        for i, (o, (name, _, _)) in enumerate(zip(outs, m.output_details())):
            save_atomic(os.path.join(args.out, "%d.npy" % i), o)
            print("%d\t%s\t%s\t[%s]" % (i, name, o.dtype.name, ",".join(str(d) for d in o.shape)))
    except Exception as e:  # one clear line, as ort_run.js does
        print("tflite_run: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
