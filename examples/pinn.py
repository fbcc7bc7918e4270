"""A physics-informed network: an MLP u(x) trained so that u'' = -pi^2 sin(pi x) on [0, 1].

With u(0) = u(1) = 0 the exact solution is sin(pi x). The network never sees it: the loss is
the mean squared residual of the equation at collocation points plus a penalty on the two
boundary values. u'' comes from two ``autograd.grad(..., create_graph=True)`` calls through the
network with respect to its input, so the loss's gradient with respect to the weights is a third
derivative of the network, computed by the same engine.

    python examples/pinn.py [--steps 1000] [--seed 0] [--device auto|cpu|cuda]
                            [--dtype float64|float32] [--plot pinn.png]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

import gpugrad as gg
from gpugrad.autograd import grad

PI = math.pi


def make_model(width: int = 32, dtype=gg.float64, device=None) -> gg.nn.Sequential:
    """u(x): 1 -> width -> width -> 1, tanh between the linear layers (tanh is smooth, so u'' is
    a smooth function of x and of the weights)."""
    return gg.nn.Sequential(
        gg.nn.Linear(1, width, dtype=dtype, device=device), gg.nn.Tanh(),
        gg.nn.Linear(width, width, dtype=dtype, device=device), gg.nn.Tanh(),
        gg.nn.Linear(width, 1, dtype=dtype, device=device),
    )


def derivatives(model, x: gg.Tensor) -> tuple[gg.Tensor, gg.Tensor, gg.Tensor]:
    """``u, u', u''`` at the points ``x`` (shape (N, 1), requires grad), all with graphs.

    Each u[i] depends only on x[i], so the gradient of sum(u) with respect to x is u' pointwise
    (``grad_outputs`` of ones), and likewise for u''.
    """
    u = model(x)
    (du,) = grad(u, x, gg.ones_like(u), create_graph=True)
    (d2u,) = grad(du, x, gg.ones_like(du), create_graph=True)
    return u, du, d2u


def max_error(model, n: int = 1001) -> float:
    """max |u - sin(pi x)| on ``n`` equally spaced points of [0, 1], ends included."""
    w = next(iter(model.parameters()))
    xs = np.linspace(0.0, 1.0, n)
    with gg.no_grad():
        u = model(gg.tensor(xs[:, None], dtype=w.dtype, device=w.device)).cpu().numpy()[:, 0]
    return float(np.abs(u - np.sin(PI * xs)).max())


def main(steps: int = 1000, seed: int = 0, device: str | None = None, dtype: str = "float64",
         n_points: int = 64, width: int = 32, lr: float = 1e-2, boundary_weight: float = 1.0,
         plot: str | Path | None = None, report_every: int = 100,
         verbose: bool = True) -> dict:
    """Train the network for ``steps`` Adam steps (learning rate cosine-annealed from ``lr`` to
    ``lr / 100``) on ``n_points`` fixed interior collocation points; returns the losses, the
    final max error on a fine grid, the model and, with ``plot``, the path of the saved PNG."""
    if device in (None, "auto"):
        device = "cuda" if gg.cuda.is_available() else "cpu"
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    dt = gg.float64 if dtype == "float64" else gg.float32
    gg.manual_seed(seed)
    model = make_model(width, dt, device)
    opt = gg.optim.Adam(model.parameters(), lr=lr)
    sched = gg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1), eta_min=lr / 100)

    xs = np.linspace(0.0, 1.0, n_points + 2)[1:-1, None]  # interior points; the ends are below
    x = gg.tensor(xs, dtype=dt, device=device, requires_grad=True)
    f = gg.tensor(-PI**2 * np.sin(PI * xs), dtype=dt, device=device)  # the right-hand side
    xb = gg.tensor([[0.0], [1.0]], dtype=dt, device=device)

    params = list(model.parameters())
    losses = []
    for k in range(steps):
        _, _, d2u = derivatives(model, x)
        residual = (d2u - f) / PI**2  # scaled: the right-hand side is then of order 1
        ub = model(xb)
        loss = (residual * residual).mean() + boundary_weight * (ub * ub).mean()
        opt.zero_grad()
        loss.backward(inputs=params)  # the weights' gradients only (x requires grad too)
        lr_now = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        losses.append(loss.item())
        if verbose and (k % report_every == 0 or k == steps - 1):
            print(f"step {k:5d}  loss {losses[-1]:.3e}  max error {max_error(model):.3e}  "
                  f"lr {lr_now:.2e}")
    err = max_error(model)
    if verbose:
        print(f"final max |u - sin(pi x)| on 1001 points: {err:.3e}")
    result = {"losses": losses, "max_error": err, "model": model, "device": str(device)}
    if plot is not None:
        result["plot"] = plot_solution(model, Path(plot))
    return result


def plot_solution(model, path: Path) -> Path:
    """Save u(x) against sin(pi x), and their difference, as a PNG (headless)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = next(iter(model.parameters()))
    xs = np.linspace(0.0, 1.0, 401)
    with gg.no_grad():
        u = model(gg.tensor(xs[:, None], dtype=w.dtype, device=w.device)).cpu().numpy()[:, 0]
    exact = np.sin(PI * xs)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6, 6), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1]})
    ax.plot(xs, exact, "k-", lw=3, alpha=0.35, label=r"exact $\sin(\pi x)$")
    ax.plot(xs, u, "C0--", lw=1.5, label="network $u(x)$")
    ax.set(ylabel="u", title=r"PINN: $u'' = -\pi^2 \sin(\pi x)$, $u(0) = u(1) = 0$")
    ax.legend()
    ax2.plot(xs, u - exact, "C3-")
    ax2.set(xlabel="x", ylabel="u - exact")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto", help="auto (the best), cpu, cuda or cuda:N")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--plot", default=None, help="save u against the exact solution (PNG)")
    a = ap.parse_args()
    r = main(a.steps, a.seed, device=a.device, dtype=a.dtype, plot=a.plot)
    if "plot" in r:
        print(f"plot saved to {r['plot']}")
