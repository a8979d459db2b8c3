#!/usr/bin/env python3
"""eie from Python, end to end: an ONNX model is compressed (prune + 4-bit weight sharing), saved, run on the
CPU engine, simulated on the EIE accelerator, and compared with numpy.

    python3 examples/python/compress_run_simulate.py [MODEL.onnx]

Without an argument it builds a small MLP (784-300-100-10, random weights) with the onnx package.
"""
import os
import sys
import tempfile

import numpy as np

import eie


def make_mlp(path, sizes=(784, 300, 100, 10), seed=0):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits, prev = [], [], "x"
    for k in range(len(sizes) - 1):
        w = (rng.standard_normal((sizes[k + 1], sizes[k])) / np.sqrt(sizes[k])).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"fc{k + 1}.weight"),
                  numpy_helper.from_array(np.zeros(sizes[k + 1], np.float32), f"fc{k + 1}.bias")]
        last = k == len(sizes) - 2
        out = "y" if last else f"g{k + 1}"
        nodes.append(helper.make_node("Gemm", [prev, f"fc{k + 1}.weight", f"fc{k + 1}.bias"], [out],
                                      name=f"fc{k + 1}", transB=1))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"h{k + 1}"], name=f"relu{k + 1}"))
            out = f"h{k + 1}"
        prev = out
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", sizes[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", sizes[-1]])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    work = tempfile.mkdtemp(prefix="eie_example_")
    source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(work, "mlp.onnx")
    if len(sys.argv) == 1:
        make_mlp(source)
    print(f"eie {eie.__version__}: {source}")

    # 1. Compress: 10% of the weights of every layer but the last (25%), 4-bit codebooks.
    model = eie.compress(source, density={"*": 0.1, "fc3*": 0.25}, bits=4)
    model.save(os.path.join(work, "mlp.eie"))
    info = model.info()
    for layer in info["layers"]:
        print(f"  {layer['name']:<12} {layer['rows']:>4} x {layer['cols']:<4} density {layer['density']:.3f}  "
              f"{layer['ratio_pqh']:.1f}x smaller")
    print(f"  file {info['file_bytes']} bytes, {info['total']['ratio_pqh']:.1f}x smaller than dense fp32")

    # 2. Run on the CPU engine and compare with numpy on the same (decompressed) weights.
    x = np.maximum(np.random.default_rng(1).standard_normal((8, 784)), 0).astype(np.float32)
    y = eie.load(os.path.join(work, "mlp.eie")).engine(threads=1)(x)
    w = model.weights()
    h = x
    for k in (1, 2, 3):
        h = h @ w[f"fc{k}.weight"].T + w[f"fc{k}.bias"]
        if k < 3:
            h = np.maximum(h, 0)
    error = float(np.abs(y - h).max())
    print(f"engine vs numpy: max |difference| {error:.2e} over {y.size} outputs")
    if error > 1e-4 * max(1.0, float(np.abs(h).max())):
        sys.exit("the engine disagrees with numpy")

    # 3. Simulate one input on the EIE accelerator (64 PEs).
    sim = model.simulate(x[0], pes=64)
    for layer in sim["layers"]:
        print(f"  {layer['name']:<12} {layer['cycles']:>6} cycles  load efficiency "
              f"{100 * layer['load_efficiency']:.0f}%  {layer['energy_uj']:.3f} uJ")
    print(f"EIE: {sim['cycles']} cycles ({sim['cycles'] / sim['config']['clock_mhz']:.2f} us), "
          f"{sim['energy_uj']:.3f} uJ per inference; fixed-point output vs engine: "
          f"max |difference| {float(np.abs(sim['output'] - y[0]).max()):.3f}")


if __name__ == "__main__":
    main()
