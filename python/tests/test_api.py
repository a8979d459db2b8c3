"""Each API of the eie module against the `eie` command on the same input (bit for bit where it is
deterministic), and models passed between the two."""
import json
import threading

import numpy as np
import pytest

import eie
from conftest import cli_json, make_mlp, run_cli


def test_version_is_the_commands():
    assert run_cli("--version").stdout.strip() == f"eie {eie.__version__}"
    assert eie.__version__.count(".") == 2


def test_files_record_the_writer_version(mlp_eie, tmp_path):
    assert eie.load(mlp_eie)._handle.writer == f"eie {eie.__version__}"
    path = tmp_path / "again.eie"
    eie.load(mlp_eie).save(path)
    assert eie.load(path)._handle.writer == f"eie {eie.__version__}"


def test_info_is_eie_info_json(mlp_eie):
    assert eie.load(str(mlp_eie)).info() == cli_json("info", str(mlp_eie), "--json")


def test_load_onnx_is_dense(mlp_onnx):
    model = eie.load(mlp_onnx)
    assert model.info() == cli_json("info", str(mlp_onnx), "--json")
    assert model.info()["compressed"] is False
    assert model.compressed_layers == []
    assert model.inputs == [("x", (-1, 64), "float")]
    assert model.outputs == [("y", (-1, 10), "float")]


@pytest.mark.parametrize("density, bits", [("fc1*=0.2,fc2*=0.5", "4"), ({"fc1*": 0.2, "fc2*": 0.5}, 4)])
def test_compress_writes_the_commands_file(mlp_onnx, mlp_eie, tmp_path, density, bits):
    model = eie.compress(mlp_onnx, density=density, bits=bits)
    assert model.path is None
    path = tmp_path / "python.eie"
    model.save(path)
    assert path.read_bytes() == mlp_eie.read_bytes()
    assert model.path == str(path)
    assert model.info() == cli_json("info", str(path), "--json")


def test_info_of_an_unsaved_model_counts_the_bytes_save_writes(mlp_onnx, tmp_path):
    model = eie.compress(mlp_onnx, density=0.3, bits=5, index_bits=3, init="density")
    before = model.info()
    model.save(tmp_path / "m.eie")
    after = model.info()
    assert before["file"] is None and after["file"] == str(tmp_path / "m.eie")
    assert before["file_bytes"] == after["file_bytes"] == (tmp_path / "m.eie").stat().st_size
    assert before["layers"] == after["layers"] and before["total"] == after["total"]


def test_compress_options_reach_the_layers(mlp_onnx):
    layers = eie.compress(mlp_onnx, density={"fc1*": 0.25}, bits="fc2*=3", quality=None).info()["layers"]
    by_name = {layer["name"]: layer for layer in layers}
    assert by_name["fc1.weight"]["stored"] == round(0.25 * 64 * 48)
    assert by_name["fc2.weight"]["weight_bits"] == 3
    quality = eie.compress(mlp_onnx, quality=1.0).info()["layers"]
    assert quality != layers


def test_compress_from_a_dict_and_from_a_model(mlp_onnx, seed):
    rng = np.random.default_rng(seed)
    weights = {"a": rng.standard_normal((20, 30)).astype(np.float32), "b": rng.standard_normal((5, 20))}
    model = eie.compress(weights, density=0.5, bits=3)
    info = model.info()
    assert sorted(layer["name"] for layer in info["layers"]) == ["a", "b"]
    assert {layer["name"]: layer["stored"] for layer in info["layers"]} == {"a": 300, "b": 50}
    again = eie.compress(eie.load(mlp_onnx), density=0.2)
    assert again.info()["layers"] == eie.compress(mlp_onnx, density=0.2).info()["layers"]


def test_engine_runs_as_eie_run_bit_for_bit(mlp_eie, tmp_path, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    run_cli("run", mlp_eie, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    expected = np.load(tmp_path / "y.npy")
    engine = eie.load(mlp_eie).engine()
    y = engine(x)
    assert y.dtype == np.float32 and y.shape == (3, 10)
    assert np.array_equal(y, expected)
    assert np.array_equal(engine.run({"x": x})["y"], expected)
    # Other batch sizes and a non-contiguous float64 view: converted, never misread.
    wide = np.asfortranarray(x.astype(np.float64))
    assert np.array_equal(engine(wide), expected)
    assert np.allclose(engine(x[1:2]), expected[1:2], rtol=1e-6, atol=1e-6)  # batch 1 may take another kernel


def test_weights_are_eie_exports(mlp_eie, tmp_path):
    pytest.importorskip("onnx")
    import onnx
    from onnx import numpy_helper

    run_cli("export", mlp_eie, "-o", tmp_path / "m.onnx")
    exported = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "m.onnx")).graph.initializer}
    weights = eie.load(mlp_eie).weights()
    assert sorted(weights) == sorted(exported)
    for name, value in exported.items():
        assert weights[name].dtype == np.float32 and np.array_equal(weights[name], value), name


def test_engine_matches_numpy(mlp_onnx, seed):
    """fp32 engine against the dense network numpy computes with the decompressed weights."""
    model = eie.compress(mlp_onnx, density=0.4, bits=5)
    w = model.weights()
    x = np.random.default_rng(seed).standard_normal((4, 64)).astype(np.float32)
    h = np.maximum(x @ w["fc1.weight"].T + w["fc1.bias"], 0)
    y = h @ w["fc2.weight"].T + w["fc2.bias"]
    assert np.allclose(model.engine()(x), y, rtol=1e-5, atol=1e-5)


def test_engine_forced_layouts_agree(mlp_model, seed):
    """Every fp32 layout forced gives what the planner's choice gives, up to summation order."""
    x = np.random.default_rng(seed).standard_normal((3, 64)).astype(np.float32)
    expected = mlp_model.engine()(x)
    for layout in ("sell16", "tcsr", "csr16", "csc"):
        engine = mlp_model.engine(layout=layout)
        assert np.allclose(engine(x), expected, rtol=1e-5, atol=1e-5), layout
        assert np.allclose(engine(x[:1]), expected[:1], rtol=1e-5, atol=1e-5), layout


def test_engine_plan_names_the_kernels(mlp_model):
    plan = mlp_model.engine().plan()
    assert [node["node"] for node in plan] == ["fc1", "relu1", "fc2"]
    assert plan[0]["path"].startswith("compressed ")
    assert plan[1]["path"] == "scalar operator" or plan[1]["path"].startswith("fused")


def test_engine_plan_gives_kernels_and_bytes_as_the_cli(mlp_model, mlp_eie, tmp_path):
    np.save(tmp_path / "x.npy", np.ones((1, 64), np.float32))
    cli_plan = cli_json("run", mlp_eie, "--input", tmp_path / "x.npy", "--json")["plan"]
    plan = mlp_model.engine(threads=1).plan()
    assert plan == cli_plan
    fc1 = plan[0]
    assert fc1["kernel"] and fc1["kernel"] in fc1["path"]
    # fc1 is 48 x 64 at density 0.2: its compressed layouts are a fraction of its fp32 values
    assert 0 < fc1["weight_bytes"] < 48 * 64 * 4
    assert plan[1]["kernel"] == "" and plan[1]["weight_bytes"] == 0


def test_engine_profile_times_every_node_of_every_run(mlp_model, seed):
    x = np.random.default_rng(seed).standard_normal((2, 64)).astype(np.float32)
    engine = mlp_model.engine(profile=True)
    assert np.array_equal(engine(x), mlp_model.engine()(x))
    engine(x)
    plan = engine.plan(2)
    assert [node["runs"] for node in plan] == [2, 2, 2]
    assert all(node["seconds"] >= 0 for node in plan) and sum(node["seconds"] for node in plan) > 0
    assert engine.plan(1)[0]["runs"] == 0  # batch 1 has not run
    assert "seconds" not in mlp_model.engine().plan()[0]
    with pytest.raises(eie.Error, match="profile"):
        mlp_model.engine(profile="yes")


def test_python_compressed_model_runs_in_the_cli_and_the_reverse(mlp_onnx, mlp_eie, tmp_path, seed):
    x = np.random.default_rng(seed).standard_normal((2, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    eie.compress(mlp_onnx, density=0.3).save(tmp_path / "py.eie")
    run_cli("run", tmp_path / "py.eie", "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    assert np.array_equal(np.load(tmp_path / "y.npy"), eie.load(tmp_path / "py.eie").engine()(x))
    run_cli("run", mlp_eie, "--input", tmp_path / "x.npy", "--output", tmp_path / "y2.npy")
    assert np.array_equal(np.load(tmp_path / "y2.npy"), eie.load(mlp_eie).engine()(x))


def test_simulate_is_eie_sim(mlp_eie, tmp_path, seed):
    x = np.maximum(np.random.default_rng(seed).standard_normal(64), 0).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    run_cli("sim", mlp_eie, "--input", tmp_path / "x.npy", "--pes", 8, "--fifo", 4, "--json", tmp_path / "s.json",
            "--output", tmp_path / "y.npy")
    expected = json.loads((tmp_path / "s.json").read_text())
    result = eie.load(mlp_eie).simulate(x, pes=8, fifo=4)
    assert result["layers"] == expected["layers"]
    assert result["config"] == expected["config"]
    assert np.array_equal(result["output"], np.load(tmp_path / "y.npy"))
    assert result["cycles"] == sum(layer["cycles"] for layer in result["layers"])


def test_simulate_synthetic_input_is_eie_sims(mlp_eie, tmp_path):
    run_cli("sim", mlp_eie, "--input-density", 0.5, "--seed", 3, "--json", tmp_path / "s.json")
    expected = json.loads((tmp_path / "s.json").read_text())
    assert eie.load(mlp_eie).simulate(input_density=0.5, seed=3)["layers"] == expected["layers"]


def test_kmeans_is_the_compressors(mlp_onnx, tmp_path):
    """fc1 kept whole (density 1): its decompressed weights are kmeans(reserve_zero=True)'s codebook[codes]."""
    pytest.importorskip("onnx")
    import onnx
    from onnx import numpy_helper

    eie.compress(mlp_onnx, density=1.0, bits=4).save(tmp_path / "m.eie")
    run_cli("export", tmp_path / "m.eie", "-o", tmp_path / "m.onnx")
    original = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(mlp_onnx)).graph.initializer}
    exported = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "m.onnx")).graph.initializer}
    w = original["fc1.weight"]
    codebook, codes = eie.kmeans(w.ravel(), 4, reserve_zero=True)
    assert codebook.dtype == np.float32 and codes.dtype == np.int64
    assert codebook.shape == (16,) and codebook[0] == 0 and codes.min() >= 1
    assert np.array_equal(codebook[codes].reshape(w.shape), exported["fc1.weight"])


def test_kmeans_plain(seed):
    values = np.random.default_rng(seed).standard_normal(1000).astype(np.float32)
    codebook, codes = eie.kmeans(values, 3)
    assert codebook.shape == (8,) and np.all(np.diff(codebook) > 0)
    nearest = np.abs(values[:, None] - codebook[None, :]).argmin(axis=1)
    assert np.array_equal(codes, nearest)
    for init in ("density", "random"):
        c, _ = eie.kmeans(values, 3, init=init, seed=5)
        assert c.shape == (8,)
    assert np.array_equal(eie.kmeans(values, 3, init="random", seed=5)[0], eie.kmeans(values, 3, init="random", seed=5)[0])


def test_engine_from_several_threads(mlp_model, seed):
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((1 + k % 3, 64)).astype(np.float32) for k in range(8)]
    engine = mlp_model.engine(threads=2)
    expected = [engine(x) for x in inputs]  # one thread at a time first: what every concurrent call must give
    failures = []

    def work(k):
        for _ in range(40):
            if not np.array_equal(engine(inputs[k]), expected[k]):
                failures.append(k)
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_c_contiguous_float32_is_not_copied(mlp_onnx):
    """The engine reads a C-contiguous float32 input in place: numpy allocations (tracemalloc sees them) stay
    far below the input's size, while a float64 input is converted once."""
    import tracemalloc

    engine = eie.compress(mlp_onnx, density=0.2).engine(max_batch=8192)
    x = np.ones((8192, 64), dtype=np.float32)  # 2 MB
    engine(x)  # plans batch 8192
    assert eie._floats("x", x) is x

    def peak(array):
        tracemalloc.start()
        engine(array)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    output_bytes = 8192 * 10 * 4
    assert peak(x) < output_bytes + x.nbytes // 4
    assert peak(x.astype(np.float64)) >= x.nbytes


def test_a_model_with_a_fixed_batch_dimension(tmp_path):
    path = make_mlp(tmp_path / "fixed.onnx", sizes=(8, 4), batch=1)
    model = eie.compress(path, density=0.5)
    x = np.ones((1, 8), dtype=np.float32)
    assert model.engine()(x).shape == (1, 4)


def test_the_python_example_runs():
    """examples/python/compress_run_simulate.py, end to end (it checks the engine against numpy itself)."""
    import os
    import subprocess
    import sys

    pytest.importorskip("onnx")
    source = os.environ.get("EIE_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    result = subprocess.run([sys.executable, os.path.join(source, "examples", "python", "compress_run_simulate.py")],
                            capture_output=True, text=True, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "engine vs numpy: max |difference|" in result.stdout and "EIE:" in result.stdout
