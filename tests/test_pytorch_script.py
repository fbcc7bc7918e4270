"""A small PyTorch-style script runs unchanged with ``import gpugrad as torch``."""

import numpy as np

SCRIPT = '''
import gpugrad as torch
import gpugrad.nn as nn
import gpugrad.nn.functional as F
from gpugrad.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Net(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)


X = torch.randn(512, 2, 4)
y = (X.sum(dim=(1, 2)) > 0).long()
loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
model = Net(8, 32, 2).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.CrossEntropyLoss()

for epoch in range(5):
    model.train()
    running = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        out = model(xb)
        loss = criterion(out, yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    optimizer.param_groups[0]["lr"] *= 0.9

model.eval()
with torch.no_grad():
    logits = model(X.to(device))
    pred = torch.argmax(logits, dim=1)
    correct = (pred == y.to(device)).sum().item()
    probs = torch.softmax(logits, dim=-1)
accuracy = correct / len(X)
torch.save(model.state_dict(), PATH)
clone = Net(8, 32, 2)
clone.load_state_dict(torch.load(PATH, map_location="cpu"))
clone.eval()
same = torch.allclose(clone(X), logits.cpu(), atol=1e-6)
'''


def test_pytorch_style_script_runs_unchanged(tmp_path):
    ns = {"PATH": str(tmp_path / "net.pt")}
    exec(compile(SCRIPT, "pytorch_script.py", "exec"), ns)
    assert ns["accuracy"] > 0.9
    assert ns["probs"].shape == (512, 2)
    np.testing.assert_allclose(ns["probs"].sum(1).detach().cpu().numpy(), 1.0, rtol=1e-5)
    assert ns["same"] is True
