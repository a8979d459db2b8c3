"""Garbage to every entry point: each raises eie.Error (a ValueError) with one line naming what is wrong, and
nothing crashes."""
import numpy as np
import pytest

import eie
from conftest import run_cli


def raises(match, call, *args, **kwargs):
    with pytest.raises(eie.Error, match=match) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, message
    assert isinstance(info.value, ValueError)
    return message


def test_error_is_a_value_error():
    assert issubclass(eie.Error, ValueError)


def test_load(tmp_path, mlp_eie):
    raises("missing.eie", eie.load, tmp_path / "missing.eie")
    raises("path must be a file path", eie.load, 42)
    raises("path must be a file path", eie.load, "")
    (tmp_path / "garbage.eie").write_bytes(b"not an eie file at all")
    raises(r"garbage.eie: not an .eie file \(wrong magic\)", eie.load, tmp_path / "garbage.eie")
    data = mlp_eie.read_bytes()
    (tmp_path / "truncated.eie").write_bytes(data[: len(data) // 2])
    raises("truncated.eie", eie.load, tmp_path / "truncated.eie")
    (tmp_path / "empty.onnx").write_bytes(b"\x08")
    raises("empty.onnx", eie.load, tmp_path / "empty.onnx")
    (tmp_path / "model.txt").write_text("hello")
    raises("model.txt", eie.load, tmp_path / "model.txt")


def test_model_is_not_built_directly():
    raises("eie.load", eie.Model, "m.eie")


def test_save(mlp_model, tmp_path):
    raises("must end in .eie", mlp_model.save, tmp_path / "m.onnx")
    raises("path must be a file path", mlp_model.save, None)
    raises("no-such-dir", mlp_model.save, tmp_path / "no-such-dir" / "m.eie")
    assert not (tmp_path / "no-such-dir").exists()


def test_compress(mlp_onnx, tmp_path):
    raises("source must be a file path", eie.compress, None)
    raises("missing.onnx", eie.compress, tmp_path / "missing.onnx")
    raises(r"density must be > 0.0, got 0.0", eie.compress, mlp_onnx, density=0)
    raises(r"density must be <= 1.0, got 1.5", eie.compress, mlp_onnx, density=1.5)
    raises("density must be a number", eie.compress, mlp_onnx, density=[0.1])
    raises(r"density\['fc\*'\] must be > 0.0", eie.compress, mlp_onnx, density={"fc*": -1})
    raises("pattern 'nope' matches no layer", eie.compress, mlp_onnx, density={"nope": 0.1})
    raises("density", eie.compress, mlp_onnx, density="fc*=abc")
    raises("pattern 'a,b' must be", eie.compress, mlp_onnx, density={"a,b": 0.1})
    raises("bits must be in 1..8, got 9", eie.compress, mlp_onnx, bits=9)
    raises("bits must be an integer", eie.compress, mlp_onnx, bits=4.5)
    raises("quality must be >= 0.0", eie.compress, mlp_onnx, quality=-1)
    raises("init must be one of linear, density, random", eie.compress, mlp_onnx, init="kmeans++")
    raises("seed must be in", eie.compress, mlp_onnx, seed=-1)
    raises("max_iterations must be >= 1, got 0", eie.compress, mlp_onnx, max_iterations=0)


def test_compress_weights_dict():
    raises("the dict of weights is empty", eie.compress, {})
    raises("weight name 3 must be", eie.compress, {3: np.ones((2, 2))})
    raises("weight 'w' has dtype <U1", eie.compress, {"w": np.array([["a", "b"]])})
    raises("weight 'w' has dtype complex", eie.compress, {"w": np.ones((2, 2), dtype=complex)})
    raises("weight 'w' is not an array of numbers", eie.compress, {"w": [[1.0, 2.0], [3.0]]})
    w = np.ones((4, 4), dtype=np.float32)
    w[1, 2] = np.nan
    raises("w", eie.compress, {"w": w})
    raises("no compressible layer", eie.compress, {"v": np.ones(4)})


def test_engine_options(mlp_model, mlp_onnx, tmp_path):
    raises("threads must be in 1..256, got 0", mlp_model.engine, threads=0)
    raises("threads must be an integer, got str", mlp_model.engine, threads="2")
    raises("precision must be one of fp32, bf16, int8; got 'fp16'", mlp_model.engine, precision="fp16")
    raises("max_batch must be in 1..65536, got 0", mlp_model.engine, max_batch=0)
    raises("skip_zero_activations must be True or False", mlp_model.engine, skip_zero_activations="yes")
    raises("kernel must be one of", mlp_model.engine, kernel="neon")
    raises("layout must be one of", mlp_model.engine, layout="ell")
    raises("layout tcsr needs precision fp32, not precision int8|precision 'int8'", mlp_model.engine,
           layout="tcsr", precision="int8")
    raises("layout sell16x4 needs precision int8", mlp_model.engine, layout="sell16x4")
    raises("model must be an eie.Model", eie.Engine, "m.eie")
    graphless = eie.compress({"w": np.ones((4, 4), dtype=np.float32)}, density=0.5)
    raises("has no graph", graphless.engine)


def test_engine_inputs(mlp_model, tmp_path):
    engine = mlp_model.engine(max_batch=4)
    raises(r"input 'x' has shape \(3, 65\), expected \(N, 64\)", engine, np.ones((3, 65), np.float32))
    raises(r"input 'x' has shape \(64,\), expected \(N, 64\)", engine, np.ones(64, np.float32))
    raises(r"input 'x' has shape \(1, 1, 64\), expected \(N, 64\)", engine, np.ones((1, 1, 64), np.float32))
    raises(r"input 'x' has a batch of 5; this engine takes 1..4", engine, np.ones((5, 64), np.float32))
    raises(r"input 'x' has shape \(0, 64\)|batch of 0", engine, np.ones((0, 64), np.float32))
    raises("x has dtype <U3", engine, np.array([["abc"] * 64]))
    raises("x has dtype object", engine, np.array([[object()] * 64]))
    raises("unknown input 'z'", engine, {"z": np.ones((1, 64), np.float32)})
    raises("input 'x' is missing", engine, {})
    raises("batch must be >= 1, got 0", engine.plan, 0)
    # NaN and Inf run as in `eie run`: no error, no crash, the same output.
    x = np.ones((1, 64), np.float32)
    x[0, :8] = np.nan
    x[0, 8] = np.inf
    np.save(tmp_path / "x.npy", x)
    run_cli("run", mlp_model.path, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert np.array_equal(engine(x), np.load(tmp_path / "y.npy"), equal_nan=True)


def test_simulate(mlp_model):
    raises("pes must be in 1..1024, got 0", mlp_model.simulate, pes=0)
    raises("fifo must be in 1..256", mlp_model.simulate, fifo=1000)
    raises("clock_mhz must be > 0.0", mlp_model.simulate, clock_mhz=0)
    raises("input_density must be <= 1.0", mlp_model.simulate, input_density=2)
    raises(r"x has shape \(1, 64\); simulate takes one input, a 1-D array", mlp_model.simulate, np.ones((1, 64)))
    raises(r"x has shape \(65,\) \(65 values\); layer 'fc1.weight' takes 64 inputs", mlp_model.simulate,
           np.ones(65, np.float32))
    x = np.ones(64, np.float32)
    x[0] = np.inf
    raises("x holds a NaN or Inf value", mlp_model.simulate, x)
    raises("sram_width must be in 16..512", mlp_model.simulate, sram_width=8)


def test_simulate_needs_compressed_weights(mlp_onnx):
    raises("no compressed weight", eie.load(mlp_onnx).simulate)


def test_kmeans():
    raises("bits must be in 1..8, got 0", eie.kmeans, np.ones(4), 0)
    raises(r"values has shape \(2, 2\); expected a 1-D array", eie.kmeans, np.ones((2, 2)), 2)
    raises("values holds a NaN or Inf value", eie.kmeans, np.array([1.0, np.nan]), 2)
    raises("values has dtype <U1", eie.kmeans, np.array(["a"]), 2)
    raises("init must be one of", eie.kmeans, np.ones(4), 2, init="best")
    raises("reserve_zero must be True or False", eie.kmeans, np.ones(4), 2, reserve_zero=1)
