"""From a derivative by hand to an MLP on tensors, printing the numbers of every step.

1. the derivative of a scalar function, by hand and by finite differences;
2. the chain rule on d = a*b + c, by hand and by Value.backward();
3. a neuron o = tanh(x1*w1 + x2*w2 + b), its graph written as DOT (and SVG with graphviz);
4. the same idea on tensors: an MLP trained by gradient descent (on --device).

    python examples/backprop_walkthrough.py [--steps 30] [--device auto|cpu|cuda]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import gpugrad as gg
from gpugrad import Value


def step1_derivative(x: float = 3.0, h: float = 1e-6) -> dict:
    f = lambda x: 3 * x**2 - 4 * x + 5  # noqa: E731
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    exact = 6 * x - 4  # d/dx (3x^2 - 4x + 5)
    print(f"1. f(x) = 3x^2 - 4x + 5 at x = {x}: f = {f(x)}, "
          f"slope by hand 6x - 4 = {exact}, by finite differences {numeric:.6f}")
    return {"exact": exact, "numeric": numeric}


def step2_chain_rule() -> dict:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    d.backward()
    # by hand: dd/da = b, dd/db = a, dd/dc = 1 (and dd/de = 1: + passes gradients through)
    print(f"2. d = a*b + c = {d.data}; by hand dd/da = b = {b.data}, dd/db = a = {a.data}, "
          f"dd/dc = 1; backward gives {a.grad}, {b.grad}, {c.grad}")
    return {"grads": (a.grad, b.grad, c.grad), "by_hand": (b.data, a.data, 1.0)}


def step3_neuron(out: Path | None) -> dict:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    local = 1 - o.data**2  # tanh'(n) = 1 - tanh(n)^2
    print(f"3. neuron: n = {n.data:.6f}, o = tanh(n) = {o.data:.6f}, do/dn = 1 - o^2 = "
          f"{local:.6f}; dw1 = x1 * do/dn = {w1.grad:.6f}, dx1 = w1 * do/dn = {x1.grad:.6f}")
    files = []
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "neuron.dot").write_text(gg.viz.to_dot(o))
        files.append(out / "neuron.dot")
        try:
            files.append(Path(gg.viz.draw_dot(o).render(out / "neuron", cleanup=True)))
        except Exception as exc:  # graphviz (Python package or programs) is optional
            print(f"   (no SVG: {exc})")
        print(f"   graph written to {', '.join(map(str, files))}")
    return {"o": o.data, "dw1": w1.grad, "dx1": x1.grad, "files": files}


def step4_mlp(steps: int = 30, device: str = "cpu") -> dict:
    gg.manual_seed(0)
    X = gg.tensor([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]],
                  device=device)
    y = gg.tensor([[1.0], [-1.0], [-1.0], [1.0]], device=device)
    model = gg.nn.MLP(3, [4, 4, 1], device=device)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - y) ** 2).sum()
        model.zero_grad()
        loss.backward()
        with gg.no_grad():
            for p in model.parameters():
                p -= 0.05 * p.grad
        losses.append(loss.item())
    print(f"4. MLP(3, [4, 4, 1]) on a (4, 3) tensor ({device}): loss {losses[0]:.4f} -> "
          f"{losses[-1]:.4f} in {steps} steps")
    return {"losses": losses}


def main(out: str | Path | None = "runs/walkthrough", steps: int = 30,
         device: str = "cpu") -> dict:
    if device == "auto":
        device = "cuda" if gg.cuda.is_available() else "cpu"
    res = {"derivative": step1_derivative(), "chain": step2_chain_rule(),
           "neuron": step3_neuron(Path(out) if out is not None else None),
           "mlp": step4_mlp(steps, device)}
    assert math.isclose(res["neuron"]["o"], 1 / math.sqrt(2), rel_tol=1e-12)
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/walkthrough")
    ap.add_argument("--steps", type=int, default=30, help="gradient steps of the MLP (part 4)")
    ap.add_argument("--device", default="auto", help="auto (the best), cpu, cuda or cuda:N")
    a = ap.parse_args()
    main(a.out, a.steps, a.device)
