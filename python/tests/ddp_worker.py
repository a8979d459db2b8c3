"""One rank of the DistributedDataParallel test (test_torch_ddp.py): `ddp_worker.py RANK WORLD PORT OUT_DIR`.
A script of its own, started as a plain process, so that nothing of pytest's is imported into the workers."""
import os
import sys

import torch
import torch.distributed as dist


def worker(rank, world, port, out_dir):
    import eie.torch as et
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        torch.manual_seed(7)  # the same initial model on every rank
        model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
        torch.manual_seed(100 + rank)  # each rank its own data
        x, y = torch.randn(64, 20), torch.randint(0, 4, (64,))

        def train(ddp, optimizer, steps=5):
            for _ in range(steps):
                loss = torch.nn.functional.cross_entropy(ddp(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

        dc = et.DeepCompression(model, density=0.3, bits=3)
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        for step in (1, 2):
            dc.prune(step, of=2)
            train(ddp, optimizer)
        dc.share_weights()
        ddp = torch.nn.parallel.DistributedDataParallel(model)  # the centroids are new parameters
        train(ddp, torch.optim.SGD(dc.parameters(), lr=1e-3, momentum=0.9))
        state = {"masks": dc.masks(), "codebooks": {n: (c.detach(), k) for n, (c, k) in dc.codebooks().items()},
                 "weights": {n: model.get_submodule(n.rsplit(".", 1)[0]).weight.detach() for n in dc.layers}}
        torch.save(state, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    worker(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
