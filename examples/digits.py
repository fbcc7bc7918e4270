"""Train an MLP on scikit-learn's bundled digits (8x8 images, 10 classes) on the best device.

    python examples/digits.py [--epochs 40] [--device auto|cpu|cuda] [--out runs/digits]
                              [--min-accuracy 0.97] [--threads 1] [--compile]

Prints the device, the training throughput (samples per second) and the test accuracy; writes
a loss/accuracy plot (PNG) and a checkpoint (model and optimizer state) to --out. A progress bar
per epoch where the output is a terminal, one line per epoch where it is not (logs, CI). With
--min-accuracy, exits 1 when the final test accuracy is below it (a check, off by default).
With --compile, the training step (forward, loss, backward, AdamW step) runs through
gpugrad.compile: recorded once per batch shape, replayed after (the same numbers as eager).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F
from gpugrad.utils.data import DataLoader, TensorDataset

# The demo's matrices (batch 64, 256 hidden units) are too small for several BLAS threads to
# pay: on this project's shared 2-core machine one thread trained about 10x faster than
# OpenBLAS's default of one thread per core (README, "make demo").
THREADS = 1


def load_digits(device, seed: int = 0):
    """Standardised train/test split (1437 / 360 samples) as tensors on ``device``."""
    from sklearn.datasets import load_digits as sk_load
    from sklearn.model_selection import train_test_split

    X, y = sk_load(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)
    mean, std = Xtr.mean(0), Xtr.std(0) + 1e-6
    Xtr, Xte = (Xtr - mean) / std, (Xte - mean) / std
    as_t = lambda a, dt: gg.tensor(a, dtype=dt, device=device)  # noqa: E731
    return (as_t(Xtr, gg.float32), as_t(ytr, gg.int64), as_t(Xte, gg.float32),
            as_t(yte, gg.int64))


def accuracy(model, X, y) -> float:
    model.eval()
    with gg.no_grad():
        pred = model(X).argmax(1)
    model.train()
    return float((pred == y).float().mean().item())


def main(epochs: int = 40, batch_size: int = 64, lr: float = 2e-3, hidden: int = 256,
         device: str | None = None, out: str | Path = "runs/digits", seed: int = 0,
         progress: bool = True, plot: bool = True, dropout: float = 0.3,
         weight_decay: float = 1e-2, label_smoothing: float = 0.1,
         threads: int | None = None, compile: bool = False) -> dict:
    if device in (None, "auto"):
        device = "cuda" if gg.cuda.is_available() else "cpu"
    gg.manual_seed(seed)
    Xtr, ytr, Xte, yte = load_digits(device, seed)
    if threads:  # after scikit-learn's import, so that its BLAS pools are limited too
        gg.set_num_threads(threads)
    model = nn.Sequential(nn.Linear(64, hidden), nn.GELU(), nn.Dropout(dropout),
                          nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout),
                          nn.Linear(hidden, 10)).to(device)
    opt = gg.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    loader = DataLoader(TensorDataset(Xtr, ytr), batch_size=batch_size, shuffle=True)

    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb, label_smoothing=label_smoothing)
        loss.backward()
        opt.step()
        return loss

    step = gg.compile(train_step) if compile else train_step
    blas = f"  BLAS threads: {gg.get_num_threads()}" if gg.device(device).type == "cpu" else ""
    print(f"device: {gg.device(device)}  train: {len(Xtr)}  test: {len(Xte)}{blas}"
          + ("  (compiled)" if compile else ""))
    try:
        from tqdm import tqdm
    except ImportError:  # the progress bar is a nicety
        tqdm = None
    history = {"loss": [], "train_acc": [], "test_acc": []}
    seen, train_time = 0, 0.0
    interactive = sys.stdout.isatty()  # a bar for people, one line per epoch for logs
    for epoch in range(1, epochs + 1):
        batches = loader
        if progress and interactive and tqdm is not None:
            batches = tqdm(loader, desc=f"epoch {epoch:3d}/{epochs}", leave=False, ncols=80,
                           disable=None)  # no bar where stderr is not a terminal
        total, count = 0.0, 0
        t0 = time.perf_counter()
        for xb, yb in batches:
            loss = step(xb, yb)
            total += loss.item() * len(xb)
            count += len(xb)
        train_time += time.perf_counter() - t0
        seen += count
        history["loss"].append(total / count)
        history["train_acc"].append(accuracy(model, Xtr, ytr))
        history["test_acc"].append(accuracy(model, Xte, yte))
        if progress and (not interactive or epoch % 10 == 0 or epoch == epochs):
            print(f"epoch {epoch:3d}  loss {history['loss'][-1]:.4f}  "
                  f"train {history['train_acc'][-1]:.4f}  test {history['test_acc'][-1]:.4f}")
    result = {"device": str(gg.device(device)), "test_accuracy": history["test_acc"][-1],
              "samples_per_second": seen / train_time, "history": history}
    if compile:
        result["compiled"] = {"captures": step.captures, "replays": step.replays,
                              "eager_calls": step.eager_calls}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epochs": epochs},
            out / "digits_checkpoint.npz")
    result["checkpoint"] = out / "digits_checkpoint.npz"
    if plot:
        result["plot"] = plot_history(history, out / "digits_training.png")
    print(f"device: {result['device']}  samples/s: {result['samples_per_second']:.0f}  "
          f"test accuracy: {result['test_accuracy']:.4f}")
    if compile:
        print("compiled: {captures} captures, {replays} replays, {eager_calls} eager calls"
              .format(**result["compiled"]))
    return result


def plot_history(history: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    ep = np.arange(1, len(history["loss"]) + 1)
    a.plot(ep, history["loss"])
    a.set(xlabel="epoch", ylabel="cross-entropy", title="training loss", yscale="log")
    b.plot(ep, history["train_acc"], label="train")
    b.plot(ep, history["test_acc"], label="test")
    b.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0.8, 1.0))
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--device", default="auto", help="auto (the best), cpu, cuda or cuda:N")
    ap.add_argument("--out", default="runs/digits")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plot", dest="plot", action="store_false", help="skip the PNG")
    ap.add_argument("--min-accuracy", type=float, default=None,
                    help="exit 1 if the final test accuracy is below this (default: no check)")
    ap.add_argument("--threads", type=int, default=THREADS,
                    help=f"BLAS threads for the CPU's matrix products (default {THREADS}; "
                         "0 keeps the BLAS library's own default)")
    ap.add_argument("--compile", action="store_true",
                    help="run the training step through gpugrad.compile")
    a = ap.parse_args()
    res = main(a.epochs, a.batch_size, a.lr, a.hidden, a.device, a.out, a.seed, plot=a.plot,
               threads=a.threads or None, compile=a.compile)
    if a.min_accuracy is not None and res["test_accuracy"] < a.min_accuracy:
        print(f"test accuracy {res['test_accuracy']:.4f} is below --min-accuracy "
              f"{a.min_accuracy}", file=sys.stderr)
        sys.exit(1)
