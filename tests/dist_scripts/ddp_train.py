"""Data-parallel training on every process; final parameters and gradients go to an .npz.

    mpiexec -n 2 python -m mpi4py ddp_train.py OUT_DIR [--device cuda --backend nccl]

Each process seeds its model differently (100 + rank), so only DistributedDataParallel's
broadcast makes the replicas equal. The test imports ``train`` and ``no_sync_grads`` from this
file to compute the single-process references on the concatenated batches.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad.distributed import DistributedSampler
from gpugrad.utils.data import DataLoader, TensorDataset

N, FEATURES, CLASSES, BATCH, EPOCHS = 48, 5, 3, 12, 3  # BATCH is the global batch


def dataset(device: str) -> TensorDataset:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((N, FEATURES))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 1)
    return TensorDataset(gg.tensor(X, dtype=gg.float64, device=device),
                         gg.tensor(y, device=device))


def model(seed: int, device: str) -> gg.nn.Module:
    gg.manual_seed(seed)
    return gg.nn.MLP(FEATURES, [16, 16, CLASSES], activation="tanh").double().to(device)


def optimizer(name: str, params):
    if name == "sgd":
        return gg.optim.SGD(params, lr=0.1, momentum=0.9)
    return gg.optim.Adam(params, lr=0.01)


def batches(ds: TensorDataset, sampler: DistributedSampler, batch_size: int):
    """The sampler's indices in batches: through DataLoader(sampler=) where the loader takes
    one, else by indexing the dataset's tensors directly."""
    try:
        return iter(DataLoader(ds, batch_size=batch_size, sampler=sampler))
    except TypeError:  # a DataLoader without sampler=
        idx = list(sampler)
        chunks = [idx[i:i + batch_size] for i in range(0, len(idx), batch_size)]
        return iter([[t[gg.tensor(c)] for t in ds.tensors] for c in chunks])


def train(opt_name: str, world: int, rank: int, device: str, wrap=None) -> gg.nn.Module:
    """EPOCHS epochs of rank ``rank``'s share (global batch BATCH). With world=1 this is the
    single-process reference; ``wrap`` turns the model into what the loop calls."""
    net = model(100 + rank, device)
    run = wrap(net) if wrap is not None else net
    opt = optimizer(opt_name, net.parameters())
    ds = dataset(device)
    sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=True, seed=3)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        for xb, yb in batches(ds, sampler, BATCH // world):
            opt.zero_grad()
            loss = F.cross_entropy(run(xb), yb)
            loss.backward()
            opt.step()
    return net


def micro_batches(rank: int, device: str):
    """Three micro-batches of 4 samples for ``rank``: two accumulated in no_sync(), one synced."""
    X, y = dataset(device).tensors
    return [(X[12 * rank + 4 * k:12 * rank + 4 * k + 4], y[12 * rank + 4 * k:12 * rank + 4 * k + 4])
            for k in range(3)]


def no_sync_grads(ddp, net, rank: int, device: str) -> list[np.ndarray]:
    """Gradients after two no_sync() steps and one synchronising step."""
    net.zero_grad()
    *local, last = micro_batches(rank, device)
    with ddp.no_sync():
        for xb, yb in local:
            F.cross_entropy(ddp(xb), yb).backward()
    xb, yb = last
    F.cross_entropy(ddp(xb), yb).backward()
    return [p.grad.cpu().numpy().copy() for p in net.parameters()]


class TwoHeads(gg.nn.Module):
    """A trunk and two heads; the forward uses head ``b`` only when asked."""

    def __init__(self) -> None:
        super().__init__()
        self.trunk = gg.nn.Linear(FEATURES, 8).double()
        self.a = gg.nn.Linear(8, CLASSES).double()
        self.b = gg.nn.Linear(8, CLASSES).double()

    def forward(self, x, use_b: bool = False):
        h = self.trunk(x).tanh()
        return self.a(h) + self.b(h) if use_b else self.a(h)


def two_heads_grads(run, net, rank: int, device: str, use_b: bool, penalty: float = 0.0):
    """Gradients of one backward of rank ``rank``'s first micro-batch (plus ``penalty`` times
    half the parameters' squared norm, a path outside the wrapped forward)."""
    net.zero_grad()
    xb, yb = micro_batches(rank, device)[0]
    loss = F.cross_entropy(run(xb, use_b=use_b), yb)
    if penalty:
        loss = loss + penalty * 0.5 * sum((p * p).sum() for p in net.parameters())
    loss.backward()
    return [np.zeros(p.shape) if p.grad is None else p.grad.cpu().numpy().copy()
            for p in net.parameters()]


def main() -> None:
    import gpugrad.distributed as dist
    from gpugrad.nn.parallel import DistributedDataParallel

    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--backend", default="mpi")
    a = ap.parse_args()
    dist.init_process_group(a.backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    out = {}
    def small_buckets(m):  # several buckets (about 131 float64 each), started in order
        return DistributedDataParallel(m, bucket_cap_mb=0.001)

    for opt_name in ("sgd", "adam"):
        for label, wrap in (("ddp", small_buckets), ("alone", None)):
            net = train(opt_name, world, rank, a.device, wrap)
            for i, p in enumerate(net.parameters()):
                out[f"{opt_name}_{label}_{i}"] = p.detach().cpu().numpy()
    net = model(100 + rank, a.device)
    ddp = DistributedDataParallel(net)
    for i, g in enumerate(no_sync_grads(ddp, net, rank, a.device)):
        out[f"nosync_{i}"] = g
    for i, p in enumerate(net.parameters()):
        out[f"nosync_param_{i}"] = p.detach().cpu().numpy()
    gg.manual_seed(100 + rank)
    net = TwoHeads().to(a.device)
    strict = DistributedDataParallel(net)
    try:  # head b unused on every rank
        two_heads_grads(strict, net, rank, a.device, use_b=False)
        out["unused_error"] = "no error"
    except RuntimeError as e:
        out["unused_error"] = str(e)
    for i, g in enumerate(two_heads_grads(strict, net, rank, a.device, True, penalty=0.3)):
        out[f"penalty_{i}"] = g  # the wrapper is still usable after the error
    lenient = DistributedDataParallel(net, find_unused_parameters=True, bucket_cap_mb=0.0002)
    for i, g in enumerate(two_heads_grads(lenient, net, rank, a.device, use_b=rank == 1)):
        out[f"unused_{i}"] = g  # head b used on rank 1 only
    for i, p in enumerate(net.parameters()):
        out[f"two_heads_param_{i}"] = p.detach().cpu().numpy()
    np.savez(Path(a.out) / f"rank{rank}.npz", **out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
