"""Fixtures: the `eie` command built beside the module (EIE_CLI), and a small ONNX MLP made with onnx.helper."""
import json
import os
import random
import shutil
import subprocess

import numpy as np
import pytest

import eie


def cli_path():
    path = os.environ.get("EIE_CLI") or shutil.which("eie")
    if not path:
        pytest.skip("the eie command is not found (set EIE_CLI)")
    return path


def run_cli(*args, check=True):
    """Runs `eie ARGS...`; returns the CompletedProcess (text)."""
    result = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"eie {' '.join(map(str, args))} failed: {result.stderr}")
    return result


def cli_json(*args):
    return json.loads(run_cli(*args).stdout)


@pytest.fixture(scope="session")
def seed():
    value = int(os.environ.get("EIE_TEST_SEED", random.randrange(1 << 31)))
    print(f"random seed {value} (EIE_TEST_SEED={value} replays it)")
    return value


def make_mlp(path, sizes=(64, 48, 10), seed=7, batch="N"):
    """A Gemm -> Relu -> Gemm -> ... MLP (PyTorch's Linear layout, transB = 1) saved as ONNX."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev = "x"
    for k in range(len(sizes) - 1):
        w = rng.standard_normal((sizes[k + 1], sizes[k])).astype(np.float32) / np.sqrt(sizes[k])
        b = rng.standard_normal(sizes[k + 1]).astype(np.float32) * 0.1
        inits += [numpy_helper.from_array(w, f"fc{k + 1}.weight"), numpy_helper.from_array(b, f"fc{k + 1}.bias")]
        out = "y" if k == len(sizes) - 2 else f"h{k + 1}"
        gemm_out = out if out == "y" else f"g{k + 1}"
        nodes.append(helper.make_node("Gemm", [prev, f"fc{k + 1}.weight", f"fc{k + 1}.bias"], [gemm_out],
                                      name=f"fc{k + 1}", transB=1))
        if out != "y":
            nodes.append(helper.make_node("Relu", [gemm_out], [out], name=f"relu{k + 1}"))
        prev = out
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, sizes[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, sizes[-1]])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def mlp_onnx(tmp_path_factory):
    return make_mlp(tmp_path_factory.mktemp("models") / "mlp.onnx")


@pytest.fixture(scope="session")
def mlp_eie(tmp_path_factory, mlp_onnx):
    """The MLP compressed by the CLI."""
    path = tmp_path_factory.mktemp("models") / "mlp.eie"
    run_cli("compress", mlp_onnx, "-o", path, "--density", "fc1*=0.2,fc2*=0.5", "--bits", "4")
    return path


@pytest.fixture
def mlp_model(mlp_eie):
    return eie.load(mlp_eie)
