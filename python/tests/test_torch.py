"""eie.torch: masks that hold under any optimizer, the pruning schedules, trained quantization's centroid rule,
exact export, TTQ, DSD, sensitivity, and bad input (one-line eie.Error, model untouched)."""
import copy
import json
import os
import subprocess

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import eie  # noqa: E402
import eie.torch as et  # noqa: E402


SEED = int(os.environ.get("EIE_TEST_SEED", "1"))
print(f"eie.torch tests: seed {SEED} (EIE_TEST_SEED)")


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 4, 3)
        self.fc1 = torch.nn.Linear(4 * 6 * 6, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


def make(seed=SEED):
    torch.manual_seed(seed)
    return Net(), torch.randn(64, 1, 14, 14), torch.randint(0, 10, (64,))


def train(model, optimizer, x, y, steps=5):
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def weights(model):
    return {n: p.detach().clone() for n, p in model.state_dict().items()}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_pruned_weights_stay_zero_under_any_optimizer(optimizer):
    model, x, y = make()
    dc = et.DeepCompression(model, density={"*": 0.3, "fc2*": 0.5}, bits=4)
    opt = (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3))
    for step in range(1, 4):
        dc.prune(step, of=3)
        train(model, opt, x, y)
        for name, mask in dc.masks().items():
            module = model.get_submodule(name.rsplit(".", 1)[0])
            assert (module.weight[mask == 0] == 0).all(), name
    sizes = {n: m.numel() for n, m in dc.masks().items()}
    kept = {n: int(m.sum()) for n, m in dc.masks().items()}
    assert kept["fc1.weight"] == round(0.3 * sizes["fc1.weight"])
    assert kept["fc2.weight"] == round(0.5 * sizes["fc2.weight"])


def test_schedule_steps_and_quality_rule():
    model, _, _ = make()
    std = float(model.fc1.weight.std(unbiased=False))
    dc = et.DeepCompression(model, quality={"fc1*": 1.0}, density=0.5, bits=5, layers="fc*")
    assert dc.layers == ["fc1.weight", "fc2.weight"]
    w = model.fc1.weight.detach().clone()
    dc.prune(1, of=2)
    assert torch.equal(dc.masks()["fc1.weight"].bool(), w.abs() > 0.5 * std)
    assert int(dc.masks()["fc2.weight"].sum()) == round(0.75 * 320)
    dc.prune(2, of=2)
    assert torch.equal(dc.masks()["fc1.weight"].bool(), w.abs() > std)
    assert int(dc.masks()["fc2.weight"].sum()) == 160
    assert isinstance(model.conv1.weight, torch.nn.Parameter)  # not managed


def test_cubic_schedule_prunes_most_in_the_first_steps():
    model, _, _ = make()
    std = float(model.fc1.weight.std(unbiased=False))
    dc = et.DeepCompression(model, quality={"fc1*": 1.0}, density=0.5, bits=5, layers="fc*")
    w = model.fc1.weight.detach().clone()
    dc.prune(1, of=2, schedule="cubic")  # 1 - (1/2)^3 = 7/8 of the way
    assert torch.equal(dc.masks()["fc1.weight"].bool(), w.abs() > 0.875 * std)
    assert int(dc.masks()["fc2.weight"].sum()) == round((1 - 0.5 * 0.875) * 320)
    dc.prune(2, of=2, schedule="cubic")
    assert torch.equal(dc.masks()["fc1.weight"].bool(), w.abs() > std)
    assert int(dc.masks()["fc2.weight"].sum()) == 160
    with pytest.raises(eie.Error, match="schedule must be 'linear' or 'cubic', got 'exp'"):
        dc.prune(2, of=2, schedule="exp")


def test_shared_centroid_gradient_is_the_sum_of_its_weights_gradients():
    model, x, y = make()
    dc = et.DeepCompression(model, density=0.4, bits=3)
    dc.prune()
    centroids = dc.share_weights()
    for name, (c, codes) in dc.codebooks().items():
        assert c.numel() <= 8 and float(c[0]) == 0.0, name
    with torch.nn.utils.parametrize.cached():  # the forward's weight tensor is the one we look at
        weight = model.fc1.weight
        weight.retain_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
    c, codes = dc.codebooks()["fc1.weight"]
    mask = dc.masks()["fc1.weight"]
    expected = torch.zeros_like(c).index_add_(0, codes.flatten(), (weight.grad * mask).flatten())
    assert torch.allclose(c.grad, expected, rtol=1e-5, atol=1e-7)
    # Training moves centroids only: codes fixed, pruned weights 0, at most 2^bits values per layer.
    before = {n: codes.clone() for n, (_, codes) in dc.codebooks().items()}
    opt = torch.optim.SGD(centroids, lr=1e-3, momentum=0.9)
    train(model, opt, x, y)
    for name, (c, codes) in dc.codebooks().items():
        assert torch.equal(codes, before[name])
        assert float(c[0]) == 0.0
        module = model.get_submodule(name.rsplit(".", 1)[0])
        assert len(torch.unique(module.weight.detach())) <= 8
        assert (module.weight[dc.masks()[name] == 0] == 0).all()


def eie_cli():
    return os.environ.get("EIE_CLI", "eie")


def test_export_is_exact_and_runs_on_the_engine(tmp_path):
    model, x, y = make()
    dc = et.DeepCompression(model, density={"conv*": 0.6, "fc*": 0.2}, bits={"conv*": 6, "fc*": 4})
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dc.prune()
    train(model, opt, x, y)
    dc.share_weights()
    train(model, torch.optim.SGD(dc.parameters(), lr=1e-3), x, y)
    out = tmp_path / "net.eie"
    compressed = dc.export(out, x[:1])
    # The stored weights, decompressed by `eie export`, are the model's bit for bit.
    onnx_path = tmp_path / "back.onnx"
    subprocess.run([eie_cli(), "export", str(out), "-o", str(onnx_path)], check=True, capture_output=True)
    import onnx
    import onnx.numpy_helper
    stored = [onnx.numpy_helper.to_array(t) for t in onnx.load(str(onnx_path)).graph.initializer]
    for name in dc.layers:
        module = model.get_submodule(name.rsplit(".", 1)[0])
        w = module.weight.detach().numpy()
        assert any(a.shape == w.shape and a.tobytes() == w.tobytes() for a in stored), name
    info = json.loads(subprocess.run([eie_cli(), "info", str(out), "--json"], check=True,
                                     capture_output=True, text=True).stdout)
    assert len(info["imported"]) == 3
    # The engine's outputs match PyTorch's.
    model.eval()
    with torch.no_grad():
        expected = model(x[:8]).numpy()
    got = compressed.engine()(x[:8].numpy())
    assert np.abs(got - expected).max() <= 1e-5 * max(1.0, np.abs(expected).max())


def test_export_keeps_a_layer_with_fewer_weights_than_centroids(tmp_path):
    """8 non-zero weights and 63 centroids: every weight its own centroid, no value shared; still exact."""
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(20, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    dc = et.DeepCompression(model, density={"0.weight": 0.1, "2.weight": 0.5}, bits=6)
    dc.prune()
    dc.share_weights()
    compressed = dc.export(tmp_path / "small.eie", torch.randn(1, 20))
    assert len(compressed.info()["imported"]) == 2
    weights = compressed.weights()
    for name in dc.layers:
        w = model.get_submodule(name.rsplit(".", 1)[0]).weight.detach().numpy()
        assert any(a.shape == w.shape and a.tobytes() == w.tobytes() for a in weights.values()), name


class Recurrent(torch.nn.Module):
    def __init__(self, bidirectional=False):
        super().__init__()
        self.lstm = torch.nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(16 if bidirectional else 8, 3)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1])


def plain_copy(model):
    """The same network with the managed model's current weights as plain parameters."""
    torch.manual_seed(0)
    plain = Recurrent()
    with torch.no_grad():
        for name, _ in plain.named_parameters():
            module_name, attribute = name.rsplit(".", 1)
            getattr(plain.get_submodule(module_name), attribute).copy_(
                getattr(model.get_submodule(module_name), attribute))
    return plain


def test_lstm_forward_trains_the_masked_then_shared_weights_and_exports_exactly(tmp_path):
    """An RNN's forward reads a weight list that parametrizations bypass: the masks and the shared weights must
    be what it multiplies with (and trains through), and the export must hold them in ONNX's gate order."""
    torch.manual_seed(SEED)
    model, x, y = Recurrent(), torch.randn(16, 5, 6), torch.randint(0, 3, (16,))
    dc = et.DeepCompression(model, density={"lstm.*": 0.4, "fc.*": 0.5}, bits=4)
    assert dc.layers == ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l1", "lstm.weight_hh_l1",
                         "fc.weight"]
    dc.prune()
    train(model, torch.optim.Adam(model.parameters(), lr=1e-2), x, y)
    for name, mask in dc.masks().items():
        w = getattr(model.get_submodule(name.rsplit(".", 1)[0]), name.rsplit(".", 1)[1])
        assert torch.all(w[mask == 0] == 0), name
    with torch.no_grad():
        assert torch.allclose(model(x), plain_copy(model)(x), atol=1e-6)
    dc.share_weights()
    before = model(x).detach()
    train(model, torch.optim.SGD(dc.parameters(), lr=0.05), x, y)
    with torch.no_grad():
        after = model(x)
        assert not torch.allclose(before, after)  # the centroids' training reaches the LSTM's forward
        assert torch.allclose(after, plain_copy(model)(x), atol=1e-6)
    copy.deepcopy(model)  # a managed RNN can still be copied between forwards
    compressed = dc.export(tmp_path / "lstm.eie", x[:1])
    assert len(compressed.info()["imported"]) == 5
    stored = compressed.weights()
    h = 8
    for name in dc.layers[:4]:
        w = getattr(model.lstm, name.split(".")[1]).detach().numpy()
        onnx_order = np.concatenate([w[0:h], w[3 * h:], w[h:2 * h], w[2 * h:3 * h]])[None]  # i, o, f, c
        assert any(a.shape == onnx_order.shape and a.tobytes() == onnx_order.tobytes() for a in stored.values()), name
    model.eval()
    for batch in (1, 7):  # exported with a dynamic batch
        with torch.no_grad():
            expected = model(x[:batch]).numpy()
        got = compressed.engine()(x[:batch].numpy())
        assert np.abs(got - expected).max() <= 1e-5 * max(1.0, np.abs(expected).max())
    dc.remove()
    assert not parametrize_hooks(model.lstm)


class TinyLanguageModel(torch.nn.Module):
    """A causal transformer language model as PyTorch users write one: token and position embeddings,
    nn.TransformerEncoder (its attention's in_proj_weight is a weight of nn.MultiheadAttention, not a Linear)."""

    def __init__(self, vocab=11, width=16, context=12):
        super().__init__()
        self.tokens = torch.nn.Embedding(vocab, width)
        self.positions = torch.nn.Embedding(context, width)
        layer = torch.nn.TransformerEncoderLayer(width, 2, 32, dropout=0.0, batch_first=True, norm_first=True)
        self.blocks = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(width, vocab)

    def forward(self, ids):
        n = ids.shape[1]
        mask = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        return self.head(self.blocks(self.tokens(ids) + self.positions(torch.arange(n)), mask=mask))


def test_attention_in_proj_is_compressed_and_a_language_model_exports_with_dynamic_sequence(tmp_path):
    torch.manual_seed(SEED)
    model, ids = TinyLanguageModel(), torch.randint(0, 11, (8, 12))
    dc = et.DeepCompression(model, density=0.3, bits=4)
    in_proj = [n for n in dc.layers if n.endswith("in_proj_weight")]
    assert in_proj == ["blocks.layers.0.self_attn.in_proj_weight", "blocks.layers.1.self_attn.in_proj_weight"]
    assert len(dc.layers) == 9  # per block in_proj, out_proj, linear1, linear2; the head

    def step(optimizer):
        logits = model(ids[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), ids[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for s in (1, 2):
        dc.prune(s, of=2)
        step(optimizer)
    attention = model.blocks.layers[0].self_attn
    assert torch.all(attention.in_proj_weight[dc.masks()[in_proj[0]] == 0] == 0)
    assert abs(float(dc.masks()[in_proj[0]].mean()) - 0.3) < 0.01
    dc.share_weights()
    step(torch.optim.SGD(dc.parameters(), lr=0.05))
    assert len(torch.unique(attention.in_proj_weight)) <= 16
    axes = {"input": {0: "batch", 1: "sequence"}, "output": {0: "batch", 1: "sequence"}}
    compressed = dc.export(tmp_path / "lm.eie", ids[:1, :5], opset=14, dynamic_axes=axes)
    assert len(compressed.info()["imported"]) == 9
    model.eval()
    for shape in ((1, 1), (3, 7), (2, 12)):  # one decode step, and other batches and lengths
        x = ids[:shape[0], :shape[1]]
        with torch.no_grad():
            expected = model(x).numpy()
        got = compressed.engine()(x.numpy())
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1e-5 * max(1.0, np.abs(expected).max()), shape
    with pytest.raises(eie.Error, match="dynamic_axes names 'ids'"):
        dc.export(tmp_path / "bad.eie", ids[:1], opset=14, dynamic_axes={"ids": {0: "batch"}})
    assert not (tmp_path / "bad.eie").exists()


def parametrize_hooks(module):
    return list(module._forward_pre_hooks.values()) + list(module._forward_hooks.values())


def test_bidirectional_lstm_export_is_refused_by_name(tmp_path):
    torch.manual_seed(SEED)
    model = Recurrent(bidirectional=True)
    dc = et.DeepCompression(model, density=0.5, bits=4, layers="lstm.*")
    dc.prune()
    dc.share_weights()
    with pytest.raises(eie.Error, match="layer 'lstm.weight_ih_l0'.*bidirectional"):
        dc.export(tmp_path / "bi.eie", torch.randn(1, 5, 6))
    assert not (tmp_path / "bi.eie").exists()


def test_gru_export_is_refused_by_name(tmp_path):
    torch.manual_seed(SEED)
    model = torch.nn.GRU(6, 8, batch_first=True)
    dc = et.DeepCompression(model, density=0.5, bits=4)
    dc.prune()
    with pytest.raises(eie.Error, match="layer 'weight_ih_l0'.*no GRU operator"):
        dc.export(tmp_path / "gru.eie", torch.randn(1, 5, 6))


def test_ternary_layers_take_three_values():
    model, x, y = make()
    ttq = et.TrainedTernary(model, threshold=0.05, layers="fc1*")
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    train(model, opt, x, y)
    values = torch.unique(model.fc1.weight.detach())
    assert len(values) <= 3
    w_p, w_n = ttq.scales()["fc1.weight"]
    for v in values.tolist():
        assert v == 0.0 or v == pytest.approx(w_p) or v == pytest.approx(-w_n)
    assert 0.0 < ttq.density() < 1.0


def test_ternary_export_stores_the_three_values(tmp_path):
    model, x, y = make()
    ttq = et.TrainedTernary(model, threshold=0.05, layers="fc1*")
    train(model, torch.optim.SGD(model.parameters(), lr=0.01), x, y)
    compressed = ttq.export(tmp_path / "t.eie", x[:1])
    assert "fc1.weight" in compressed.info()["imported"]  # (a small unmanaged weight may be taken exactly too)


def test_dsd_sparse_then_dense():
    model, x, y = make()
    dsd = et.DSD(model, sparsity=0.5, layers="fc*")
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dsd.sparse()
    train(model, opt, x, y)
    assert int((model.fc1.weight == 0).sum()) >= model.fc1.weight.numel() // 2
    dsd.redense()
    train(model, opt, x, y)
    assert int((model.fc1.weight == 0).sum()) < model.fc1.weight.numel() // 10
    dsd.remove()
    assert isinstance(model.fc1.weight, torch.nn.Parameter)


def test_sensitivity_prunes_one_layer_at_a_time_and_restores():
    model, x, y = make()
    before = weights(model)
    calls = []

    def evaluate(m):
        calls.append(float((m.fc1.weight == 0).float().mean()))
        with torch.no_grad():
            return float((m(x).argmax(1) == y).float().mean())

    table = et.sensitivity(model, evaluate, densities=[1.0, 0.5, 0.1], layers="fc*")
    assert list(table["layers"]) == ["fc1.weight", "fc2.weight"]
    assert all(len(v) == 3 for v in table["layers"].values())
    assert calls[:3] == [0.0, pytest.approx(0.5, abs=0.01), pytest.approx(0.9, abs=0.01)]
    after = weights(model)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_sensitivity_draws_one_curve_per_layer_to_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    model, x, y = make()
    plot = tmp_path / "sensitivity.png"
    table = et.sensitivity(model, lambda m: float((m(x).argmax(1) == y).float().mean()), densities=[1.0, 0.2],
                           layers="fc*", plot=plot)
    data = plot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert len(table["layers"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["sensitivity.png"]
    with pytest.raises(eie.Error, match="cannot write plot"):
        et.sensitivity(model, lambda m: 1.0, densities=[0.5], layers="fc1*", plot=tmp_path / "missing" / "s.png")
    assert [p.name for p in tmp_path.iterdir()] == ["sensitivity.png"]


@pytest.mark.parametrize("kwargs, fragments", [
    (dict(layers="lstm*"), ["layers", "'lstm*'", "matches no layer", "fc1.weight"]),
    (dict(density=1.5), ["density", "(0, 1]", "1.5"]),
    (dict(density={"fc9*": 0.1}), ["density", "'fc9*'", "matches no layer"]),
    (dict(bits=9), ["bits", "1..8", "9"]),
    (dict(bits={"fc*": 0}), ["bits", "1..8"]),
    (dict(quality=-1), ["quality", ">= 0"]),
])
def test_bad_input_is_one_line_and_leaves_the_model(kwargs, fragments):
    model, _, _ = make()
    before = weights(model)
    with pytest.raises(eie.Error) as e:
        et.DeepCompression(model, **kwargs)
    message = str(e.value)
    assert "\n" not in message
    for f in fragments:
        assert f in message, message
    assert weights(model).keys() == before.keys()
    assert all(torch.equal(before[k], v) for k, v in weights(model).items())
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in model.modules())


def test_bad_dtype_names_the_layer():
    model, _, _ = make()
    model.fc2.double()
    with pytest.raises(eie.Error, match=r"layer 'fc2.weight': dtype float64 is not supported"):
        et.DeepCompression(model, density=0.5)
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in model.modules())


def test_misuse_is_refused():
    model, x, _ = make()
    dc = et.DeepCompression(model, density=0.5)
    with pytest.raises(eie.Error, match="step must be in 1..of"):
        dc.prune(3, of=2)
    with pytest.raises(eie.Error, match="call share_weights"):
        dc.export("x.eie", x[:1])
    with pytest.raises(eie.Error, match="already managed"):
        et.DeepCompression(model, density=0.5)
    with pytest.raises(eie.Error, match="must be callable"):
        et.sensitivity(Net(), None)
