"""One MLP training step (forward, cross-entropy, backward, SGD step; float32) per contender.

    python -m benchmarks.mlp [--device cpu|cuda] [--sizes tiny,small,mnist,wide] [--rounds 15]
                             [--memory]

Contenders, all in one process, rounds interleaved, warm-up first, median of the rounds:

- gpugrad: ``nn.MLP(..., activation="relu")`` (bias-add + ReLU fused) with ``optim.SGD``;
- gpugrad-seq: the same network as ``nn.Sequential(Linear, ReLU, ...)`` (no fusion);
- floor: the same step written by hand in NumPy (CuPy on CUDA), backward derived by hand;
- gpugrad-compiled: the gpugrad step through ``gpugrad.compile``, where gpugrad has it (its
  first loss must equal eager's, or it is left out); with ``--memory``, the peak memory of a
  step, eager and compiled, is measured too (CPU, tracemalloc);
- torch: PyTorch eager, when importable (same device, same thread count);
- torch-graph: on CUDA, PyTorch's whole step (forward, loss, backward, SGD) captured once as a
  CUDA graph and replayed (PyTorch's "whole-network capture");
- micrograd: Karpathy's scalar engine, when importable, tiny size only (its Value gets exp and
  log, which it lacks, so that it runs the same cross-entropy).

On CUDA every contender is timed with CUDA events (CuPy's for gpugrad and the floor, PyTorch's
for PyTorch). Threads are pinned (GPUGRAD_BENCH_THREADS, default 1) and printed. Writes a table
and ``results/mlp_<cpu|cuda>.json`` with the machine (the GPU by name), versions and every sample.
Without PyTorch the PyTorch contenders are left out.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from . import harness as H

SIZES = {
    "tiny": ([2, 16, 16, 2], 32),
    "small": ([64, 128, 128, 10], 64),
    "mnist": ([784, 512, 512, 10], 256),
    "wide": ([1024, 2048, 2048, 10], 512),
}
LR = 0.01


def _data(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                       rng.uniform(-bound, bound, fan_out).astype(np.float32)))
    return x, y, layers


def gpugrad_step(sizes, batch, device, fused=True):
    import gpugrad as gg
    import gpugrad.nn.functional as F

    x, y, layers = _data(sizes, batch)
    if fused:
        model = gg.nn.MLP(sizes[0], sizes[1:], activation="relu", device=device)
        linears = list(model.layers)
    else:
        mods = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            mods += [gg.nn.Linear(a, b)] + ([gg.nn.ReLU()] if i < len(sizes) - 2 else [])
        model = gg.nn.Sequential(*mods).to(device)
        linears = [m for m in model if isinstance(m, gg.nn.Linear)]
    for lin, (w, b) in zip(linears, layers):
        lin.weight.data.copy_(gg.tensor(w))
        lin.bias.data.copy_(gg.tensor(b))
    xt, yt = gg.tensor(x, device=device), gg.tensor(y, device=device)
    opt = gg.optim.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step


def floor_step(sizes, batch, device):
    """The hand-written step: the fewest passes a NumPy/CuPy framework could make."""
    if device == "cpu":
        xp = np
    else:
        import cupy as xp
    x, y, layers = _data(sizes, batch)
    x, y = xp.asarray(x), xp.asarray(y)
    layers = [(xp.asarray(w), xp.asarray(b)) for w, b in layers]
    rows = xp.arange(batch)
    last = len(layers) - 1

    def step():
        hs = [x]
        for i, (w, b) in enumerate(layers):
            z = hs[-1] @ w.T
            z += b
            if i < last:
                xp.maximum(z, 0, out=z)
            hs.append(z)
        logits = hs.pop()
        m = logits.max(1, keepdims=True)
        p = logits - m
        xp.exp(p, out=p)
        s = p.sum(1, keepdims=True)
        loss = (xp.log(s) + m)[:, 0].mean() - logits[rows, y].mean()
        p /= s  # softmax
        p[rows, y] -= 1.0
        p *= 1.0 / batch  # d loss / d logits
        g = p
        for i in range(last, -1, -1):
            w, b = layers[i]
            h = hs[i]
            gw = g.T @ h
            gb = g.sum(0)
            if i:
                g = g @ w
                g *= h > 0
            w -= LR * gw
            b -= LR * gb
        return loss

    return step


def _torch_setup(sizes, batch, device):
    """PyTorch's model (the same weights as the others), data, SGD and loss on ``device``."""
    import torch

    x, y, layers = _data(sizes, batch)
    mods = []
    for i, (w, b) in enumerate(layers):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        mods += [lin] + ([torch.nn.ReLU()] if i < len(layers) - 1 else [])
    model = torch.nn.Sequential(*mods).to(device)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    return model, xt, yt, torch.optim.SGD(model.parameters(), lr=LR), torch.nn.CrossEntropyLoss()


def torch_step(sizes, batch, device):
    model, xt, yt, opt, lossf = _torch_setup(sizes, batch, device)

    def step():
        opt.zero_grad()
        loss = lossf(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step


def torch_graph_step(sizes, batch, device):
    """PyTorch's step captured as one CUDA graph: warm-up on a side stream, capture, replay."""
    import torch

    model, static_x, static_y, opt, lossf = _torch_setup(sizes, batch, device)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            lossf(model(static_x), static_y).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        static_loss = lossf(model(static_x), static_y)
        static_loss.backward()
        opt.step()

    def step():
        graph.replay()
        return static_loss

    return step


def gpugrad_compiled_step(sizes, batch, device):
    """The gpugrad step through gpugrad.compile, or None where gpugrad has no compile or its
    first loss differs from eager's."""
    import gpugrad as gg

    if not hasattr(gg, "compile"):
        return None
    try:
        eager = float(gpugrad_step(sizes, batch, device)().item())
        step = gg.compile(gpugrad_step(sizes, batch, device))
        first = float(step().item())
    except Exception as exc:
        print(f"gpugrad-compiled left out: {type(exc).__name__}: {exc}")
        return None
    if abs(first - eager) > 1e-5 * max(1.0, abs(eager)):
        print(f"gpugrad-compiled left out: first loss {first}, eager {eager}")
        return None
    return step


def _give_micrograd_exp_and_log(Value) -> None:
    """micrograd's Value has no exp or log; add both, in its own style, for cross-entropy."""

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    if not hasattr(Value, "exp"):
        Value.exp = exp
    if not hasattr(Value, "log"):
        Value.log = log


def micrograd_step(sizes, batch):
    """micrograd's own MLP and Values; softmax cross-entropy written with Value ops."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    _give_micrograd_exp_and_log(Value)

    x, y, _ = _data(sizes, batch)
    model = MLP(sizes[0], sizes[1:])
    xs = [[float(v) for v in row] for row in x]

    def step():
        model.zero_grad()
        total = Value(0.0)
        for row, t in zip(xs, y):
            logits = model(row)
            exps = [(lg - logits[0].data).exp() for lg in logits]  # shift for stability
            total = total + (-(exps[int(t)] / sum(exps)).log())
        loss = total * (1.0 / batch)
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        return loss

    return step


def available(module: str) -> bool:
    try:
        __import__(module)
        return True
    except Exception:
        return False


def contenders_for(size: str, device: str) -> dict:
    sizes, batch = SIZES[size]
    out = {"gpugrad": gpugrad_step(sizes, batch, device),
           "gpugrad-seq": gpugrad_step(sizes, batch, device, fused=False),
           "floor": floor_step(sizes, batch, device)}
    compiled = gpugrad_compiled_step(sizes, batch, device)
    if compiled is not None:
        out["gpugrad-compiled"] = compiled
    if available("torch"):
        import torch

        if device == "cpu" or torch.cuda.is_available():
            out["torch"] = torch_step(sizes, batch, device)
        if device == "cuda" and torch.cuda.is_available():
            try:
                out["torch-graph"] = torch_graph_step(sizes, batch, device)
            except Exception as exc:  # capture can fail on old drivers; report and go on
                print(f"torch-graph left out: {type(exc).__name__}: {exc}")
    if size == "tiny" and device == "cpu" and available("micrograd"):
        out["micrograd"] = micrograd_step(sizes, batch)
    return out


def check_same_first_step(size: str, device: str) -> dict:
    """gpugrad, floor and torch start from the same weights: their first losses must agree."""
    sizes, batch = SIZES[size]
    losses = {"gpugrad": float(gpugrad_step(sizes, batch, device)().item()),
              "floor": float(floor_step(sizes, batch, device)())}
    if available("torch"):
        import torch

        if device == "cpu" or torch.cuda.is_available():
            losses["torch"] = float(torch_step(sizes, batch, device)().item())
    ref = losses["floor"]
    for k, v in losses.items():
        if abs(v - ref) > 1e-4 * max(1.0, abs(ref)):
            raise AssertionError(f"{size}: first-step loss of {k} is {v}, floor's is {ref}")
    return losses


def memory(size: str) -> dict | None:
    """Peak bytes of one training step on the CPU (tracemalloc, which sees NumPy's
    allocations): eager, and compiled (its planned arena, held between steps, plus the peak
    of one replay). Each measured after a step, so that the previous step's gradients, freed
    by zero_grad, are traced in both."""
    import gpugrad as gg

    if not hasattr(gg, "compile"):
        return None
    sizes, batch = SIZES[size]

    eager = gpugrad_step(sizes, batch, "cpu")
    compiled = gg.compile(gpugrad_step(sizes, batch, "cpu"))
    for _ in range(3):
        eager()
        compiled()
    (prog,) = compiled.programs
    replay = H.peak_bytes(compiled)
    return {"gpugrad": H.peak_bytes(eager), "gpugrad-compiled": replay + prog.planned_bytes,
            "compiled_arena": prog.planned_bytes, "compiled_replay": replay}


def run(device: str = "cpu", sizes=tuple(SIZES), rounds: int = 15, mem: bool = False) -> dict:
    results = {}
    for size in sizes:
        check_same_first_step(size, device)
        contenders = contenders_for(size, device)
        timers = {n: H.Timer(device, "torch" if n.startswith("torch") else "cupy")
                  for n in contenders}
        samples = H.interleaved(contenders, timers, rounds)
        batch = SIZES[size][1]
        results[size] = {
            "layers": SIZES[size][0], "batch": batch,
            "median_s": {n: H.median(s) for n, s in samples.items()},
            "samples_s": samples,
        }
        med = results[size]["median_s"]
        results[size]["samples_per_s"] = {n: batch / t for n, t in med.items()}
        print(row(size, results[size]), flush=True)
        if mem and device == "cpu":
            m = results[size]["peak_bytes"] = memory(size)
            if m:
                print(f"{size:6} peak memory: gpugrad {m['gpugrad'] / 1024:.1f} KiB, "
                      f"gpugrad-compiled {m['gpugrad-compiled'] / 1024:.1f} KiB (arena "
                      f"{m['compiled_arena'] / 1024:.1f} + replay "
                      f"{m['compiled_replay'] / 1024:.1f})", flush=True)
    return results


HEADER = (f"{'size':6} {'contender':16} {'ms/step':>10} {'samples/s':>12} "
          f"{'vs floor':>9} {'vs torch':>9}")


def row(size: str, r: dict) -> str:
    med = r["median_s"]
    lines = []
    for name, t in med.items():
        vs_floor = t / med["floor"]
        vs_torch = f"{t / med['torch']:9.2f}" if "torch" in med else f"{'-':>9}"
        lines.append(f"{size:6} {name:16} {t * 1e3:10.3f} {r['batch'] / t:12.0f} "
                     f"{vs_floor:9.2f} {vs_torch}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description="MLP training-step throughput")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--out", default=None, help="JSON path (default: results/mlp_<device>.json)")
    ap.add_argument("--memory", action="store_true",
                    help="also the peak memory of a step, eager and compiled (CPU, tracemalloc)")
    a = ap.parse_args(argv)
    threads = H.thread_report()
    mach = H.machine(a.device)
    print(f"machine: {mach['cpu']} ({mach['cores']} cores)"
          + (f", GPU {mach['gpu']}" if mach["gpu"] else ""))
    print(f"threads: {threads}")
    print(HEADER)
    results = run(a.device, [s for s in a.sizes.split(",") if s], a.rounds, a.memory)
    path = H.write_json(H.Path(a.out) if a.out else H.RESULTS / f"mlp_{a.device}.json", {
        "benchmark": "mlp", "machine": mach, "threads": threads, "versions": H.versions(),
        "rounds": a.rounds, "lr": LR, "results": results})
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
