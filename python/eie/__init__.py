"""eie: Deep Compression and the Efficient Inference Engine, from Python.

Compress a trained network (prune, k-means weight sharing, Huffman coding), run it in its compressed form on
the CPU engine, and simulate it on the EIE accelerator, cycle by cycle::

    import eie, numpy as np
    model = eie.compress("mlp.onnx", density={"fc*": 0.09}, bits=4)
    model.save("mlp.eie")
    y = model.engine(threads=2)(np.random.rand(1, 784).astype(np.float32))
    stats = model.simulate(np.random.rand(784).astype(np.float32), pes=64)

Every function is a thin client of the C++ library the ``eie`` command uses, so the results are the
command's: ``Model.info()`` is ``eie info --json``'s document, ``Model.simulate()`` is ``eie sim --json``'s.
Errors raise :class:`eie.Error` (a ``ValueError``) with the library's one-line message. docs/python.md is the
reference.
"""

from __future__ import annotations

import json as _json
import numbers as _numbers
import os as _os

import numpy as _np

from . import _core

__all__ = ["Error", "Model", "Engine", "load", "compress", "kmeans", "__version__"]

__version__: str = _core.__version__

Error = _core.Error
Error.__module__ = "eie"
Error.__doc__ = ("A user error: a bad argument, bad input data or a bad file. The message is one line naming "
                 "what is wrong (a ValueError).")


# --- argument checks: every public function validates here, before the library sees a value ----------------

def _fail(message):
    raise Error(message)


def _int(name, value, low=None, high=None):
    if isinstance(value, bool) or not isinstance(value, _numbers.Integral):
        _fail(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"in {low}..{high}" if high is not None else f">= {low}"
        _fail(f"{name} must be {bounds}, got {value}")
    return value


def _float(name, value, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, _numbers.Real):
        _fail(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        _fail(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        _fail(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        _fail(f"{name} must be <= {high}, got {value}")
    return value


def _bool(name, value):
    if not isinstance(value, (bool, _np.bool_)):
        _fail(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _str(name, value, choices=None):
    if not isinstance(value, str):
        _fail(f"{name} must be a string, got {type(value).__name__} {value!r}")
    if choices is not None and value not in choices:
        _fail(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _path(name, value):
    if isinstance(value, _os.PathLike):
        value = _os.fspath(value)
    if not isinstance(value, str) or not value:
        _fail(f"{name} must be a file path (str or os.PathLike), got {type(value).__name__} {value!r}")
    return value


_FLOAT32 = _np.dtype(_np.float32)


def _floats(name, value, finite=False):
    """value as a C-contiguous float32 array: no copy when it already is one, else one conversion."""
    if isinstance(value, _np.ndarray) and value.dtype == _FLOAT32 and value.flags.c_contiguous:
        array = value
    else:
        try:
            array = _np.asarray(value)
        except Exception as e:  # ragged lists and the like
            _fail(f"{name} is not an array of numbers ({e})")
        if array.dtype.kind not in "fiub":
            _fail(f"{name} has dtype {array.dtype}; expected float32 (or a real dtype to convert)")
        array = _np.ascontiguousarray(array, dtype=_np.float32)
    if finite and not _np.isfinite(array).all():
        _fail(f"{name} holds a NaN or Inf value")
    return array


def _rules(name, value, check):
    """Per-layer rules as the CLI's text: a number, "fc*=0.09,conv*=0.35", or {"fc*": 0.09}."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        items = []
        for pattern, v in value.items():
            if not isinstance(pattern, str) or not pattern or any(c in pattern for c in ",="):
                _fail(f"{name}: pattern {pattern!r} must be a non-empty string without ',' or '='")
            items.append(f"{pattern}={check(f'{name}[{pattern!r}]', v)!r}")
        if not items:
            _fail(f"{name}: the dict holds no rule")
        return ",".join(items)
    return repr(check(name, value))


# --- models -----------------------------------------------------------------------------------------------

class Model:
    """A network: from an .onnx/.safetensors/.npy file (dense) or compressed (by :func:`compress`, or loaded
    from an .eie file). Create it with :func:`load` or :func:`compress`."""

    def __init__(self, handle):
        if not isinstance(handle, _core.ModelHandle):
            _fail("Model() is not created directly: use eie.load(path) or eie.compress(source)")
        self._handle = handle

    @property
    def name(self) -> str:
        """The model's name (the ONNX graph name, or the file's stem)."""
        return self._handle.name

    @property
    def path(self):
        """The file it was loaded from or last saved to; None when it exists only in memory."""
        return self._handle.path or None

    @property
    def inputs(self):
        """The graph inputs as (name, shape, type); -1 marks a dimension known only at run time."""
        return list(self._handle.inputs)

    @property
    def outputs(self):
        """The graph outputs as (name, shape, type)."""
        return list(self._handle.outputs)

    @property
    def compressed_layers(self):
        """The names of the compressed weights (empty for a dense model)."""
        return list(self._handle.compressed)

    def weights(self) -> dict:
        """Every constant tensor by name as a float32 array in its original shape, compressed weights
        decompressed (each weight is its codebook value; pruned weights are 0): the network the engine runs."""
        return _core.weights(self._handle)

    def save(self, path) -> None:
        """Writes the model as an .eie file. The write is atomic: a temporary file beside `path`, renamed into
        place, so a failure never leaves a partial file."""
        path = _path("path", path)
        if not path.endswith(".eie"):
            _fail(f"save: {path}: the file must end in .eie")
        _core.save(self._handle, path)

    def info(self) -> dict:
        """The per-layer compression report: the same dictionary as ``eie info FILE.eie --json`` (``file`` is
        None and ``file_bytes`` the size save() would write when the model is not stored). For a model loaded
        from a file to compress (.onnx, .safetensors, .npy), ``eie info FILE --json``'s description of its
        weights (shape, density, distinct values) and the command that compresses it."""
        return _core.info(self._handle)

    def engine(self, threads: int = 1, precision: str = "fp32", max_batch: int = 256,
               skip_zero_activations: bool = False, kernel: str = "auto", layout: str = "auto",
               profile: bool = False) -> "Engine":
        """Plans the model on the CPU engine (as ``eie run``). See :class:`Engine`.

        threads: 1..256 threads for the compressed products. precision: "fp32", "bf16" or "int8" (the last
        two need AVX-512 BF16 / VNNI or AVX2). max_batch: the largest batch (dimension 0 of every input) run() takes.
        skip_zero_activations: also plan the layout whose batch-1 kernel visits only non-zero inputs.
        kernel: force "scalar", "avx2" or "avx512" (testing); "auto" picks the widest available.
        layout: force one layout for every compressed weight, as ``eie run --layout``: "sell16", "sell16x2"
        (precision "bf16"), "sell16x4" (precision "int8"), "tcsr", "csr16" or "csc"; "auto": the planner's.
        profile: time every node of every run (two clock reads a node); plan() then gives each node's seconds
        and runs."""
        return Engine(self, threads=threads, precision=precision, max_batch=max_batch,
                      skip_zero_activations=skip_zero_activations, kernel=kernel, layout=layout, profile=profile)

    def simulate(self, x=None, pes: int = 64, fifo: int = 8, sram_width=None, weight_bits=None,
                 index_bits: int = 4, arith_bits: int = 16, frac_bits: int = 8, clock_mhz: float = 800.0,
                 input_density: float = 1.0, seed: int = 1) -> dict:
        """Cycle-accurate simulation on the EIE accelerator, as ``eie sim FILE.eie``: the fully connected
        layers run as one chain (ReLU between) on input `x` (1-D, as many values as the first layer's inputs;
        None: synthetic, `input_density` non-zero, `seed`), other compressed weights alone on synthetic inputs.

        Returns ``eie sim --json``'s document: ``config`` (the design), ``model`` and ``layers`` (per layer:
        cycles, latency, load efficiency, energy, power, ...), plus ``output`` (the chain's output, a numpy
        array), ``cycles``, ``frames_per_s`` and ``energy_uj`` of the whole chain. sram_width defaults to 64 bits;
        unless it or `weight_bits` is given, the design widens to the model's codebooks (as the CLI does)."""
        design = {"num_pes": _int("pes", pes, 1, 1024), "fifo_depth": _int("fifo", fifo, 1, 256),
                  "index_bits": _int("index_bits", index_bits, 2, 8),
                  "arith_bits": _int("arith_bits", arith_bits, 8, 32),
                  "frac_bits": _int("frac_bits", frac_bits, 0, 31),
                  "clock_mhz": _float("clock_mhz", clock_mhz, 0.0, 10000.0, low_open=True)}
        if weight_bits is not None:
            design["weight_bits"] = _int("weight_bits", weight_bits, 1, 8)
        if sram_width is not None:
            design["sram_width_bits"] = _int("sram_width", sram_width, 16, 512)
        fit = weight_bits is None and sram_width is None
        input_density = _float("input_density", input_density, 0.0, 1.0)
        seed = _int("seed", seed, 0, 2**64 - 1)
        if x is not None:
            x = _floats("x", x, finite=True)
            if x.ndim != 1:
                _fail(f"x has shape {x.shape}; simulate takes one input, a 1-D array")
        return _core.simulate(self._handle, x, _json.dumps(design), fit, input_density, seed)

    def __repr__(self):
        layers = len(self._handle.compressed)
        return f"<eie.Model '{self.name}' ({layers} compressed layer{'s' if layers != 1 else ''})>"


class Engine:
    """A model planned on the CPU engine. ``engine(x)`` or ``engine.run(x)`` runs it.

    Each input's dimension 0 is the batch (1..max_batch); the other dimensions are the model's. A batch size
    is planned the first time it is seen (a few stay planned). Calls from several Python threads are safe: they
    run one after another on this engine (the GIL is released while it computes); for parallel runs, make one
    engine per thread."""

    def __init__(self, model: Model, threads: int = 1, precision: str = "fp32", max_batch: int = 256,
                 skip_zero_activations: bool = False, kernel: str = "auto", layout: str = "auto",
                 profile: bool = False):
        if not isinstance(model, Model):
            _fail(f"model must be an eie.Model, got {type(model).__name__}")
        threads = _int("threads", threads, 1, 256)
        precision = _str("precision", precision, ("fp32", "bf16", "int8"))
        max_batch = _int("max_batch", max_batch, 1, 65536)
        skip_zero_activations = _bool("skip_zero_activations", skip_zero_activations)
        kernel = _str("kernel", kernel, ("auto", "scalar", "avx2", "avx512"))
        layout = _str("layout", layout, ("auto", "sell16", "sell16x2", "sell16x4", "tcsr", "csr16", "csc"))
        profile = _bool("profile", profile)
        self._names = [name for name, _, _ in model.inputs]
        self._outputs = [name for name, _, _ in model.outputs]
        self._one_to_one = len(self._names) == 1 and len(self._outputs) == 1
        self._engine = _core.Engine(model._handle, threads, precision, kernel, max_batch, skip_zero_activations,
                                    layout, profile)

    def run(self, x):
        """Runs the model. `x`: one array (a model with one input) or a dict {input name: array}. Arrays are
        float32 C-contiguous (read in place) or converted once. Returns one array for a model with one output
        given one array, else a dict {output name: array}. NaN and Inf inputs propagate as in float
        arithmetic."""
        if self._one_to_one and type(x) is _np.ndarray and x.dtype == _FLOAT32 and x.flags.c_contiguous:
            return self._engine.run1(x)  # the common case, with the fewest checks the library does not do
        if isinstance(x, dict):
            unknown = sorted(set(x) - set(self._names))
            if unknown:
                _fail(f"unknown input {unknown[0]!r}; the model's inputs: {', '.join(self._names)}")
            missing = [n for n in self._names if n not in x]
            if missing:
                _fail(f"input {missing[0]!r} is missing; the model's inputs: {', '.join(self._names)}")
            outputs = self._engine.run([_floats(f"input {n!r}", x[n]) for n in self._names])
            return dict(zip(self._outputs, outputs))
        if len(self._names) != 1:
            _fail(f"the model has {len(self._names)} inputs ({', '.join(self._names)}): pass a dict")
        outputs = self._engine.run1(_floats("x", x))
        return outputs if len(self._outputs) == 1 else dict(zip(self._outputs, outputs))

    __call__ = run

    def plan(self, batch: int = 1) -> list:
        """How each node runs at this batch size (planned now if new), as ``eie run --verbose`` prints it:
        [{"node", "op_type", "path", "kernel", "weight_bytes"}], path e.g. "compressed spmv_sell16_cb16__avx512",
        "dense OpenBLAS", "scalar operator", "fused into <node>"; with profile=True also "seconds" and "runs":
        the node's time over the runs at this batch so far."""
        return self._engine.plan(_int("batch", batch, 1))


def load(path) -> Model:
    """Loads a model: .eie (compressed, as written by save() or ``eie compress``), .onnx, .safetensors or
    .npy (dense)."""
    return Model(_core.load(_path("path", path)))


def compress(source, density=None, quality=None, bits=None, index_bits=None, init: str = "linear",
             seed: int = 1, max_iterations: int = 300, import_distinct: bool = False) -> Model:
    """Deep Compression without retraining, as ``eie compress``: prune each layer, share its weights by
    k-means, and (in the file) Huffman-code the codes and indices.

    source: a path (.onnx, .safetensors, .npy), a Model, or a dict {name: numpy array of rank >= 2, [outputs,
    inputs...]}. density, quality, bits, index_bits: one value for every layer, or per-layer glob rules as a
    dict {"fc*": 0.09} or the CLI's text "fc*=0.09,conv*=0.35" (the last matching rule wins). density in
    (0, 1] (default 0.1); quality >= 0 prunes |w| <= quality x std(w) instead; bits and index_bits in 1..8
    (default 4; 8 and 5 for convolutions). init: "linear", "density" or "random" (seeded by `seed`).
    A weight already pruned and clustered (its non-zero values fit its codebook, one of them shared) is taken as
    it is; import_distinct=True takes it also when no value is shared (a layer with fewer weights than
    centroids: eie.torch's export)."""
    source_name = ""
    if isinstance(source, Model):
        handle = source._handle
    elif isinstance(source, dict):
        if not source:
            _fail("compress: the dict of weights is empty")
        arrays = []
        for name, value in source.items():
            if not isinstance(name, str) or not name:
                _fail(f"compress: weight name {name!r} must be a non-empty string")
            array = _floats(f"weight {name!r}", value)
            arrays.append((name, array))
        handle = _core.from_arrays(arrays, "weights")
    else:
        path = _path("source", source)
        handle = _core.load(path)
        source_name = _os.path.basename(path)

    def density_value(name, v):
        return _float(name, v, 0.0, 1.0, low_open=True)

    def quality_value(name, v):
        return _float(name, v, 0.0)

    def bits_value(name, v):
        return _int(name, v, 1, 8)

    return Model(_core.compress(handle, _rules("density", density, density_value),
                                _rules("quality", quality, quality_value), _rules("bits", bits, bits_value),
                                _rules("index_bits", index_bits, bits_value),
                                _str("init", init, ("linear", "density", "random")), _int("seed", seed, 0, 2**64 - 1),
                                _int("max_iterations", max_iterations, 1),
                                _bool("import_distinct", import_distinct), source_name))


def kmeans(values, bits: int, init: str = "linear", seed: int = 0, max_iterations: int = 300,
           reserve_zero: bool = False):
    """1-D k-means weight sharing, the code ``eie compress`` runs on every layer: 2^bits centroids fitted to
    `values` (a 1-D float array, finite) by Lloyd's algorithm from the `init` initialisation ("linear":
    evenly over [min, max], the paper's choice; "density"; "random", seeded).

    Returns (codebook, codes): the centroids ascending (float32, 2^bits values, fewer only without values)
    and for every value the index of its nearest centroid (int64). With reserve_zero, as for a pruned layer:
    2^bits - 1 centroids are fitted, the codebook is [0, centroids...] and codes start at 1."""
    values = _floats("values", values, finite=True)
    if values.ndim != 1:
        _fail(f"values has shape {values.shape}; expected a 1-D array")
    return _core.kmeans(values, _int("bits", bits, 1, 8), _str("init", init, ("linear", "density", "random")),
                        _int("seed", seed, 0, 2**64 - 1), _int("max_iterations", max_iterations, 1),
                        _bool("reserve_zero", reserve_zero))
