"""The same small network trained twice: backward written by hand, and by autograd.

Network: x (N, 3) -> tanh(x W1^T + b1) (N, 8) -> h W2^T + b2 (N, 1), mean squared error.
The hand-written version derives every gradient with the chain rule in NumPy; the autograd
version only writes the forward pass. Both start from the same weights, take the same SGD
steps, and their gradients agree to float64 rounding at every step.

    python examples/manual_vs_auto.py [--steps 20] [--device auto|cpu|cuda]
"""

from __future__ import annotations

import argparse

import numpy as np

import gpugrad as gg


class ManualGrad:
    """Forward and derivative written by hand (NumPy, float64)."""

    def __init__(self, W1, b1, W2, b2):
        self.params = {"W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(), "b2": b2.copy()}

    def loss_and_grads(self, x, y):
        p = self.params
        h = np.tanh(x @ p["W1"].T + p["b1"])  # (N, 8)
        out = h @ p["W2"].T + p["b2"]  # (N, 1)
        loss = ((out - y) ** 2).mean()
        d_out = 2 * (out - y) / out.size  # d loss / d out
        grads = {"W2": d_out.T @ h, "b2": d_out.sum(0)}
        d_h = d_out @ p["W2"]  # back through the second layer
        d_z = d_h * (1 - h**2)  # back through tanh: tanh' = 1 - tanh^2
        grads.update(W1=d_z.T @ x, b1=d_z.sum(0))
        return loss, grads


def autograd_loss_and_grads(params: dict, x, y):
    for t in params.values():
        t.grad = None
    h = (x @ params["W1"].T + params["b1"]).tanh()
    out = h @ params["W2"].T + params["b2"]
    loss = ((out - y) ** 2).mean()
    loss.backward()
    return loss.item(), {k: t.grad.cpu().numpy() for k, t in params.items()}


def main(steps: int = 20, lr: float = 0.1, seed: int = 0, device: str = "cpu",
         verbose: bool = True) -> dict:
    if device == "auto":
        device = "cuda" if gg.cuda.is_available() else "cpu"
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3))
    y = np.sin(x.sum(1, keepdims=True))
    init = dict(W1=rng.normal(size=(8, 3)) * 0.5, b1=np.zeros(8),
                W2=rng.normal(size=(1, 8)) * 0.5, b2=np.zeros(1))
    manual = ManualGrad(**init)
    auto = {k: gg.tensor(v, dtype=gg.float64, device=device, requires_grad=True)
            for k, v in init.items()}
    xt = gg.tensor(x, dtype=gg.float64, device=device)
    yt = gg.tensor(y, dtype=gg.float64, device=device)
    worst, losses = 0.0, []
    for k in range(steps):
        lm, gm = manual.loss_and_grads(x, y)
        la, ga = autograd_loss_and_grads(auto, xt, yt)
        diff = max(float(np.abs(gm[n] - ga[n]).max()) for n in gm)
        worst = max(worst, diff)
        losses.append((lm, la))
        if verbose:
            print(f"step {k:2d}  loss manual {lm:.10f}  autograd {la:.10f}  "
                  f"max |grad difference| {diff:.2e}")
        for n in gm:  # the same SGD step on both copies
            manual.params[n] -= lr * gm[n]
            with gg.no_grad():
                auto[n] -= lr * auto[n].grad
    return {"max_grad_difference": worst, "losses": losses}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--device", default="auto", help="auto (the best), cpu, cuda or cuda:N")
    a = ap.parse_args()
    r = main(a.steps, device=a.device)
    print(f"largest gradient difference over all steps: {r['max_grad_difference']:.2e}")
