"""eie.torch: Deep Compression, TTQ and DSD for any torch.nn.Module, inside the user's own training loop.

    dc = eie.torch.DeepCompression(model, density={"fc1*": 0.08, "*": 0.3}, bits=5, layers="fc*,conv*")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    for step in range(1, 7):
        dc.prune(step, of=6)               # masks tighten towards the targets
        train(model, optimizer)            # any loop, any optimizer: pruned weights stay exactly 0
    dc.share_weights()                     # eie's k-means per layer; codes fixed from here on
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)   # the centroids are new parameters
    train(model, optimizer)                # each centroid's gradient = sum of its weights' gradients
    dc.export("model.eie", example_input)  # exactly the trained masks and codebooks

How it works. Every managed weight gets a parametrization (torch.nn.utils.parametrize): first a mask,
weight = original * mask, so no optimizer step (momentum, weight decay, Adam) can revive a pruned weight; after
share_weights() the weight is centroids[codes] * mask, where `centroids` (a Parameter, entry 0 the reserved
zero) is what trains and `codes` is a fixed buffer: autograd then gives each centroid the sum of the gradients
of the weights that share it, the paper's rule (Deep Compression, section 3.3). Masks and codes are buffers, so
DistributedDataParallel broadcasts them from rank 0; create the helper (and call share_weights) before wrapping
the model in DDP, and create the optimizer after.

Layers are chosen by globs over parameter names ("fc*" matches "fc1.weight"; '*' any run, '?' one character,
comma-separated), as the `eie` command's --density rules: the weights of Linear, Conv1d, Conv2d, LSTM and GRU
modules (LSTM/GRU: every weight_ih_l* and weight_hh_l*) and MultiheadAttention's input projection (in_proj_weight,
as PyTorch packs query, key and value; its out_proj is a Linear); biases are never pruned. Per-layer values are a number,
or a dict {glob: value} where the last matching glob wins.

Every check runs before the model is touched: bad input raises eie.Error with one line naming the layer or
parameter, and the model is left as it was.
"""

from __future__ import annotations

import copy
import fnmatch
import math
import os
import re
import tempfile
import warnings
import weakref

import numpy as np
import torch
from torch.nn.utils import parametrize

import eie

__all__ = ["DeepCompression", "TrainedTernary", "DSD", "sensitivity"]

_WEIGHT_MODULES = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)
_RNN_MODULES = (torch.nn.LSTM, torch.nn.GRU)
_RNN_HOOKS = weakref.WeakKeyDictionary()  # RNN module -> its forward hooks' handles, while it is parametrized


def _refresh_rnn_weights(module, args=None, detach=False):
    """torch.nn.RNNBase's forward reads its weights from a list filled when they are assigned, which a
    parametrization bypasses (it would multiply with the original weights, unmasked, and train them directly):
    refilled before each forward, so the masks, shared weights and ternary values are what it multiplies with and
    what gradients flow through. After the forward the list keeps detached values (a model holding tensors
    computed with gradients could not be deep-copied)."""
    module._flat_weights = [(getattr(module, name).detach() if detach else getattr(module, name))
                            if hasattr(module, name) else None for name in module._flat_weights_names]


def _detach_rnn_weights(module, args, output):
    _refresh_rnn_weights(module, detach=True)


def _parametrize(module, attribute, parametrization):
    parametrize.register_parametrization(module, attribute, parametrization)
    if isinstance(module, torch.nn.RNNBase):
        if module not in _RNN_HOOKS:
            _RNN_HOOKS[module] = (module.register_forward_pre_hook(_refresh_rnn_weights),
                                  module.register_forward_hook(_detach_rnn_weights))
        _refresh_rnn_weights(module, detach=True)


def _unparametrize(module, attribute, leave_parametrized):
    parametrize.remove_parametrizations(module, attribute, leave_parametrized=leave_parametrized)
    if isinstance(module, torch.nn.RNNBase):
        if not parametrize.is_parametrized(module) and module in _RNN_HOOKS:
            for handle in _RNN_HOOKS.pop(module):
                handle.remove()
        _refresh_rnn_weights(module)


def _fail(message):
    raise eie.Error(message)


def _glob(pattern, name):
    # fnmatch's '[' classes are not part of the CLI's globs: escape them so only '*' and '?' are special.
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]"))


def _patterns(option, text):
    if not isinstance(text, str) or not text.strip():
        _fail(f"{option} must be a non-empty string of comma-separated globs, got {text!r}")
    patterns = [p.strip() for p in text.split(",")]
    if any(not p for p in patterns):
        _fail(f"{option}: empty pattern in {text!r}")
    return patterns


def _candidates(model):
    """(parameter name, module, attribute) of every weight eie compresses, in module order."""
    found = []
    for module_name, module in model.named_modules():
        prefix = module_name + "." if module_name else ""
        if isinstance(module, _WEIGHT_MODULES):
            found.append((prefix + "weight", module, "weight"))
        elif isinstance(module, torch.nn.MultiheadAttention):
            # The input projection is a weight of the attention module itself (out_proj is a Linear): packed as
            # in_proj_weight when query, key and value have one width, else one weight each.
            for attribute in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
                if getattr(module, attribute, None) is not None:
                    found.append((prefix + attribute, module, attribute))
        elif isinstance(module, _RNN_MODULES):
            # The RNN's own list of its weights: a parametrized weight is no longer one of its direct parameters.
            for attribute in module._flat_weights_names:
                if attribute.startswith("weight_"):
                    found.append((prefix + attribute, module, attribute))
    return found


def _select(model, layers):
    if not isinstance(model, torch.nn.Module):
        _fail(f"model must be a torch.nn.Module, got {type(model).__name__}")
    patterns = _patterns("layers", layers)
    candidates = _candidates(model)
    names = [c[0] for c in candidates]
    if not candidates:
        _fail(f"model {type(model).__name__} has no Linear, Conv1d, Conv2d, MultiheadAttention, LSTM or GRU weight")
    chosen = [c for c in candidates if any(_glob(p, c[0]) for p in patterns)]
    for p in patterns:
        if not any(_glob(p, n) for n in names):
            _fail(f"layers: pattern '{p}' matches no layer (layers: {', '.join(names)})")
    for name, module, attribute in chosen:
        if parametrize.is_parametrized(module, attribute):
            _fail(f"layer '{name}': already managed by another eie.torch helper (or another parametrization)")
        weight = getattr(module, attribute)
        if weight.dtype != torch.float32:
            _fail(f"layer '{name}': dtype {str(weight.dtype).replace('torch.', '')} is not supported (float32 only)")
        if weight.device.type not in ("cpu", "cuda"):
            _fail(f"layer '{name}': device '{weight.device.type}' is not supported (cpu or cuda)")
        if not torch.isfinite(weight).all():
            _fail(f"layer '{name}': the weight holds a NaN or Inf value")
    return chosen


def _number(option, value, check):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(f"{option} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    check(option, value)
    return value


def _rules(option, value, names, check):
    """{layer name: value} from a number or {glob: value} (the last matching glob wins)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        if not value:
            _fail(f"{option}: the dict holds no rule")
        rules = []
        for pattern, v in value.items():
            if not isinstance(pattern, str) or not pattern:
                _fail(f"{option}: pattern {pattern!r} must be a non-empty string")
            v = _number(f"{option}[{pattern!r}]", v, check)
            if not any(_glob(pattern, n) for n in names):
                _fail(f"{option}: pattern '{pattern}' matches no layer (layers: {', '.join(names)})")
            rules.append((pattern, v))
        out = {}
        for n in names:
            for pattern, v in rules:
                if _glob(pattern, n):
                    out[n] = v
        return out
    v = _number(option, value, check)
    return {n: v for n in names}


def _check_density(option, v):
    if not (0.0 < v <= 1.0):
        _fail(f"{option} must be in (0, 1], got {v:g}")


def _check_quality(option, v):
    if not (v >= 0.0 and math.isfinite(v)):
        _fail(f"{option} must be >= 0, got {v:g}")


def _check_bits(option, v):
    if v != int(v) or not (1 <= v <= 8):
        _fail(f"{option} must be an integer in 1..8, got {v:g}")


def _top_mask(weight, keep, within):
    """A mask keeping the `keep` weights of largest magnitude among those `within` (ties: lower index)."""
    flat = (weight.detach().abs() * within).flatten()
    mask = torch.zeros_like(flat)
    if keep > 0:
        # topk is not stable under ties; a stable sort over (-|w|) is.
        order = torch.sort(-flat, stable=True).indices[:keep]
        mask[order] = 1.0
    return mask.view_as(weight) * within


def _broadcast(tensor):
    """Rank 0's value on every rank (a no-op without torch.distributed), so that masks and codes cannot drift."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.broadcast(tensor, src=0)


class _Mask(torch.nn.Module):
    """weight = original * mask."""

    def __init__(self, shape, device):
        super().__init__()
        self.register_buffer("mask", torch.ones(shape, device=device))

    def forward(self, weight):
        return weight * self.mask


class _SharedWeight(torch.autograd.Function):
    """centroids[codes] * mask, and each centroid's gradient the sum of the gradients of the kept weights that
    share it (Deep Compression's rule): the values autograd gives for the indexing expression, with the rule
    written out as one bincount per backward instead of autograd's index_put_ with accumulation."""

    @staticmethod
    def forward(ctx, centroids, codes, mask):
        ctx.save_for_backward(codes, mask)
        ctx.count = centroids.numel()
        return centroids.index_select(0, codes.flatten()).view_as(codes) * mask

    @staticmethod
    def backward(ctx, grad):
        codes, mask = ctx.saved_tensors
        sums = torch.bincount(codes.flatten(), weights=(grad * mask).flatten(), minlength=ctx.count)
        return sums.to(grad.dtype), None, None


class _Shared(torch.nn.Module):
    """weight = centroids[codes] * mask: trained quantization. The masked original it receives is not used."""

    def __init__(self, centroids, codes, mask):
        super().__init__()
        self.centroids = torch.nn.Parameter(centroids)
        self.register_buffer("codes", codes)
        self.register_buffer("mask", mask)

    def forward(self, weight):
        return _SharedWeight.apply(self.centroids, self.codes, self.mask)


class _Layer:
    def __init__(self, name, module, attribute):
        self.name, self.module, self.attribute = name, module, attribute

    @property
    def parametrizations(self):
        return self.module.parametrizations[self.attribute]

    @property
    def original(self):
        return self.parametrizations.original

    def weight(self):
        return getattr(self.module, self.attribute)

    def mask_module(self):
        return self.parametrizations[0]


class _Managed:
    """What the helpers share: the chosen layers, their mask parametrizations and the exact export."""

    def __init__(self, model, layers):
        chosen = _select(model, layers)
        self.model = model
        self._layers = [_Layer(*c) for c in chosen]

    def _register_masks(self):
        registered = []
        try:
            for layer in self._layers:
                w = getattr(layer.module, layer.attribute)
                _parametrize(layer.module, layer.attribute, _Mask(w.shape, w.device))
                registered.append(layer)
        except Exception:
            for layer in registered:  # never leave the model half-modified
                _unparametrize(layer.module, layer.attribute, leave_parametrized=False)
            raise

    @property
    def layers(self):
        """The managed parameter names, in module order."""
        return [layer.name for layer in self._layers]

    def masks(self):
        """{layer: mask tensor (1 = kept)}."""
        return {layer.name: layer.mask_module().mask for layer in self._layers}

    def density(self):
        """The fraction of managed weights kept."""
        kept = sum(int(layer.mask_module().mask.sum()) for layer in self._layers)
        total = sum(layer.mask_module().mask.numel() for layer in self._layers)
        return kept / total

    def _set_mask(self, layer, mask):
        mask = mask.to(layer.mask_module().mask.dtype)
        _broadcast(mask)
        with torch.no_grad():
            layer.mask_module().mask.copy_(mask)
            layer.original.mul_(mask)  # pruned weights are 0 in the stored original too

    def _export_codebooks(self):
        """{layer: bits} the export must keep; subclasses say how each layer is quantized."""
        raise NotImplementedError

    def remove(self):
        """Bakes the current weights into plain parameters and removes every parametrization."""
        for layer in self._layers:
            if parametrize.is_parametrized(layer.module, layer.attribute):
                _unparametrize(layer.module, layer.attribute, leave_parametrized=True)

    def export(self, path, example_input, opset=13, dynamic_axes=None):
        """Writes an .eie file whose weights are exactly the trained ones: the network graph from ONNX export
        (torch.onnx.export of a copy with plain weights), each managed weight imported as it is (its values as
        the codebook, its zeros as the mask: no re-pruning, no re-clustering). Other weights are stored with all
        their non-zeros: exactly where they hold at most 255 distinct values, else as 8-bit shared weights.
        The graph's inputs are named "input", "input1", ... and its output "output"; dynamic_axes maps those
        names to {axis: name} as torch.onnx.export takes it (default: axis 0 of each, the batch), e.g.
        {"input": {0: "batch", 1: "sequence"}, "output": {0: "batch", 1: "sequence"}} for a language model.
        Returns the eie.Model. Raises eie.Error when the graph holds an operator eie cannot run or a managed
        weight could not be taken as it is."""
        path = os.fspath(path)
        if not path.endswith(".eie"):
            _fail(f"export: path '{path}' must end in .eie")
        inputs = example_input if isinstance(example_input, tuple) else (example_input,)
        input_names = [f"input{i}" if i else "input" for i in range(len(inputs))]
        if dynamic_axes is None:
            # Dimension 0 dynamic: the engine runs any batch, and a graph that builds tensors from the batch
            # size (an LSTM's zero initial state) computes them for the batch it is given.
            dynamic_axes = {name: {0: "batch"} for name in input_names + ["output"]}
        elif not isinstance(dynamic_axes, dict):
            _fail(f"export: dynamic_axes must be a dict {{name: {{axis: name}}}}, got {type(dynamic_axes).__name__}")
        else:
            for name, axes in dynamic_axes.items():
                if name not in input_names + ["output"]:
                    _fail(f"export: dynamic_axes names '{name}', which is none of the graph's inputs and outputs "
                          f"({', '.join(input_names + ['output'])})")
                if not isinstance(axes, dict) or not all(isinstance(a, int) and not isinstance(a, bool) and a >= 0
                                                         for a in axes):
                    _fail(f"export: dynamic_axes['{name}'] must map axes (integers >= 0) to names, got {axes!r}")
        for layer in self._layers:
            if isinstance(layer.module, torch.nn.GRU):
                _fail(f"export: layer '{layer.name}': eie runs no GRU operator (LSTM and the feed-forward layers "
                      f"export)")
            if isinstance(layer.module, torch.nn.RNNBase) and layer.module.bidirectional:
                _fail(f"export: layer '{layer.name}': ONNX stores both directions of a bidirectional RNN as one "
                      f"weight, which cannot keep each direction's codebook; export supports one direction")
        bits = self._export_codebooks()
        plain = copy.deepcopy(self.model).cpu().eval()
        for name, module, attribute in _candidates(plain):
            if parametrize.is_parametrized(module, attribute):
                _bake(module)
        trained = {name: module._parameters[attribute].detach().clone() for name, module, attribute in
                   _candidates(plain)}
        inputs = tuple(x.detach().cpu() for x in inputs)
        with tempfile.TemporaryDirectory() as tmp:
            onnx_path = os.path.join(tmp, "model.onnx")
            try:
                with warnings.catch_warnings():
                    # The tracer's notes on Python values in the model's code (MultiheadAttention's shape asserts)
                    # are about re-tracing, not about this graph.
                    warnings.simplefilter("ignore", torch.jit.TracerWarning)
                    torch.onnx.export(plain, inputs, onnx_path, opset_version=opset, do_constant_folding=True,
                                      input_names=input_names, output_names=["output"], dynamic_axes=dynamic_axes)
            except Exception as e:
                _fail(f"export: torch.onnx.export failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            names = _onnx_names(onnx_path, trained)
            rules = {onnx_name: 8 for onnx_name in names.values()}  # weights not managed here: 8-bit k-means
            for layer in self._layers:
                if layer.name not in names:
                    _fail(f"export: layer '{layer.name}' is not a weight initializer of the exported graph")
                rules[names[layer.name]] = bits[layer.name]
            density = {n: 1.0 for n in names.values()}
            # import_distinct: a trained layer with fewer non-zero weights than centroids shares no value.
            model = eie.compress(onnx_path, density=density, bits=rules, import_distinct=True)
            # The compressor falls back to k-means for a weight it cannot take as it is: that is no export.
            imported = set(model.info().get("imported", []))
            for layer in self._layers:
                if names[layer.name] not in imported:
                    _fail(f"export: layer '{layer.name}' could not be taken as it is (more distinct values than "
                          f"its {bits[layer.name]} bits hold)")
            model.save(path)
        return model



def _bake(module):
    """Turns a parametrized copy back into its plain module class with each parametrized tensor as a plain
    Parameter holding its current value. parametrize.remove_parametrizations would delete the property from the
    parametrized class, which a deep copy shares with the user's model: the model would lose its weights."""
    values = {attribute: getattr(module, attribute).detach().clone() for attribute in module.parametrizations}
    module.__class__ = module.__class__.__bases__[0]
    del module._modules["parametrizations"]
    for attribute, value in values.items():
        # setattr, not _parameters[...]: an RNN's __setattr__ also updates the weight list its forward reads.
        setattr(module, attribute, torch.nn.Parameter(value))


def _onnx_gate_order(name, v):
    """[An LSTM weight as ONNX stores it for one direction: [1, 4 x hidden, inputs], the gates reordered from
    PyTorch's i, f, g, o to ONNX's i, o, f, c], or [] for other weights."""
    if not re.search(r"(^|\.)weight_(ih|hh)_l\d+$", name) or v.ndim != 2 or v.shape[0] % 4:
        return []
    h = v.shape[0] // 4
    return [np.concatenate([v[0:h], v[3 * h:], v[h:2 * h], v[2 * h:3 * h]])[None]]


def _onnx_names(onnx_path, trained):
    """{parameter name: ONNX initializer name}, matched by name, else by value (transposed or not; an RNN's weight
    in ONNX's gate order)."""
    import onnx
    import onnx.numpy_helper
    graph = onnx.load(onnx_path).graph
    initializers = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    out = {}
    for name, value in trained.items():
        if name in initializers:
            out[name] = name
            continue
        v = value.numpy()
        forms = [v] + ([v.T] if v.ndim == 2 else []) + _onnx_gate_order(name, v)
        for init_name, array in initializers.items():
            if any(array.shape == f.shape and np.array_equal(array, f) for f in forms):
                out[name] = init_name
                break
    return out


class DeepCompression(_Managed):
    """Pruning and trained quantization (Han et al., Deep Compression) of `model`'s weights in the user's loop.

    density: the fraction of weights each layer keeps at the end of the pruning schedule, in (0, 1]; or
    quality: prune |w| <= quality x std(w) (the pruning paper's rule; std of the weights at construction).
    A layer with a quality rule follows it; otherwise its density rule (default 0.1). bits: the codebook's bits
    per layer, 1..8 (default 5). layers: globs over parameter names choosing the managed weights (default all).
    """

    def __init__(self, model, density=None, quality=None, bits=5, layers="*"):
        super().__init__(model, layers)
        names = self.layers
        density_rules = _rules("density", density, names, _check_density)
        quality_rules = _rules("quality", quality, names, _check_quality)
        bits_rules = _rules("bits", bits, names, _check_bits)
        for n in names:
            if n not in bits_rules:
                _fail(f"bits: no rule for layer '{n}'")
        self.targets = {}
        for layer in self._layers:
            w = layer.weight().detach()
            if layer.name in quality_rules:
                self.targets[layer.name] = ("quality", quality_rules[layer.name], float(w.std(unbiased=False)))
            else:
                self.targets[layer.name] = ("density", density_rules.get(layer.name, 0.1), None)
        self.bits = {n: int(bits_rules[n]) for n in names}
        self.shared = False
        self._register_masks()

    def prune(self, step=1, of=1, schedule="linear"):
        """Step `step` of `of` of the pruning schedule: each layer's threshold rises to a fraction of quality x std,
        or its kept fraction falls by that fraction of the way to its density. The fraction is step/of (linear)
        or 1 - (1 - step/of)^3 (cubic: most pruning in the first steps, small steps near the end, so that more
        retraining happens near the final density; `eie train --prune-schedule`). Masks only shrink; pruned
        weights are set to 0."""
        if isinstance(step, bool) or isinstance(of, bool) or not isinstance(step, int) or not isinstance(of, int):
            _fail(f"prune: step and of must be integers, got {step!r} and {of!r}")
        if of < 1 or not (1 <= step <= of):
            _fail(f"prune: step must be in 1..of and of >= 1, got step {step}, of {of}")
        if schedule not in ("linear", "cubic"):
            _fail(f"prune: schedule must be 'linear' or 'cubic', got {schedule!r}")
        if self.shared:
            _fail("prune: the weights are shared already (share_weights() fixes the masks)")
        fraction = step / of if schedule == "linear" else 1.0 - (1.0 - step / of) ** 3
        for layer in self._layers:
            mode, value, std = self.targets[layer.name]
            w = layer.weight().detach()
            old = layer.mask_module().mask
            if mode == "quality":
                mask = (w.abs() > value * fraction * std).to(old.dtype) * old
            else:
                keep = round((1.0 - (1.0 - value) * fraction) * w.numel())
                keep = min(keep, int((w * old != 0).sum()))
                mask = _top_mask(w, keep, (w != 0).to(old.dtype) * old)
            self._set_mask(layer, mask)

    def share_weights(self, init="linear", seed=0):
        """Clusters each layer's kept weights with eie's k-means (2^bits - 1 centroids and the reserved zero, the
        code `eie compress` runs); from here on the centroids train and the codes stay fixed. The centroids are
        new parameters: create the optimizer (and DDP) after this call. Returns them."""
        if self.shared:
            _fail("share_weights: the weights are shared already")
        plans = []
        for layer in self._layers:  # every k-means first, so an error leaves the model as it was
            w = layer.weight().detach()
            mask = layer.mask_module().mask.detach().clone()
            kept = mask.bool()
            values = w[kept].cpu().numpy().astype(np.float32)
            if values.size:
                codebook, kept_codes = eie.kmeans(values, self.bits[layer.name], init=init, seed=seed,
                                                  reserve_zero=True)
            else:
                codebook, kept_codes = np.zeros(1, dtype=np.float32), np.zeros(0, dtype=np.int64)
            codes = torch.zeros(w.shape, dtype=torch.int64, device=w.device)
            codes[kept] = torch.as_tensor(np.asarray(kept_codes, dtype=np.int64), device=w.device)
            centroids = torch.as_tensor(np.asarray(codebook, dtype=np.float32), device=w.device).clone()
            _broadcast(codes)
            _broadcast(centroids)
            plans.append((layer, centroids, codes, mask))
        parameters = []
        for layer, centroids, codes, mask in plans:
            shared = _Shared(centroids, codes, mask)
            _parametrize(layer.module, layer.attribute, shared)
            layer.original.requires_grad_(False)  # the centroids train now, not the weights
            parameters.append(shared.centroids)
        self.shared = True
        return parameters

    def codebooks(self):
        """{layer: (centroids, codes)} once shared (centroids[0] is the reserved 0)."""
        if not self.shared:
            _fail("codebooks: call share_weights() first")
        return {layer.name: (layer.parametrizations[1].centroids, layer.parametrizations[1].codes)
                for layer in self._layers}

    def parameters(self):
        """The centroids once shared (what the optimizer trains), else the managed weights' originals."""
        if self.shared:
            return [layer.parametrizations[1].centroids for layer in self._layers]
        return [layer.original for layer in self._layers]

    def _export_codebooks(self):
        if not self.shared:
            _fail("export: the weights are not shared yet: call share_weights() before export()")
        return dict(self.bits)


class _TernaryWeight(torch.autograd.Function):
    """TTQ's forward (w_p above delta, -w_n below -delta, 0 between) and its gradients (Zhu et al., eq. 6-8)."""

    @staticmethod
    def forward(ctx, latent, w_p, w_n, threshold):
        delta = threshold * latent.abs().max()
        positive, negative = latent > delta, latent < -delta
        ctx.save_for_backward(positive, negative, w_p, w_n)
        return positive.to(latent.dtype) * w_p - negative.to(latent.dtype) * w_n

    @staticmethod
    def backward(ctx, grad):
        positive, negative, w_p, w_n = ctx.saved_tensors
        zero = ~(positive | negative)
        grad_latent = grad * (positive * w_p + negative * w_n + zero.to(grad.dtype))
        return grad_latent, (grad * positive).sum().reshape(w_p.shape), -(grad * negative).sum().reshape(
            w_n.shape), None


class _Ternary(torch.nn.Module):
    def __init__(self, w_p, w_n, threshold):
        super().__init__()
        self.w_p = torch.nn.Parameter(w_p)
        self.w_n = torch.nn.Parameter(w_n)
        self.threshold = threshold

    def forward(self, latent):
        return _TernaryWeight.apply(latent, self.w_p, self.w_n, self.threshold)


class TrainedTernary(_Managed):
    """Trained ternary quantization (Zhu et al., TTQ): each managed weight becomes {-w_n, 0, +w_p} with the two
    scales trained and the latent full-precision weight updated through the ternary one. threshold: delta =
    threshold x max|w| per layer. The first and last layers usually stay full precision: choose with `layers`.
    Create the optimizer after the helper (the scales are new parameters). export() stores 2-bit codebooks."""

    def __init__(self, model, threshold=0.05, layers="*"):
        super().__init__(model, layers)
        self.threshold = _number("threshold", threshold, lambda o, v: 0 < v < 1 or _fail(
            f"{o} must be in (0, 1), got {v:g}"))
        scales = [getattr(layer.module, layer.attribute).detach().abs().max() for layer in self._layers]
        for layer, scale in zip(self._layers, scales):
            if float(scale) == 0.0:
                _fail(f"layer '{layer.name}': every weight is 0, so it has no ternary scale")
        for layer, scale in zip(self._layers, scales):
            with torch.no_grad():
                getattr(layer.module, layer.attribute).div_(scale)  # latent weights in [-1, 1], as the paper
            init = torch.ones((), device=scale.device) * scale * 0.5
            _parametrize(layer.module, layer.attribute, _Ternary(init.clone(), init.clone(), self.threshold))

    def scales(self):
        """{layer: (w_p, w_n)}."""
        return {layer.name: (float(layer.parametrizations[0].w_p), float(layer.parametrizations[0].w_n))
                for layer in self._layers}

    def masks(self):
        return {layer.name: (self._layer_weight(layer) != 0).float() for layer in self._layers}

    def density(self):
        kept = sum(int((self._layer_weight(layer) != 0).sum()) for layer in self._layers)
        return kept / sum(self._layer_weight(layer).numel() for layer in self._layers)

    @staticmethod
    def _layer_weight(layer):
        with torch.no_grad():
            return layer.weight()

    def _export_codebooks(self):
        return {layer.name: 2 for layer in self._layers}


class DSD(_Managed):
    """Dense-sparse-dense training (Han et al., DSD): sparse() keeps each layer's largest (1 - sparsity) weights
    under a mask for a sparse training phase; redense() lifts the masks so the pruned weights restart from 0 for
    the final dense phase. The mask parametrization stays registered, so the optimizer's parameters do not
    change; remove() bakes the weights in at the end."""

    def __init__(self, model, sparsity=0.3, layers="*"):
        super().__init__(model, layers)
        self.sparsity = _number("sparsity", sparsity, lambda o, v: 0 <= v < 1 or _fail(
            f"{o} must be in [0, 1), got {v:g}"))
        self._register_masks()

    def sparse(self):
        for layer in self._layers:
            w = layer.weight().detach()
            keep = round((1.0 - self.sparsity) * w.numel())
            self._set_mask(layer, _top_mask(w, keep, torch.ones_like(w)))

    def redense(self):
        for layer in self._layers:
            with torch.no_grad():
                layer.mask_module().mask.fill_(1.0)

    def _export_codebooks(self):
        _fail("export: DSD's result is a dense model; compress it with eie.compress or DeepCompression")


def sensitivity(model, evaluate, densities=(1.0, 0.5, 0.3, 0.2, 0.1, 0.05), layers="*", plot=None):
    """The pruning paper's per-layer sensitivity (Han et al., 2015, Fig. 5): prunes one layer at a time to each
    density (by magnitude, no retraining), calls evaluate(model) -> accuracy, and restores the layer. Returns
    {"densities": [...], "layers": {name: [accuracy per density]}}; with plot="path.png" draws one curve per
    layer (needs matplotlib)."""
    chosen = _select(model, layers)
    if not callable(evaluate):
        _fail(f"evaluate must be callable as evaluate(model) -> accuracy, got {type(evaluate).__name__}")
    densities = list(densities)
    if not densities:
        _fail("densities must hold at least one density")
    for i, d in enumerate(densities):
        _number(f"densities[{i}]", d, _check_density)
    if plot is not None:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot  # noqa: F401
        except ImportError:
            _fail("sensitivity: plot needs matplotlib (Debian: python3-matplotlib)")
    table = {"densities": [float(d) for d in densities], "layers": {}}
    for name, module, attribute in chosen:
        weight = getattr(module, attribute)
        saved = weight.detach().clone()
        accuracies = []
        try:
            for d in densities:
                keep = round(float(d) * weight.numel())
                with torch.no_grad():
                    weight.copy_(saved * _top_mask(saved, keep, torch.ones_like(saved)))
                accuracies.append(float(evaluate(model)))
        finally:
            with torch.no_grad():
                weight.copy_(saved)
        table["layers"][name] = accuracies
    if plot is not None:
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots(figsize=(6, 4))
        for name, accuracies in table["layers"].items():
            axes.plot(table["densities"], accuracies, marker="o", label=name)
        axes.set_xlabel("density (fraction of weights kept)")
        axes.set_ylabel("accuracy")
        axes.invert_xaxis()
        axes.grid(True, alpha=0.3)
        axes.legend()
        figure.tight_layout()
        # Drawn to a temporary file beside the target, then renamed: a failed draw leaves no partial PNG.
        target = os.fspath(plot)
        temporary = f"{target}.tmp{os.getpid()}.png"
        try:
            figure.savefig(temporary, format="png")
            os.replace(temporary, target)
        except OSError as e:
            _fail(f"sensitivity: cannot write plot '{target}': {e.strerror or e}")
        finally:
            plt.close(figure)
            if os.path.exists(temporary):
                os.remove(temporary)
    return table
