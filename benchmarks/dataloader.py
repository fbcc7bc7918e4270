"""DataLoader throughput over a dataset whose ``__getitem__`` sleeps (an I/O-bound loader).

    python -m benchmarks.dataloader [--items 512] [--batch 32] [--sleep-ms 1] [--rounds 5]

One epoch (512 items of a float32 vector and an int label, batch 32, shuffled) with 0, 2 and 4
worker processes; workers started afresh each epoch (their start-up is in the time), and 4
persistent workers (started once, before timing). Rounds are interleaved across the
configurations; the median epoch time is reported with the speed-up over 0 workers.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from . import harness as H


class SleepyDataset:
    """``n`` samples (a 64-float vector, a label); each ``__getitem__`` sleeps ``sleep_s``."""

    def __init__(self, n: int, sleep_s: float) -> None:
        self.n, self.sleep_s = n, sleep_s
        self.x = np.random.default_rng(0).standard_normal((n, 64)).astype(np.float32)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        time.sleep(self.sleep_s)
        return self.x[i], i % 10


def epoch(loader) -> float:
    t0 = time.perf_counter()
    count = 0
    for x, _y in loader:
        count += x.shape[0]
    dt = time.perf_counter() - t0
    assert count == len(loader.dataset), count
    return dt


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=512)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--sleep-ms", type=float, default=1.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)

    import gpugrad as gg
    from gpugrad.utils.data import DataLoader

    gg.manual_seed(0)
    ds = SleepyDataset(a.items, a.sleep_ms / 1000)
    persistent = DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=4,
                            persistent_workers=True)
    epoch(persistent)  # start the persistent workers outside the timing
    configs = {
        "0 workers": lambda: DataLoader(ds, batch_size=a.batch, shuffle=True),
        "2 workers": lambda: DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=2),
        "4 workers": lambda: DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=4),
        "4 persistent workers": lambda: persistent,
    }
    times: dict[str, list[float]] = {k: [] for k in configs}
    for _ in range(a.rounds):
        for name, make in configs.items():
            times[name].append(epoch(make()))
    base = H.median(times["0 workers"])
    results = {}
    print(f"{a.items} items, batch {a.batch}, {a.sleep_ms} ms sleep per item, "
          f"median of {a.rounds} epochs")
    for name, ts in times.items():
        med = H.median(ts)
        results[name] = {"median_s": med, "speedup": base / med, "epochs_s": ts}
        print(f"  {name:22s} {med * 1e3:8.1f} ms   {base / med:5.2f}x")
    path = H.write_json(H.Path(a.out) if a.out else H.RESULTS / "dataloader_cpu.json", {
        "benchmark": "dataloader", "machine": H.machine("cpu"), "versions": H.versions(),
        "config": vars(a), "results": results})
    return json.loads(path.read_text())


if __name__ == "__main__":
    main()
