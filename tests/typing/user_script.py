"""A typical user script: type-checked with ``mypy --strict`` by tests/test_architecture.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gpugrad as torch
import gpugrad.nn.functional as F
from gpugrad import Tensor, nn


class Net(nn.Module):
    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(self.fc1(x))
        return self.fc2(h)


def scaled(x: Tensor) -> Tensor:
    y = 2 * x + 1.5
    z = (y - x) / 3 ** x.abs().clamp(max=2.0)
    w = z @ z.T
    return w.sum(dim=1, keepdim=True).mean() + x.permute(1, 0).max()


def main() -> float:
    torch.manual_seed(0)
    model = Net(4, 8, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(16, 4)
    y = torch.randint(0, 3, (16,))
    loss = torch.tensor(0.0)
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (model(x).argmax(dim=1) == y).float().mean().item()
    s = scaled(x[:, :3])
    with tempfile.TemporaryDirectory() as d:
        torch.save(model.state_dict(), str(Path(d) / "m.npz"))
    print(f"{loss.item():.4f} {acc:.3f} {float(s):.3f}")
    return float(loss.item())


if __name__ == "__main__":
    main()
