"""eie.torch under DistributedDataParallel: 2 processes on localhost (gloo), each with its own data shard; the
masks, codes and centroids must be identical on both ranks after pruning, sharing and training."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402

if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_masks_and_centroids_are_identical_on_every_rank(tmp_path):
    worker = Path(__file__).with_name("ddp_worker.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # where this process found eie
    port, world = free_port(), 2
    ranks = [subprocess.Popen([sys.executable, str(worker), str(rank), str(world), str(port), str(tmp_path)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for rank in range(world)]
    for rank, process in enumerate(ranks):
        try:
            output, _ = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for p in ranks:
                p.kill()
            pytest.fail(f"rank {rank} did not finish in 300 s")
        assert process.returncode == 0, f"rank {rank} failed:\n{output}"
    a, b = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert a["masks"], "no layer was compressed"
    for name in a["masks"]:
        assert torch.equal(a["masks"][name], b["masks"][name]), name
        assert torch.equal(a["codebooks"][name][0], b["codebooks"][name][0]), name
        assert torch.equal(a["codebooks"][name][1], b["codebooks"][name][1]), name
        assert torch.equal(a["weights"][name], b["weights"][name]), name
        assert 0 < float(a["masks"][name].mean()) <= 0.31
