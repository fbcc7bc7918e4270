"""Regression with a normalized MLP on scikit-learn's synthetic Friedman #1 data (no download).

    python examples/regression_bn.py [--epochs 30] [--device cuda] [--norm batch|layer]

y = 10 sin(pi x1 x2) + 20 (x3 - 1/2)^2 + 10 x4 + 5 x5 + noise, with five more inputs that do
not matter. The model is Linear -> BatchNorm1d (or LayerNorm) -> SiLU, twice, then Linear,
trained with Adam on the mean squared error; the learning rate follows a cosine schedule
(``CosineAnnealingLR``, stepped once an epoch) and the batches come from a ``DataLoader`` with
two worker processes reading the training set on the CPU (each batch then goes to the device).
Prints one line per epoch (learning rate, training loss, test RMSE and R^2) and the final test
metrics; the model is evaluated in eval mode, so BatchNorm uses its running statistics.
"""

from __future__ import annotations

import argparse

import numpy as np

import gpugrad as gg
import gpugrad.nn as nn
from gpugrad.utils.data import DataLoader, TensorDataset


def load_friedman(device: str, n: int = 2000, noise: float = 0.5, seed: int = 0):
    """Standardized 80/20 train/test split as float32 tensors on ``device``; and y's std."""
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=n, n_features=10, noise=noise, random_state=seed)
    cut = int(0.8 * n)
    mx, sx = X[:cut].mean(0), X[:cut].std(0)
    my, sy = y[:cut].mean(), y[:cut].std()
    X, y = (X - mx) / sx, (y - my) / sy
    as_t = lambda a: gg.tensor(a, dtype=gg.float32, device=device)  # noqa: E731
    return as_t(X[:cut]), as_t(y[:cut, None]), as_t(X[cut:]), as_t(y[cut:, None]), float(sy)


def build_model(n_in: int, hidden: int = 64, norm: str = "batch") -> nn.Module:
    """An MLP whose hidden layers are Linear -> norm -> SiLU."""
    if norm not in ("batch", "layer"):
        raise ValueError(f"norm must be 'batch' or 'layer', got {norm!r}")
    make_norm = nn.BatchNorm1d if norm == "batch" else nn.LayerNorm
    return nn.Sequential(nn.Linear(n_in, hidden), make_norm(hidden), nn.SiLU(),
                         nn.Linear(hidden, hidden), make_norm(hidden), nn.SiLU(),
                         nn.Linear(hidden, 1))


def evaluate(model: nn.Module, X: gg.Tensor, y: gg.Tensor, y_std: float) -> dict:
    """Test RMSE in the target's original units, and R^2."""
    model.eval()
    with gg.no_grad():
        err = (model(X) - y).cpu().numpy().astype(np.float64)
    model.train()
    mse = float((err**2).mean())
    yh = y.cpu().numpy()
    total = float(((yh - yh.mean()) ** 2).mean())
    return {"rmse": float(np.sqrt(mse)) * y_std, "r2": 1.0 - mse / total}


def main(epochs: int = 30, batch_size: int = 64, lr: float = 3e-3, hidden: int = 64,
         norm: str = "batch", device: str | None = None, seed: int = 0, num_workers: int = 2,
         verbose: bool = True) -> dict:
    device = device or ("cuda" if gg.cuda.is_available() else "cpu")
    gg.manual_seed(seed)
    Xtr, ytr, Xte, yte, y_std = load_friedman("cpu", seed=seed)  # the loader reads the CPU copy
    Xte, yte = Xte.to(device), yte.to(device)
    model = build_model(Xtr.shape[1], hidden, norm).to(device)
    opt = gg.optim.Adam(model.parameters(), lr=lr)
    scheduler = gg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=lr / 20)
    # drop_last: a BatchNorm layer cannot train on a last batch of one sample. The workers
    # stay up between epochs; pinned batches copy faster to a GPU.
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=batch_size, shuffle=True,
                        drop_last=True, num_workers=num_workers,
                        persistent_workers=num_workers > 0, pin_memory=device != "cpu",
                        generator=np.random.default_rng(seed))
    loss_fn = nn.MSELoss()
    if verbose:
        print(f"device: {gg.device(device)}  train: {len(Xtr)}  test: {len(Xte)}  norm: {norm}"
              f"  workers: {num_workers}")
        print(model)
    train_losses = []
    for epoch in range(1, epochs + 1):
        total, batches = 0.0, 0
        epoch_lr = opt.param_groups[0]["lr"]
        for xb, yb in loader:
            loss = loss_fn(model(xb.to(device)), yb.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, batches = total + loss.item(), batches + 1
        scheduler.step()
        train_losses.append(total / batches)
        if verbose:
            m = evaluate(model, Xte, yte, y_std)
            print(f"epoch {epoch:3d}  lr {epoch_lr:.2e}  train mse {train_losses[-1]:.4f}  "
                  f"test rmse {m['rmse']:.3f}  test R^2 {m['r2']:.4f}")
    result = evaluate(model, Xte, yte, y_std)
    result.update(train_losses=train_losses, train_loss=train_losses[-1],
                  device=str(gg.device(device)), model=model)
    if verbose:
        print(f"final test R^2: {result['r2']:.4f}  (RMSE {result['rmse']:.3f})")
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    ap.add_argument("--norm", choices=("batch", "layer"), default="batch")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    main(epochs=a.epochs, lr=a.lr, norm=a.norm, device=a.device, seed=a.seed,
         num_workers=a.workers)
