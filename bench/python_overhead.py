#!/usr/bin/env python3
"""What a Python call adds to a batch-1 run of the C++ engine.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_overhead.py [--rounds 15] [--calls 20000]

For one model (an MLP of --sizes compressed to 10%, 4 bits; or --model FILE.eie), each round times
`calls` back-to-back runs inside C++ (the baseline: ModelEngine::run on the same input, no Python) and
`calls` Python calls engine(x) with a C-contiguous float32 input, in turns. The overhead is their difference
per call; the median and the spread (min..max) over the rounds are printed, as JSON with --json. Both
sides count the calling thread's CPU time (the engine runs with threads=1), so other processes on a busy
machine do not inflate either.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np

import eie

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "python"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="an .eie file with one graph input (default: an MLP of --sizes)")
    parser.add_argument("--sizes", default="256,128,10",
                        help="layer sizes of the default MLP (small, so that the run's own noise stays small)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if args.model:
        model = eie.load(args.model)
    else:
        from compress_run_simulate import make_mlp

        path = os.path.join(tempfile.mkdtemp(prefix="eie_bench_"), "mlp.onnx")
        make_mlp(path, sizes=tuple(int(v) for v in args.sizes.split(",")))
        model = eie.compress(path, density=0.1, bits=4)
    shape = tuple(1 if d < 0 else d for d in model.inputs[0][1])
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    engine = model.engine(threads=1, max_batch=1)
    engine(x)  # plans batch 1

    cpp, py = [], []
    for _ in range(args.rounds):
        cpp.append(engine._engine.time_runs([x], args.calls))
        t0 = time.thread_time()
        for _ in range(args.calls):
            engine(x)
        py.append((time.thread_time() - t0) / args.calls)
    overhead = [p - c for p, c in zip(py, cpp)]
    us = lambda v: round(v * 1e6, 3)  # noqa: E731
    result = {"model": args.model or f"mlp {args.sizes.replace(',', '-')}, density 0.1, 4 bits", "machine": platform.processor()
              or platform.machine(), "rounds": args.rounds, "calls_per_round": args.calls,
              "cpp_run_us": {"median": us(statistics.median(cpp)), "min": us(min(cpp)), "max": us(max(cpp))},
              "python_call_us": {"median": us(statistics.median(py)), "min": us(min(py)), "max": us(max(py))},
              "overhead_us": {"median": us(statistics.median(overhead)), "min": us(min(overhead)),
                              "max": us(max(overhead))}}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"batch 1, {result['model']}; {args.rounds} rounds of {args.calls} calls")
    for key, label in (("cpp_run_us", "C++ run"), ("python_call_us", "Python engine(x)"),
                       ("overhead_us", "added by Python")):
        r = result[key]
        print(f"  {label:<18} median {r['median']:8.3f} us  (min {r['min']:.3f}, max {r['max']:.3f})")


if __name__ == "__main__":
    main()
