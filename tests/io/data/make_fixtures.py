#!/usr/bin/python3
# Writes the ONNX fixture the io tests read, with the reference ONNX Python package (Debian's python3-onnx), so
# the importer is checked against a writer nobody here wrote. Run: /usr/bin/python3 tests/io/data/make_fixtures.py
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
w1 = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 4  # Gemm B with transB=1: [out=3, in=4]
b1 = np.array([0.5, -0.25, 1.0], dtype=np.float32)
w2 = (np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5) / 2   # MatMul B: [in=3, out=2]
nodes = [
    helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1, alpha=1.0),
    helper.make_node("Relu", ["h"], ["hr"], name="relu1"),
    helper.make_node("MatMul", ["hr", "w2"], ["m"]),  # unnamed: the importer names it MatMul_2
    helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.array([1.0, 2.0], np.float32))),
    helper.make_node("Add", ["m", "c"], ["y"], name="add"),
]
graph = helper.make_graph(
    nodes, "mlp_python",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
    initializer=[
        numpy_helper.from_array(w1, "w1"),                                    # raw_data
        helper.make_tensor("b1", TensorProto.FLOAT, [3], b1.tolist()),        # float_data
        helper.make_tensor("w2", TensorProto.FLOAT16, [3, 2], w2.flatten().tolist()),  # int32_data
    ])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(here, "mlp_python.onnx"))
