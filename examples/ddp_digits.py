"""Train the digits MLP data-parallel on N processes; the same accuracy as one process.

    python -m gpugrad.distributed.run -n 2 examples/ddp_digits.py [--epochs 40]
    mpiexec -n 2 python -m mpi4py examples/ddp_digits.py          (the same, by hand)

Every process builds the model (DistributedDataParallel copies rank 0's parameters to all),
takes its share of each epoch through DistributedSampler, and trains on batches of
global_batch / N; after each backward the gradients are averaged, so every step is the step one
process would take on the whole global batch. CPU processes talk over MPI; on GPUs (one per
process) over NCCL. Rank 0 prints the samples per second and the test accuracy.
"""

from __future__ import annotations

import argparse
import time

from digits import accuracy, load_digits  # examples/digits.py, beside this file

import gpugrad as gg
import gpugrad.distributed as dist
import gpugrad.nn as nn
import gpugrad.nn.functional as F
from gpugrad.distributed import DistributedSampler
from gpugrad.nn.parallel import DistributedDataParallel
from gpugrad.utils.data import DataLoader, TensorDataset


def batches(ds: TensorDataset, sampler: DistributedSampler, batch_size: int):
    """This process's batches: through DataLoader(sampler=) where the loader takes one, else by
    indexing the dataset's tensors with the sampler's indices."""
    try:
        return DataLoader(ds, batch_size=batch_size, sampler=sampler)
    except TypeError:  # a DataLoader without sampler=
        idx = list(sampler)
        return [[t[gg.tensor(idx[i:i + batch_size])] for t in ds.tensors]
                for i in range(0, len(idx), batch_size)]


def main(epochs: int = 40, batch_size: int = 64, lr: float = 2e-3, hidden: int = 256,
         seed: int = 0, dropout: float = 0.3, weight_decay: float = 1e-2,
         label_smoothing: float = 0.1) -> dict:
    use_cuda = gg.cuda.is_available() and dist.is_nccl_available()
    dist.init_process_group("nccl" if use_cuda else "mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if batch_size % world:
        raise SystemExit(f"the global batch {batch_size} must divide among {world} processes")
    device = f"cuda:{dist.get_local_rank()}" if use_cuda else "cpu"
    Xtr, ytr, Xte, yte = load_digits(device, seed)
    gg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, hidden), nn.GELU(), nn.Dropout(dropout),
                          nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout),
                          nn.Linear(hidden, 10)).to(device)
    ddp = DistributedDataParallel(model)
    gg.manual_seed(seed + 1000 * rank)  # each process draws its own dropout masks
    opt = gg.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    train = TensorDataset(Xtr, ytr)
    sampler = DistributedSampler(train, shuffle=True, seed=seed)
    if rank == 0:
        print(f"processes: {world}  device: {gg.device(device)}  backend: {dist.get_backend()}"
              f"  global batch: {batch_size}  train: {len(Xtr)}  test: {len(Xte)}")
    seen, train_time = 0, 0.0
    for epoch in range(1, epochs + 1):
        sampler.set_epoch(epoch)
        dist.barrier()
        t0 = time.perf_counter()
        total, count = 0.0, 0
        for xb, yb in batches(train, sampler, batch_size // world):
            opt.zero_grad()
            loss = F.cross_entropy(ddp(xb), yb, label_smoothing=label_smoothing)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            count += len(xb)
        train_time += time.perf_counter() - t0
        seen += count * world
        if rank == 0 and (epoch % 10 == 0 or epoch == epochs):
            print(f"epoch {epoch:3d}  loss (rank 0) {total / count:.4f}  "
                  f"test {accuracy(model, Xte, yte):.4f}")
    result = {"processes": world, "device": str(gg.device(device)),
              "test_accuracy": accuracy(model, Xte, yte),
              "samples_per_second": seen / train_time}
    if rank == 0:
        print(f"processes: {world}  samples/s: {result['samples_per_second']:.0f}  "
              f"test accuracy: {result['test_accuracy']:.4f}")
    dist.destroy_process_group()
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=64, help="the global batch")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-accuracy", type=float, default=0.97,
                    help="exit with an error below this test accuracy")
    a = ap.parse_args()
    res = main(a.epochs, a.batch_size, a.lr, a.hidden, a.seed)
    if res["test_accuracy"] < a.min_accuracy:
        raise SystemExit(f"test accuracy {res['test_accuracy']:.4f} is below {a.min_accuracy}")
