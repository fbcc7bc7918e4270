"""Achieved bandwidth of every fused kernel against the device's copy and the plain-op chain.

    python -m benchmarks.kernels [--device cuda|cpu] [--log2n 26]

For each kernel: bytes read + written / time (median of many runs after warm-up; CUDA events
on a GPU), beside the measured copy bandwidth (a device-to-device cudaMemcpy on a GPU), and
beside the same computation written as a chain of plain CuPy (or NumPy) ops. A row of the table
without a hand-written chain here is measured with generic arguments, its NumPy twin on the
device's arrays standing in for the chain. On the CPU this measures the NumPy twins, which are
the CPU path. Goals on a GPU at 2^24 elements or more: at least 85% of copy bandwidth, and
fused rows at least 2x faster than the plain chain. Writes ``results/kernels_<cpu|cuda>.json``.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from . import harness as H


def _erf(xp, x):
    from gpugrad import _device

    return _device.erf(x)


R2, R2PI, K = 1 / math.sqrt(2), 1 / math.sqrt(2 * math.pi), math.sqrt(2 / math.pi)


def specs(xp, n, rows):
    """name -> (args builder, number of n-element arrays moved, plain-chain function)."""
    cols = n // rows

    def u(*shape, lo=-3.0, hi=3.0):
        return xp.asarray(np.random.default_rng(len(shape)).uniform(lo, hi, shape)
                          .astype(np.float32))

    def xy():
        return [u(n), u(n)]

    def gelu(x):
        return 0.5 * x * (1 + _erf(xp, x * R2))

    def gelu_tanh(x):
        return 0.5 * x * (1 + xp.tanh(K * (x + 0.044715 * x**3)))

    def lse_rows(x):
        m = x.max(1, keepdims=True)
        return xp.log(xp.exp(x - m).sum(1, keepdims=True)) + m

    def xent_plain(x, lse, t, scale, eps, ncls):
        p = xp.exp(x - lse)
        p[xp.arange(x.shape[0]), t[:, 0]] -= 1.0
        return p * scale

    def sgd_plain(g, lr, wd, mom, damp, nest, first, p, buf):
        g = g + wd * p
        buf *= mom
        buf += (1 - damp) * g
        p -= lr * buf

    def adam_plain(g, lr, b1, b2, eps, wd, bc1, bc2, dec, p, m, v):
        p *= 1 - lr * wd
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        p -= (lr / bc1) * m / (xp.sqrt(v) / bc2 + eps)

    def adam_amsgrad_plain(g, lr, b1, b2, eps, wd, bc1, bc2, dec, p, m, v, vmax):
        p *= 1 - lr * wd
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        xp.maximum(vmax, v, out=vmax)
        p -= (lr / bc1) * m / (xp.sqrt(vmax) / bc2 + eps)

    def rmsprop_plain(momentum, centered):  # the chain of PyTorch's single-tensor rule
        def run(g, lr, alpha, eps, wd, *rest):
            mom, (p, v, *bufs) = (rest[0], rest[1:]) if momentum else (0.0, rest)
            g = g + wd * p
            v *= alpha
            v += (1 - alpha) * g * g
            if centered:
                ga = bufs[-1]
                ga += (1 - alpha) * (g - ga)
                avg = xp.sqrt(v - ga * ga) + eps
            else:
                avg = xp.sqrt(v) + eps
            if momentum:
                buf = bufs[0]
                buf *= mom
                buf += g / avg
                p -= lr * buf
            else:
                p -= lr * (g / avg)

        return run

    def adagrad_plain(g, clr, wd, eps, p, acc):
        g = g + wd * p
        acc += g * g
        p -= clr * (g / (xp.sqrt(acc) + eps))

    def pos():
        return u(n, lo=0.0, hi=1.0)

    x2d = lambda: [u(rows, cols)]  # noqa: E731
    return {
        "tanh_fwd": (lambda: [u(n)], 2, lambda x: xp.tanh(x)),
        "tanh_bwd": (xy, 3, lambda y, gy: gy * (1 - y * y)),
        "sigmoid_fwd": (lambda: [u(n)], 2, lambda x: 1 / (1 + xp.exp(-x))),
        "sigmoid_bwd": (xy, 3, lambda y, gy: gy * y * (1 - y)),
        "relu_fwd": (lambda: [u(n)], 2, lambda x: xp.maximum(x, 0)),
        "relu_bwd": (xy, 3, lambda y, gy: gy * (y > 0)),
        "gelu_fwd": (lambda: [u(n)], 2, gelu),
        "gelu_bwd": (xy, 3, lambda x, gy: gy * (0.5 * (1 + _erf(xp, x * R2))
                                               + x * xp.exp(-0.5 * x * x) * R2PI)),
        "gelu_tanh_fwd": (lambda: [u(n)], 2, gelu_tanh),
        "gelu_tanh_bwd": (xy, 3, lambda x, gy: gy * (
            0.5 * (1 + xp.tanh(K * (x + 0.044715 * x**3)))
            + 0.5 * x * (1 - xp.tanh(K * (x + 0.044715 * x**3)) ** 2)
            * K * (1 + 3 * 0.044715 * x * x))),
        "leaky_relu_fwd": (lambda: [u(n), 0.01], 2, lambda x, s: xp.where(x > 0, x, x * s)),
        "leaky_relu_bwd": (lambda: xy() + [0.01], 3,
                           lambda x, gy, s: xp.where(x > 0, gy, gy * s)),
        "bias_tanh": (lambda: [u(cols)] + x2d(), 2, lambda b, z: xp.tanh(z + b)),
        "bias_relu": (lambda: [u(cols)] + x2d(), 2, lambda b, z: xp.maximum(z + b, 0)),
        "bias_sigmoid": (lambda: [u(cols)] + x2d(), 2, lambda b, z: 1 / (1 + xp.exp(-(z + b)))),
        "bias_gelu": (lambda: [u(cols)] + x2d() + [xp.empty((rows, cols), np.float32)], 3,
                      lambda b, z, y: gelu(z + b)),
        "bias_gelu_tanh": (lambda: [u(cols)] + x2d() + [xp.empty((rows, cols), np.float32)], 3,
                           lambda b, z, y: gelu_tanh(z + b)),
        "bias_leaky_relu": (lambda: [u(cols), 0.01] + x2d()
                            + [xp.empty((rows, cols), np.float32)], 3,
                            lambda b, s, z, y: xp.where(z + b > 0, z + b, (z + b) * s)),
        "softmax_xent_bwd": (lambda: (lambda x: [x, lse_rows(x),
                                                 xp.asarray(np.random.default_rng(0).integers(
                                                     0, cols, (rows, 1))),
                                                 xp.full((rows, 1), 1 / rows, np.float32),
                                                 0.0, cols])(u(rows, cols)), 2, xent_plain),
        "sgd_update": (lambda: [u(n), 0.01, 1e-4, 0.9, 0.0, False, False, u(n), u(n)], 5,
                       sgd_plain),
        "sgd_plain_update": (lambda: [u(n), 0.01, 0.0, u(n)], 3,
                             lambda g, lr, wd, p: p.__isub__(lr * g)),
        "adam_update": (lambda: [u(n), 1e-3, 0.9, 0.999, 1e-8, 1e-2, 0.1, 0.03, True, u(n),
                                 u(n), u(n, lo=0.0, hi=1.0)], 7, adam_plain),
        "adam_amsgrad_update": (lambda: [u(n), 1e-3, 0.9, 0.999, 1e-8, 1e-2, 0.1, 0.03, True,
                                         u(n), u(n), pos(), pos()], 9, adam_amsgrad_plain),
        "rmsprop_update": (lambda: [u(n), 1e-2, 0.99, 1e-8, 1e-4, u(n), pos()], 5,
                           rmsprop_plain(False, False)),
        "rmsprop_momentum_update": (lambda: [u(n), 1e-2, 0.99, 1e-8, 1e-4, 0.9, u(n), pos(),
                                             u(n)], 7, rmsprop_plain(True, False)),
        "rmsprop_centered_update": (lambda: [u(n), 1e-2, 0.99, 1e-8, 1e-4, u(n), pos() + 1.0,
                                             u(n, lo=-0.1, hi=0.1)], 7,
                                    rmsprop_plain(False, True)),
        "rmsprop_centered_momentum_update": (
            lambda: [u(n), 1e-2, 0.99, 1e-8, 1e-4, 0.9, u(n), pos() + 1.0, u(n),
                     u(n, lo=-0.1, hi=0.1)], 9, rmsprop_plain(True, True)),
        "adagrad_update": (lambda: [u(n), 1e-2, 1e-4, 1e-10, u(n), pos()], 5, adagrad_plain),
    }


def generic_spec(xp, n, kernel):
    """(args builder, arrays moved, plain chain) for a row with no hand-written chain: inputs
    after the first of an ``*_update`` row are hyperparameters (one number), everything else is
    an n-element array; the twin on the device's arrays is the plain chain. ``*_update`` and
    ``bias_*`` rows take their outputs (updated in place), the others return theirs."""
    params = kernel.params()
    nin = len([s for s in kernel.in_params.split(",") if s.strip()])
    update, bias = kernel.name.endswith("_update"), kernel.name.startswith("bias_")
    scalar = {"T": 0.01, "bool": False, "int64": 1}
    given = params if update or bias else params[:nin]

    def build():
        rng = np.random.default_rng(0)
        args = []
        for j, (t, _) in enumerate(given):
            if update and 0 < j < nin:
                args.append(scalar[t])
            else:
                dt = {"T": np.float32, "bool": np.bool_, "int64": np.int64}[t]
                args.append(xp.asarray(rng.uniform(0.0, 1.0, n).astype(dt)))
        return args

    reads = 1 if update else nin  # the inputs read per element
    nout = len(params) - nin
    writes = nout + (nout if update else 1 if bias else 0)  # in-place outputs are read too
    return build, reads + writes, kernel.twin


def copy_fn(xp, src, dst):
    """A device-to-device copy (cudaMemcpyAsync) on a GPU, np.copyto on the CPU."""
    if xp is np:
        return lambda: np.copyto(dst, src)
    return lambda: dst.data.copy_from_device_async(src.data, src.nbytes)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description="fused kernel bandwidth")
    ap.add_argument("--device", default=None, choices=["cpu", "cuda"])
    ap.add_argument("--log2n", type=int, default=None, help="elements: 2^26 on CUDA, 2^22 CPU")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", default="", help="comma-separated kernel names (default: all)")
    a = ap.parse_args(argv)
    import gpugrad as gg
    from gpugrad import kernels as K_

    device = a.device or ("cuda" if gg.cuda.is_available() else "cpu")
    if device == "cpu":
        xp = np
    else:
        import cupy as xp
    n = 1 << (a.log2n or (26 if device == "cuda" else 22))
    rows = 1 << 12
    src, dst = xp.ones(n, np.float32), xp.empty(n, np.float32)
    copy = H.interleaved({"copy": copy_fn(xp, src, dst)}, {"copy": H.Timer(device)},
                         a.rounds)["copy"]
    copy_bw = 2 * 4 * n / H.median(copy)
    print(f"device {device} ({H.gpu_name() or H.cpu_name()}), n = 2^{int(math.log2(n))} float32,"
          f" copy bandwidth {copy_bw / 1e9:.1f} GB/s (read + write)")
    print(f"{'kernel':18} {'GB/s':>8} {'% copy':>7} {'plain GB/s':>11} {'speedup':>8}")
    results = {"copy_GBps": copy_bw / 1e9, "n": n, "kernels": {}}
    only = {s for s in a.only.split(",") if s}
    table = specs(xp, n, rows)
    for name in K_.TABLE:
        if name not in table:
            table[name] = generic_spec(xp, n, K_.TABLE[name])
    missed = []
    for name, (build, arrays, plain) in table.items():
        if (only and name not in only) or name not in K_.TABLE:
            continue
        args = build()
        kern = K_.TABLE[name]
        pair = {"kernel": lambda kern=kern, args=args: kern(*args),
                "plain": lambda plain=plain, args=args: plain(*args)}
        try:
            pair["plain"]()
        except Exception as exc:  # a twin that only NumPy can run: time the kernel alone
            print(f"{name}: no plain chain on {device} ({type(exc).__name__}: {exc})")
            del pair["plain"]
        s = H.interleaved(pair, {k: H.Timer(device) for k in pair}, a.rounds)
        tk = H.median(s["kernel"])
        tp = H.median(s["plain"]) if "plain" in s else float("nan")
        bw = arrays * 4 * n / tk
        fused = name.endswith(("_bwd", "_update")) or name.startswith("bias_")
        r = {"kernel_s": tk, "plain_s": tp, "GBps": bw / 1e9, "arrays": arrays,
             "fraction_of_copy": bw / copy_bw, "speedup": tp / tk, "fused": fused,
             "samples_s": s}
        if device == "cuda":
            r["meets_bandwidth_goal"] = bool(bw / copy_bw >= 0.85 or n < 1 << 24)
            r["meets_speedup_goal"] = bool(not fused or tp / tk >= 2.0)
            if not (r["meets_bandwidth_goal"] and r["meets_speedup_goal"]):
                missed.append(name)
        results["kernels"][name] = r
        plain_bw = arrays * 4 * n / tp
        print(f"{name:18} {bw / 1e9:8.1f} {100 * bw / copy_bw:6.0f}% {plain_bw / 1e9:11.1f}"
              f" {tp / tk:7.2f}x")
    if device == "cuda":
        results["missed_goals"] = missed
        print(f"goals: {len(results['kernels']) - len(missed)} of {len(results['kernels'])} rows "
              f"at >= 85% of copy bandwidth (and >= 2x the plain chain where fused)"
              + (f"; missed: {', '.join(missed)}" if missed else ""))
    path = H.write_json(H.Path(a.out) if a.out else H.RESULTS / f"kernels_{device}.json", {
        "benchmark": "kernels", "machine": H.machine(device), "threads": H.thread_report(),
        "versions": H.versions(), "results": results})
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
