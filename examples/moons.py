"""A 2-16-16-1 MLP with a max-margin (hinge) loss on two interleaving half-moons.

The moons are generated with NumPy. Training is full-batch SGD with L2 regularisation and a
decaying learning rate, as in micrograd's demo, but on tensors. Saves a decision-boundary PNG.

    python examples/moons.py [--steps 200] [--n 100] [--device auto|cpu|cuda] [--out runs/moons]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import gpugrad as gg
from gpugrad.nn import MLP


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles; labels in {-1, +1}."""
    rng = np.random.default_rng(seed)
    n1 = n // 2
    t1, t2 = np.linspace(0, np.pi, n1), np.linspace(0, np.pi, n - n1)
    X = np.concatenate([np.stack([np.cos(t1), np.sin(t1)], 1),
                        np.stack([1 - np.cos(t2), 0.5 - np.sin(t2)], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n1), np.ones(n - n1)])
    return X, y


def main(steps: int = 200, n: int = 100, device: str | None = None,
         out: str | Path | None = "runs/moons", seed: int = 0, verbose: bool = True) -> dict:
    if device in (None, "auto"):
        device = "cuda" if gg.cuda.is_available() else "cpu"
    gg.manual_seed(seed)
    Xn, yn = make_moons(n, seed=seed)
    X = gg.tensor(Xn, dtype=gg.float32, device=device)
    y = gg.tensor(yn, dtype=gg.float32, device=device)
    model = MLP(2, [16, 16, 1], activation="relu", device=device)
    params = list(model.parameters())
    for k in range(steps):
        scores = model(X).reshape(-1)
        data_loss = (1 - y * scores).relu().mean()  # hinge loss
        reg_loss = 1e-4 * sum((p * p).sum() for p in params)
        loss = data_loss + reg_loss
        acc = ((scores > 0).float() * 2 - 1 == y).float().mean().item()
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        with gg.no_grad():
            for p in params:
                p -= lr * p.grad
        if verbose and (k % 10 == 0 or k == steps - 1):
            print(f"step {k:3d} loss {loss.item():.4f}, accuracy {acc * 100:.1f}%")
    with gg.no_grad():
        acc = ((model(X).reshape(-1) > 0).float() * 2 - 1 == y).float().mean().item()
    result = {"accuracy": acc, "loss": loss.item(), "model": model}
    if out is not None:
        result["plot"] = plot_boundary(model, Xn, yn, Path(out) / "moons_boundary.png", device)
    return result


def plot_boundary(model, X, y, path: Path, device) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xx, yy = np.meshgrid(np.linspace(X[:, 0].min() - 1, X[:, 0].max() + 1, 200),
                         np.linspace(X[:, 1].min() - 1, X[:, 1].max() + 1, 200))
    grid = gg.tensor(np.c_[xx.ravel(), yy.ravel()], dtype=gg.float32, device=device)
    with gg.no_grad():
        z = (model(grid).reshape(-1) > 0).cpu().numpy().reshape(xx.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(xx, yy, z, cmap=plt.cm.Spectral, alpha=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=30, cmap=plt.cm.Spectral, edgecolors="k")
    ax.set(title="moons: decision boundary", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--n", type=int, default=100, help="number of points")
    ap.add_argument("--device", default="auto", help="auto (the best), cpu, cuda or cuda:N")
    ap.add_argument("--out", default="runs/moons")
    a = ap.parse_args()
    r = main(a.steps, a.n, device=a.device, out=a.out)
    print(f"training accuracy {r['accuracy'] * 100:.1f}%, boundary saved to {r['plot']}")
