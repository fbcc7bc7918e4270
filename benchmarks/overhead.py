"""Per-op cost on tiny tensors: a gpugrad op against the bare array call, in microseconds.

    python -m benchmarks.overhead [--device cpu|cuda] [--shape 16,16]

For each op: the bare NumPy/CuPy call; gpugrad with no tensor requiring grad; gpugrad
recording the graph; and a full forward + backward through gpugrad against the bare forward
plus the hand-written backward.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from . import harness as H


def cases(xp, gg, shape, device):
    rng = np.random.default_rng(0)
    a_np = rng.uniform(0.5, 2.0, shape).astype(np.float32)
    b_np = rng.uniform(0.5, 2.0, shape).astype(np.float32)
    a, b = xp.asarray(a_np), xp.asarray(b_np)
    ta, tb = gg.tensor(a_np, device=device), gg.tensor(b_np, device=device)
    wa = gg.tensor(a_np, device=device, requires_grad=True)
    gy = xp.ones(shape, np.float32)

    def fb(fn):
        def run():
            fn().backward(gg.ones(shape, device=device))
            wa.grad = None
        return run

    return {
        # name: (bare forward, bare forward+backward, gpugrad no-grad, gpugrad grad, gpugrad f+b)
        "add": (lambda: a + b, lambda: (a + b, gy.copy()),
                lambda: ta + tb, lambda: wa + tb, fb(lambda: wa + tb)),
        "mul": (lambda: a * b, lambda: (a * b, gy * b),
                lambda: ta * tb, lambda: wa * tb, fb(lambda: wa * tb)),
        "tanh": (lambda: xp.tanh(a), lambda: gy * (1 - xp.tanh(a) ** 2),
                 lambda: ta.tanh(), lambda: wa.tanh(), fb(lambda: wa.tanh())),
        "exp": (lambda: xp.exp(a), lambda: gy * xp.exp(a),
                lambda: ta.exp(), lambda: wa.exp(), fb(lambda: wa.exp())),
        "sum": (lambda: a.sum(), lambda: (a.sum(), xp.ones(shape, np.float32)),
                lambda: ta.sum(), lambda: wa.sum(), lambda: (wa.sum().backward(),
                                                             setattr(wa, "grad", None))),
        "matmul": (lambda: a @ b, lambda: (a @ b, gy @ b.T),
                   lambda: ta @ tb, lambda: wa @ tb, fb(lambda: wa @ tb)),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description="per-op overhead in microseconds")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--shape", default="16,16")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    import gpugrad as gg

    if a.device == "cpu":
        xp = np
    else:
        import cupy as xp
    shape = tuple(int(s) for s in a.shape.split(","))
    threads = H.thread_report()
    print(f"shape {shape}, device {a.device}, threads {threads['requested']}")
    print(f"{'op':8} {'bare fwd':>9} {'no-grad':>9} {'grad':>9} {'overhead':>9} "
          f"{'bare f+b':>9} {'gg f+b':>9} {'overhead':>9}   (microseconds)")
    results = {}
    for name, fns in cases(xp, gg, shape, a.device).items():
        labels = ("bare_fwd", "bare_fwd_bwd", "nograd", "grad", "fwd_bwd")
        samples = H.interleaved(dict(zip(labels, fns)), {k: H.Timer(a.device) for k in labels},
                                a.rounds, min_time=0.01)
        med = {k: H.median(v) * 1e6 for k, v in samples.items()}
        results[name] = {"median_us": med, "samples_s": samples}
        print(f"{name:8} {med['bare_fwd']:9.2f} {med['nograd']:9.2f} {med['grad']:9.2f} "
              f"{med['grad'] - med['bare_fwd']:9.2f} {med['bare_fwd_bwd']:9.2f} "
              f"{med['fwd_bwd']:9.2f} {med['fwd_bwd'] - med['bare_fwd_bwd']:9.2f}")
    path = H.write_json(H.Path(a.out) if a.out else H.RESULTS / f"overhead_{a.device}.json", {
        "benchmark": "overhead", "shape": shape, "machine": H.machine(a.device),
        "threads": threads, "versions": H.versions(), "results": results})
    print(f"wrote {path}")
    return json.loads(path.read_text())


if __name__ == "__main__":
    main()
