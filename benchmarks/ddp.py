"""Data-parallel training: all-reduce bandwidth and the step time on 1 and N processes.

    python -m benchmarks.ddp [--procs 1,2] [--rounds 15] [--device cpu|cuda]

For each process count it launches ``mpiexec -n N python -m mpi4py -m benchmarks.ddp --worker``
(the mpiexec beside this Python). Each worker pins one BLAS thread (GPUGRAD_BENCH_THREADS) and
measures, rounds interleaved, medians reported:

- all-reduce (SUM, float32) of 1 MiB, of the MLP's gradients (2.68 MB) and of 100 MiB: seconds
  per call, the algorithm bandwidth (bytes / time) and the bus bandwidth (x 2(N-1)/N, what each
  link carries in a ring);
- one training step (zero_grad, forward, cross-entropy, backward, SGD) of the MLP
  [784, 512, 512, 10] at a global batch of 256 (256 / N per process): ``ddp`` through
  DistributedDataParallel, and ``local`` the same step without it (each process alone on its
  share: the compute part of the ``ddp`` step). A step's time is the slowest process's.

Writes results/ddp_<device>.json and prints a table. CPU processes talk over MPI, GPUs over NCCL.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import THREADS
from . import harness as H

SIZES, BATCH = [784, 512, 512, 10], 256
GRAD_BYTES = 4 * sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:]))  # the MLP's gradients
MESSAGES = {"1MiB": (1 << 20, 50), "grads": (GRAD_BYTES, 20), "100MiB": (100 << 20, 2)}
STEPS_PER_SAMPLE = 10


def worker(rounds: int, device: str, out: Path) -> None:
    import gpugrad as gg
    import gpugrad.distributed as dist
    import gpugrad.nn.functional as F
    from gpugrad.nn.parallel import DistributedDataParallel

    dist.init_process_group("nccl" if device == "cuda" else "mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if device == "cuda":
        device = f"cuda:{dist.get_local_rank()}"
    timer = H.Timer("cpu" if device == "cpu" else "cuda")

    def slowest(seconds: float) -> float:
        t = gg.tensor([seconds], dtype=gg.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())

    def sample(fn, n: int) -> float:
        dist.barrier()
        return slowest(timer(fn, n) / n)

    results: dict = {"world_size": world, "allreduce": {}, "step": {}}
    for name, (nbytes, calls) in MESSAGES.items():
        buf = gg.ones(nbytes // 4, dtype=gg.float32, device=device)
        fn = lambda buf=buf: dist.all_reduce(buf)  # noqa: E731
        for _ in range(2):
            fn()
        secs = [sample(fn, calls) for _ in range(max(3, rounds // 3))]
        t = H.median(secs)
        results["allreduce"][name] = {
            "bytes": nbytes, "seconds": t, "samples": secs, "algbw_GBps": nbytes / t / 1e9,
            "busbw_GBps": nbytes / t / 1e9 * 2 * (world - 1) / world}
        del buf

    rng = np.random.default_rng(rank)
    local = BATCH // world
    x = gg.tensor(rng.standard_normal((local, SIZES[0])), dtype=gg.float32, device=device)
    y = gg.tensor(rng.integers(0, SIZES[-1], local), device=device)
    steps = {}
    for name in ("ddp", "local"):
        gg.manual_seed(0)
        model = gg.nn.MLP(SIZES[0], SIZES[1:], activation="relu", device=device)
        run = DistributedDataParallel(model) if name == "ddp" else model
        opt = gg.optim.SGD(model.parameters(), lr=0.01)

        def step(run=run, opt=opt) -> None:
            opt.zero_grad()
            F.cross_entropy(run(x), y).backward()
            opt.step()

        steps[name] = step
    for fn in steps.values():
        for _ in range(3):
            fn()
    samples: dict = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            samples[name].append(sample(fn, STEPS_PER_SAMPLE))
    for name, secs in samples.items():
        results["step"][name] = {"seconds": H.median(secs), "samples": secs,
                                 "batch_per_process": local}
    if rank == 0:
        out.write_text(json.dumps(results))
    dist.destroy_process_group()


def launch(n: int, rounds: int, device: str) -> dict:
    from gpugrad.distributed.run import find_mpiexec

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [find_mpiexec(), "-n", str(n), sys.executable, "-m", "mpi4py", "-m",
               "benchmarks.ddp", "--worker", "--out", str(out), "--rounds", str(rounds),
               "--device", device]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (str(root), os.environ.get("PYTHONPATH")) if p))
        subprocess.run(cmd, cwd=root, env=env, check=True)
        return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procs", default="1,2", help="process counts, comma-separated")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.rounds, a.device, a.out)
        return
    load = os.getloadavg()  # other people's work on this machine skews every number
    runs = {int(n): launch(int(n), a.rounds, a.device) for n in a.procs.split(",")}
    payload = {"benchmark": "ddp", "machine": H.machine(a.device),
               "load_average_1min": {"before": load[0], "after": os.getloadavg()[0]},
               "threads_per_process": THREADS, "versions": H.versions(), "rounds": a.rounds,
               "layers": SIZES, "global_batch": BATCH, "runs": runs}
    path = H.write_json(H.RESULTS / f"ddp_{a.device}.json", payload)
    print(f"**{a.device}** ({payload['machine']['cpu']}, {payload['machine']['cores']} cores, "
          f"{THREADS} BLAS thread(s) per process; medians of {a.rounds} rounds; load average "
          f"{payload['load_average_1min']['before']:.1f} before)\n")
    print("| processes | all-reduce 1 MiB | all-reduce 2.68 MB (grads) | all-reduce 100 MiB | "
          "step ddp (ms) | step local (ms) | samples/s (ddp) |")
    print("|---|---|---|---|---|---|---|")
    for n, r in runs.items():
        ar = {k: f"{v['seconds'] * 1e3:.3f} ms, {v['busbw_GBps']:.2f} GB/s bus"
              for k, v in r["allreduce"].items()}
        ddp, local = r["step"]["ddp"]["seconds"], r["step"]["local"]["seconds"]
        print(f"| {n} | {ar['1MiB']} | {ar['grads']} | {ar['100MiB']} | {ddp * 1e3:.2f} | "
              f"{local * 1e3:.2f} | {BATCH / ddp:.0f} |")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
