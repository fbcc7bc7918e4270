"""Forward + backward of layer and batch normalization: the fused op against what it replaces.

    python -m benchmarks.norm [--device cpu|cuda] [--shape 256,512] [--rounds 21] [--repeats 1]

For each of ``layer_norm`` (over the last axis, with weight and bias) and ``batch_norm``
(training, with weight and bias), one forward and backward (input, weight and bias gradients)
of an (N, D) float32 batch by:

- ``fused``: ``F.layer_norm`` / ``F.batch_norm``, one graph node (reductions for the
  statistics, the ``norm_fwd`` / ``norm_bwd`` kernel rows; their NumPy twins on the CPU);
- ``chain``: the same function written as a chain of plain gpugrad ops (mean, subtract,
  multiply, mean, add, sqrt, divide, multiply, add: what the fused op replaced);
- ``numpy``: forward and backward written by hand with NumPy (CuPy on a GPU), no autograd.

Every contender's gradients are checked against the others' first. Median of interleaved
rounds; with ``--repeats N`` the whole measurement runs N times (on a loaded machine) and the
median of the N medians is reported. Writes ``results/norm_<cpu|cuda>.json`` with the load
average beside the samples.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from . import harness as H

EPS = 1e-5


def contenders(kind: str, xp, gg, shape, device):
    """name -> a function running one forward + backward and returning the gradients of the
    input, weight and bias (as NumPy arrays)."""
    import gpugrad.nn.functional as F

    rng = np.random.default_rng(0)
    n, d = shape
    x_np = rng.standard_normal(shape).astype(np.float32) * 2 + 1
    w_np, b_np = rng.uniform(0.5, 1.5, d).astype(np.float32), rng.standard_normal(d).astype(
        np.float32)
    gy_np = rng.standard_normal(shape).astype(np.float32)
    x, w, b = (gg.tensor(a, device=device, requires_grad=True) for a in (x_np, w_np, b_np))
    gy = gg.tensor(gy_np, device=device)
    ax = 1 if kind == "layer_norm" else 0  # the axis of the statistics; parameters are per
    # column in both, their gradients summed over axis 0

    def fused():
        if kind == "layer_norm":
            return F.layer_norm(x, (d,), w, b, EPS)
        return F.batch_norm(x, None, None, w, b, True, 0.1, EPS)

    def chain():
        xc = x - x.mean(ax, keepdim=True)
        y = xc / gg.sqrt((xc * xc).mean(ax, keepdim=True) + EPS)
        return y * w + b

    def autograd(make):
        def run():
            x.grad = w.grad = b.grad = None
            make().backward(gy)
            return [x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]
        return run

    xa, wa, ba, ga = (xp.asarray(a) for a in (x_np, w_np, b_np, gy_np))
    count = d if kind == "layer_norm" else n

    def by_hand():
        mean = xa.mean(ax, keepdims=True)
        xc = xa - mean
        var = (xc * xc).mean(ax, keepdims=True)
        rstd = 1.0 / xp.sqrt(var + EPS)
        xhat = xc * rstd
        y = xhat * wa + ba  # noqa: F841  (the forward's output, computed as a model would)
        gb = ga.sum(0)
        gw = (ga * xhat).sum(0)
        g = ga * wa
        gx = rstd * (g - g.sum(ax, keepdims=True) / count
                     - xhat * (g * xhat).sum(ax, keepdims=True) / count)
        return [gx, gw, gb]

    def numpy_run():
        return [a if isinstance(a, np.ndarray) else a.get() for a in by_hand()]

    return {"fused": autograd(fused), "chain": autograd(chain), "numpy": numpy_run}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description="layer / batch norm forward + backward")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--shape", default="256,512")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--repeats", type=int, default=1, help="whole measurements, median taken")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    import gpugrad as gg

    device = a.device
    if device == "cpu":
        xp = np
    else:
        import cupy as xp
    shape = tuple(int(s) for s in a.shape.split(","))
    load_before = os.getloadavg()
    print(f"device {device} ({H.gpu_name() or H.cpu_name()}), shape {list(shape)} float32, "
          f"{H.THREADS} thread(s), load average {load_before[0]:.2f}")
    print(f"{'op':11} {'fused ms':>9} {'chain ms':>9} {'numpy ms':>9} {'vs chain':>9} "
          f"{'vs numpy':>9}")
    results: dict = {"shape": list(shape), "rounds": a.rounds, "repeats": a.repeats,
                     "load_before": load_before, "ops": {}}
    for kind in ("layer_norm", "batch_norm"):
        runs = contenders(kind, xp, gg, shape, device)
        grads = {name: fn() for name, fn in runs.items()}
        for name in ("chain", "numpy"):
            for got, want in zip(grads[name], grads["fused"]):
                np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-4,
                                           err_msg=f"{kind}: {name} disagrees with fused")
        repeats = []
        for _ in range(a.repeats):
            s = H.interleaved(runs, {k: H.Timer(device) for k in runs}, a.rounds)
            repeats.append({"median_s": {k: H.median(v) for k, v in s.items()},
                            "samples_s": s, "load": os.getloadavg()})
        med = {k: H.median([r["median_s"][k] for r in repeats]) for k in runs}
        results["ops"][kind] = {"median_s": med, "repeats": repeats,
                                "speedup_vs_chain": med["chain"] / med["fused"],
                                "speedup_vs_numpy": med["numpy"] / med["fused"]}
        print(f"{kind:11} {med['fused'] * 1e3:9.3f} {med['chain'] * 1e3:9.3f} "
              f"{med['numpy'] * 1e3:9.3f} {med['chain'] / med['fused']:8.2f}x "
              f"{med['numpy'] / med['fused']:8.2f}x")
    results["load_after"] = os.getloadavg()
    path = H.write_json(H.Path(a.out) if a.out else H.RESULTS / f"norm_{device}.json", {
        "benchmark": "norm", "machine": H.machine(device), "threads": H.thread_report(),
        "versions": H.versions(), "results": results})
    print(f"load average after {results['load_after'][0]:.2f}; wrote {path}")
    return results


if __name__ == "__main__":
    main()
