"""The micrograd training loop, as the teaching material writes it, on gpugrad.

An MLP(3, [4, 4, 1]) called on plain Python lists, a squared-error loss summed in Python,
gradients zeroed by assignment and a hand-written update on ``p.data``.

    python examples/micrograd_mlp.py [--steps 40] [--device auto|cpu|cuda]
"""

import argparse

import gpugrad as gg
from gpugrad.nn import MLP


def main(steps: int = 40, seed: int = 1, verbose: bool = True, device=None) -> list[float]:
    if device == "auto":
        device = "cuda" if gg.cuda.is_available() else "cpu"
    gg.manual_seed(seed)
    n = MLP(3, [4, 4, 1], device=device)
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]  # desired targets

    losses = []
    for k in range(steps):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))

        # backward pass
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()

        # update
        for p in n.parameters():
            p.data += -0.05 * p.grad

        losses.append(loss.item())
        if verbose:
            print(k, loss.item())
    if verbose:
        print("predictions:", [round(n(x).item(), 3) for x in xs])
    return losses


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--device", default="auto", help="auto (the best), cpu, cuda or cuda:N")
    a = ap.parse_args()
    main(a.steps, device=a.device)
