"""gpugrad.nn: Module bookkeeping, layers, losses, init, MLP, state dicts."""

import math

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F

from .conftest import host


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.head = nn.Sequential(nn.Linear(4, 2), nn.Identity())
        self.scale = 2.0

    def forward(self, x):
        return self.head(self.act(self.fc(x))) * self.scale


def test_registration_and_traversal():
    m = Block()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["fc.weight", "fc.bias", "head.0.weight", "head.0.bias"]
    assert [type(c).__name__ for c in m.children()] == ["Linear", "Tanh", "Sequential"]
    assert len(list(m.modules())) == 6
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())
    assert m.scale == 2.0 and "scale" not in dict(m.named_parameters())
    assert m.train() is m and m.training and m.head[0].training
    assert m.eval() is m and not m.training and not m.head[1].training
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = m.nope


def test_repr_is_readable():
    seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1, bias=False))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Linear(in_features=4, out_features=1, bias=False)\n"
        ")"
    )
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"


def test_sequential_indexing():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear) and len(seq) == 3
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]


def test_linear_matches_numpy_and_pytorch_init(device):
    gg.manual_seed(0)
    lin = nn.Linear(50, 30).to(device)
    w, b = host(lin.weight), host(lin.bias)
    bound = 1 / math.sqrt(50)
    assert w.shape == (30, 50) and b.shape == (30,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform(-a, a) has std a/sqrt(3)
    x = np.random.default_rng(0).normal(size=(7, 50)).astype(np.float32)
    out = lin(gg.tensor(x, device=device))
    np.testing.assert_allclose(host(out), x.astype(np.float64) @ w.T + b, rtol=1e-5, atol=1e-5)


def test_zero_grad(device):
    lin = nn.Linear(2, 2).to(device)
    lin(gg.ones(1, 2, device=device)).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert host(lin.weight.grad).sum() == 0
    lin.zero_grad()
    assert lin.weight.grad is None


def test_activation_modules_match_functional(device):
    x = gg.randn(4, 5, device=device)
    for mod, fn in [(nn.ReLU(), F.relu), (nn.Tanh(), F.tanh), (nn.Sigmoid(), F.sigmoid),
                    (nn.GELU(), F.gelu), (nn.LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2)),
                    (nn.Softmax(1), lambda t: F.softmax(t, 1)), (nn.Identity(), lambda t: t)]:
        np.testing.assert_array_equal(host(mod(x)), host(fn(x)))
    y = nn.Flatten()(gg.ones(2, 3, 4, device=device))
    assert y.shape == (2, 12)
    assert nn.Flatten(0, 1)(gg.ones(2, 3, 4)).shape == (6, 4)


def test_dropout_train_and_eval(device):
    d = nn.Dropout(0.25)
    x = gg.ones(100, 100, device=device, requires_grad=True)
    y = host(d(x))
    zero = (y == 0).mean()
    assert 0.22 < zero < 0.28
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_losses_match_numpy(device):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    ta = gg.tensor(a, device=device)
    assert nn.MSELoss()(ta, gg.tensor(b, device=device)).item() == pytest.approx(
        ((a - b) ** 2).mean(), rel=1e-5)
    assert F.mse_loss(ta, gg.tensor(b, device=device), reduction="sum").item() == pytest.approx(
        ((a - b) ** 2).sum(), rel=1e-5)
    logits, t = rng.normal(size=(6, 4)), np.array([0, 3, 1, 1, 2, 0])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    want = -(0.8 * logp[np.arange(6), t] + 0.2 * logp.mean(1)).mean()
    got = nn.CrossEntropyLoss(label_smoothing=0.2)(gg.tensor(logits, device=device),
                                                    gg.tensor(t, device=device))
    assert got.item() == pytest.approx(want, rel=1e-5)
    none = F.cross_entropy(gg.tensor(logits, device=device), gg.tensor(t, device=device),
                           reduction="none")
    np.testing.assert_allclose(host(none), -logp[np.arange(6), t], rtol=1e-5)
    # (N, C, d) inputs: the class dimension is 1
    x3 = rng.normal(size=(2, 4, 3))
    t3 = np.array([[0, 1, 3], [2, 2, 0]])
    lp3 = x3 - np.log(np.exp(x3).sum(1, keepdims=True))
    want3 = -np.mean([lp3[n, t3[n, k], k] for n in range(2) for k in range(3)])
    assert F.cross_entropy(gg.tensor(x3), gg.tensor(t3)).item() == pytest.approx(want3, rel=1e-5)


def test_cross_entropy_ignore_index_inside_the_class_range(device):
    rng = np.random.default_rng(3)
    logits, t = rng.normal(size=(6, 4)), np.array([0, 1, 1, 3, 2, 1])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    keep = t != 1
    want = -logp[np.arange(6), t][keep].mean()
    x = gg.tensor(logits, dtype=gg.float64, device=device, requires_grad=True)
    loss = F.cross_entropy(x, gg.tensor(t, device=device), ignore_index=1)
    assert loss.item() == pytest.approx(want, rel=1e-12)
    loss.backward()
    g = host(x.grad)
    np.testing.assert_allclose(g[~keep], 0.0)
    p = np.exp(logp)
    p[np.arange(6), t] -= 1
    np.testing.assert_allclose(g[keep], (p / keep.sum())[keep], rtol=1e-10)


def test_cross_entropy_input_errors():
    x = gg.randn(3, 4)
    with pytest.raises(RuntimeError, match="class indices"):
        F.cross_entropy(x, gg.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, gg.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match="expected target of shape"):
        F.cross_entropy(x, gg.tensor([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="class dimension"):
        F.cross_entropy(gg.tensor(1.0), gg.tensor(0))
    one = F.cross_entropy(gg.tensor([1.0, 2.0, 0.5]), gg.tensor(1))  # (C,) input, 0-d target
    assert one.item() == pytest.approx(-np.log(np.exp(2.0) / np.exp([1.0, 2.0, 0.5]).sum()))


def test_init_functions():
    w = gg.empty(200, 100)
    nn.init.xavier_uniform_(w)
    a = math.sqrt(6 / 300)
    assert host(w).max() <= a and host(w).min() >= -a and host(w).std() > 0.9 * a / math.sqrt(3)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 100)
    assert np.abs(host(w)).max() <= bound
    nn.init.normal_(w, 1.0, 0.5)
    assert abs(host(w).mean() - 1.0) < 0.02 and abs(host(w).std() - 0.5) < 0.02
    nn.init.zeros_(w)
    assert host(w).sum() == 0
    nn.init.ones_(w)
    assert host(w).sum() == w.numel()
    p = nn.Parameter(gg.empty(3, 3))
    nn.init.uniform_(p, -1, 1)  # works on parameters that require grad
    assert p.is_leaf and p.grad_fn is None


def test_mlp_micrograd_loop_trains():
    gg.manual_seed(1)
    n = nn.MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(50):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.05 * p.grad
        losses.append(loss.item())
    assert ypred[0].shape == (1,)
    assert losses[-1] < 0.05 * losses[0]
    assert [round(float(n(x).item())) for x in xs] == [1, -1, -1, 1]


def test_mlp_forward_matches_layers(device):
    m = nn.MLP(5, [8, 3], activation="relu").to(device)
    x = gg.randn(4, 5, device=device)
    l0, l1 = m.layers[0], m.layers[1]
    np.testing.assert_allclose(host(m(x)), host(l1(F.relu(l0(x)))), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="activation"):
        nn.MLP(2, [2], activation="swish")


def test_state_dict_round_trip_and_errors():
    a, b = Block(), Block()
    sd = a.state_dict()
    assert list(sd) == ["fc.weight", "fc.bias", "head.0.weight", "head.0.bias"]
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(host(p), host(q))
        assert p._data is not q._data
    before = {k: host(v).copy() for k, v in b.state_dict().items()}
    bad = dict(sd)
    del bad["fc.bias"]
    bad["extra"] = gg.ones(1)
    bad["head.0.weight"] = gg.ones(5, 5)
    with pytest.raises(RuntimeError) as e:
        b.load_state_dict(bad)
    msg = str(e.value)
    assert "fc.bias" in msg and "extra" in msg and "size mismatch for head.0.weight" in msg
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(host(v), before[k])  # nothing changed
    sd2 = {k: v for k, v in sd.items() if k != "fc.bias"}
    res = b.load_state_dict(sd2, strict=False)
    assert res.missing_keys == ["fc.bias"]


def test_module_to_dtype_keeps_parameter_identity():
    m = nn.Linear(3, 2)
    w = m.weight
    opt = gg.optim.SGD(m.parameters(), lr=0.1)
    m.double()
    assert m.weight is w and w.dtype == gg.float64
    m(gg.ones(1, 3, dtype=gg.float64)).sum().backward()
    opt.step()
    assert w.dtype == gg.float64


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm(device, norm_type):
    a = gg.zeros(3, device=device, requires_grad=True)
    b = gg.zeros(2, 2, device=device, requires_grad=True)
    ga, gb = np.array([3.0, -4.0, 1.0]), np.array([[2.0, 0.5], [-1.0, 6.0]])
    a.grad = gg.tensor(ga, dtype=gg.float32, device=device)
    b.grad = gg.tensor(gb, dtype=gg.float32, device=device)
    flat = np.concatenate([ga, gb.ravel()])
    want = np.abs(flat).max() if norm_type == float("inf") else (
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type))
    total = nn.utils.clip_grad_norm_([a, b], max_norm=2.0, norm_type=norm_type)
    assert total.item() == pytest.approx(want, rel=1e-6)
    scale = 2.0 / (want + 1e-6)
    np.testing.assert_allclose(host(a.grad), ga * scale, rtol=1e-6)
    np.testing.assert_allclose(host(b.grad), gb * scale, rtol=1e-6)
    before = host(a.grad).copy()
    nn.utils.clip_grad_norm_([a, b], max_norm=100.0, norm_type=norm_type)  # no clipping
    np.testing.assert_allclose(host(a.grad), before)
    assert a.grad.dtype == gg.float32


def test_clip_grad_value_and_nonfinite(device):
    p = gg.zeros(4, device=device, requires_grad=True)
    p.grad = gg.tensor([-3.0, 0.5, 2.0, -0.1], device=device)
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, 0.5, 1.0, pytest.approx(-0.1)]
    p.grad = gg.tensor([float("inf"), 1.0, 0.0, 0.0], device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
