"""The physics-informed example (examples/pinn.py) and the higher-order gradients it rests on:
derivatives of a tanh MLP with respect to its input, by ``autograd.grad(create_graph=True)``
and ``autograd.functional.hessian``, against a hand-derived float64 NumPy forward-mode
reference and central finite differences; and the PINN loss's gradient with respect to the
weights (a third derivative of the network) against central differences."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad.autograd import grad
from gpugrad.autograd.functional import hessian, hvp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import pinn  # noqa: E402

# --- the example ------------------------------------------------------------------------------


def test_pinn_reaches_the_error_bound_and_plots(device, tmp_path):
    r = pinn.main(steps=300, seed=0, device=device, plot=tmp_path / "pinn.png", verbose=False)
    assert r["max_error"] < 1e-2
    assert r["losses"][-1] < 1e-4 * r["losses"][0]
    assert r["device"].startswith(device)
    assert r["plot"].stat().st_size > 10_000
    # the reported error is the one a NumPy evaluation of the trained weights gives
    W1, b1, W2, b2, W3, b3 = (p.detach().cpu().numpy() for p in r["model"].parameters())
    xs = np.linspace(0.0, 1.0, 1001)[:, None]
    u = np.tanh(np.tanh(xs @ W1.T + b1) @ W2.T + b2) @ W3.T + b3
    assert np.abs(u[:, 0] - np.sin(np.pi * xs[:, 0])).max() == pytest.approx(r["max_error"],
                                                                              rel=1e-9)


def test_pinn_is_deterministic_under_its_seed_and_reports_each_interval(capsys):
    a = pinn.main(steps=25, seed=3, device="cpu", report_every=10)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out if line.startswith("step")] == ["0", "10", "20", "24"]
    assert out[-1].startswith("final max |u - sin(pi x)|")
    b = pinn.main(steps=25, seed=3, device="cpu", verbose=False)
    c = pinn.main(steps=25, seed=4, device="cpu", verbose=False)
    assert a["losses"] == b["losses"] and a["max_error"] == b["max_error"]
    assert c["losses"][0] != a["losses"][0]


def test_pinn_derivatives_match_a_closed_form(device):
    """``derivatives`` on a model whose output is known in closed form: u = sin(pi x) is not an
    MLP, so use u = w * tanh(a x + c), where u'' = -2 a^2 w t (1 - t^2)."""
    a, c, w = 1.7, -0.3, 0.8
    lin1 = gg.nn.Linear(1, 1, dtype=gg.float64, device=device)
    lin2 = gg.nn.Linear(1, 1, bias=False, dtype=gg.float64, device=device)
    with gg.no_grad():
        lin1.weight.fill_(a)
        lin1.bias.fill_(c)
        lin2.weight.fill_(w)
    model = gg.nn.Sequential(lin1, gg.nn.Tanh(), lin2)
    xs = np.linspace(-1.0, 1.0, 7)[:, None]
    x = gg.tensor(xs, dtype=gg.float64, device=device, requires_grad=True)
    u, du, d2u = pinn.derivatives(model, x)
    t = np.tanh(a * xs + c)
    np.testing.assert_allclose(u.detach().cpu().numpy(), w * t, rtol=1e-14)
    np.testing.assert_allclose(du.detach().cpu().numpy(), w * a * (1 - t * t), rtol=1e-13)
    np.testing.assert_allclose(d2u.detach().cpu().numpy(), -2 * a * a * w * t * (1 - t * t),
                               rtol=1e-12, atol=1e-15)
    assert d2u.requires_grad and d2u.grad_fn is not None  # the loss can be differentiated


# --- higher-order gradients of a tanh MLP -----------------------------------------------------


def _model(kind, device, nin=1, width=6):
    """A 2-hidden-layer tanh MLP in float64, as Linear + Tanh layers or as nn.MLP (whose hidden
    layers are the fused linear_act op)."""
    if kind == "sequential":
        return gg.nn.Sequential(
            gg.nn.Linear(nin, width, dtype=gg.float64, device=device), gg.nn.Tanh(),
            gg.nn.Linear(width, width, dtype=gg.float64, device=device), gg.nn.Tanh(),
            gg.nn.Linear(width, 1, dtype=gg.float64, device=device))
    return gg.nn.MLP(nin, [width, width, 1], activation="tanh", dtype=gg.float64, device=device)


def _weights(model):
    return [p.detach().cpu().numpy() for p in model.parameters()]  # W1, b1, W2, b2, W3, b3


def _u(ws, xs):
    """The MLP in NumPy (float64), at the rows of xs."""
    W1, b1, W2, b2, W3, b3 = ws
    return np.tanh(np.tanh(xs @ W1.T + b1) @ W2.T + b2) @ W3.T + b3


def _forward_mode(ws, xs):
    """u, u', u'' of a 1-input tanh MLP at xs (N, 1), by the chain rule written out:
    a = tanh(h) gives a' = (1 - a^2) h' and a'' = (1 - a^2) h'' - 2 a (1 - a^2) h'^2."""
    W1, b1, W2, b2, W3, b3 = ws
    h1, h1d = xs @ W1.T + b1, np.broadcast_to(W1[:, 0], (len(xs), W1.shape[0]))
    a1 = np.tanh(h1)
    s1 = 1 - a1 * a1
    a1d, a1dd = s1 * h1d, -2 * a1 * s1 * h1d * h1d
    h2, h2d, h2dd = a1 @ W2.T + b2, a1d @ W2.T, a1dd @ W2.T
    a2 = np.tanh(h2)
    s2 = 1 - a2 * a2
    a2d, a2dd = s2 * h2d, s2 * h2dd - 2 * a2 * s2 * h2d * h2d
    return a2 @ W3.T + b3, a2d @ W3.T, a2dd @ W3.T


KINDS = ["sequential", "mlp"]


@pytest.mark.parametrize("kind", KINDS)
def test_second_derivative_by_two_grad_calls(device, kind):
    model = _model(kind, device)
    ws = _weights(model)
    xs = np.linspace(-1.5, 1.5, 9)[:, None]
    x = gg.tensor(xs, dtype=gg.float64, device=device, requires_grad=True)
    u = model(x)
    (du,) = grad(u, x, gg.ones_like(u), create_graph=True)
    (d2u,) = grad(du, x, gg.ones_like(du), create_graph=True)
    assert du.requires_grad and d2u.requires_grad
    u_ref, du_ref, d2u_ref = _forward_mode(ws, xs)
    np.testing.assert_allclose(u.detach().cpu().numpy(), u_ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(du.detach().cpu().numpy(), du_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d2u.detach().cpu().numpy(), d2u_ref, rtol=1e-11, atol=1e-13)

    # central differences of the first derivative (itself from a first-order grad)
    def first(xv):
        xt = gg.tensor(xv, dtype=gg.float64, device=device, requires_grad=True)
        out = model(xt)
        return grad(out, xt, gg.ones_like(out))[0].detach().cpu().numpy()

    h = 1e-5
    fd = (first(xs + h) - first(xs - h)) / (2 * h)
    np.testing.assert_allclose(d2u.detach().cpu().numpy(), fd, rtol=1e-6, atol=1e-8)
    # and of u itself for u'
    fd1 = (_u(ws, xs + h) - _u(ws, xs - h)) / (2 * h)
    np.testing.assert_allclose(du.detach().cpu().numpy(), fd1, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_hessian_of_mlp_output_against_finite_differences(device, kind):
    model = _model(kind, device, nin=3)
    ws = _weights(model)
    x0 = np.array([0.3, -0.7, 1.1])

    def f(x):
        return model(x.reshape(1, 3)).reshape(())

    H = hessian(f, gg.tensor(x0, dtype=gg.float64, device=device))
    assert tuple(H.shape) == (3, 3) and not H.requires_grad
    Hn = H.detach().cpu().numpy()
    # second central differences of the NumPy model
    h = 1e-4
    E = np.eye(3) * h

    def g(v):
        return _u(ws, v[None, :])[0, 0]

    fd = np.array([[(g(x0 + E[i] + E[j]) - g(x0 + E[i] - E[j]) - g(x0 - E[i] + E[j])
                     + g(x0 - E[i] - E[j])) / (4 * h * h) for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(Hn, fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(Hn, Hn.T, rtol=1e-12, atol=1e-15)
    # hvp gives H v
    v = np.array([0.5, -1.0, 2.0])
    val, hv = hvp(f, gg.tensor(x0, dtype=gg.float64, device=device),
                  gg.tensor(v, dtype=gg.float64, device=device))
    assert val.item() == pytest.approx(g(x0), rel=1e-13)
    np.testing.assert_allclose(hv.detach().cpu().numpy(), Hn @ v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_hessian_over_collocation_points_is_diagonal_with_u_second(device, kind):
    """For the 1-input MLP summed over points, the Hessian is diag(u''(x_i)): what the PINN's
    two grad calls compute."""
    model = _model(kind, device)
    ws = _weights(model)
    xs = np.array([-0.4, 0.1, 0.9, 1.3])
    H = hessian(lambda x: model(x.reshape(-1, 1)).sum(),
                gg.tensor(xs, dtype=gg.float64, device=device)).detach().cpu().numpy()
    _, _, d2u = _forward_mode(ws, xs[:, None])
    np.testing.assert_allclose(np.diag(H), d2u[:, 0], rtol=1e-11, atol=1e-13)
    assert np.all(H[~np.eye(4, dtype=bool)] == 0)


@pytest.mark.parametrize("kind", KINDS)
def test_pinn_loss_gradient_wrt_weights_matches_finite_differences(device, kind):
    """loss = mean((u'' - f)^2) + u(0)^2 + u(1)^2: its weight gradient differentiates the two
    create_graph backwards once more."""
    model = _model(kind, device)
    params = list(model.parameters())
    xs = np.linspace(0.05, 0.95, 7)[:, None]
    fs = -math.pi ** 2 * np.sin(math.pi * xs)

    def loss_of(ws_):
        _, _, d2u = _forward_mode(ws_, xs)
        ub = _u(ws_, np.array([[0.0], [1.0]]))
        return ((d2u - fs) ** 2).mean() + (ub ** 2).sum()

    x = gg.tensor(xs, dtype=gg.float64, device=device, requires_grad=True)
    _, _, d2u = pinn.derivatives(model, x)
    ub = model(gg.tensor([[0.0], [1.0]], dtype=gg.float64, device=device))
    loss = ((d2u - gg.tensor(fs, dtype=gg.float64, device=device)) ** 2).mean() + (ub ** 2).sum()
    ws = _weights(model)
    assert loss.item() == pytest.approx(loss_of(ws), rel=1e-12)
    loss.backward()
    grads = [p.grad.detach().cpu().numpy() for p in params]
    assert x.grad is None or np.all(np.isfinite(x.grad.detach().cpu().numpy()))
    rng = np.random.default_rng(1)
    for _ in range(3):  # directional central differences along random directions
        dirs = [rng.standard_normal(w.shape) for w in ws]
        h = 1e-6
        plus = loss_of([w + h * d for w, d in zip(ws, dirs)])
        minus = loss_of([w - h * d for w, d in zip(ws, dirs)])
        fd = (plus - minus) / (2 * h)
        analytic = sum(float((g * d).sum()) for g, d in zip(grads, dirs))
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8)
    # and entry by entry for the first layer's weights
    for i in range(ws[0].shape[0]):
        d = [np.zeros_like(w) for w in ws]
        d[0][i, 0] = 1.0
        fd = (loss_of([w + 1e-6 * e for w, e in zip(ws, d)])
              - loss_of([w - 1e-6 * e for w, e in zip(ws, d)])) / 2e-6
        assert grads[0][i, 0] == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_gradgradcheck_of_tanh_mlp_in_its_weights_and_input(device):
    """gradgradcheck through the plain (Linear + tanh) and fused (linear_act) layers, with
    every weight an input."""
    rng = np.random.default_rng(2)
    x, W1, b1, W2, b2, W3, b3 = (
        gg.tensor(rng.standard_normal(s) * 0.7, dtype=gg.float64, device=device,
                  requires_grad=True) for s in [(4, 2), (3, 2), (3,), (3, 3), (3,), (1, 3), (1,)])

    def fn(x, W1, b1, W2, b2, W3, b3):
        h = gg.tanh(F.linear(x, W1, b1))
        h = F.linear_act(h, W2, b2, "tanh")
        return F.linear(h, W3, b3)

    args = (x, W1, b1, W2, b2, W3, b3)
    assert gg.autograd.gradgradcheck(fn, args, atol=1e-8, rtol=1e-6)
    # gradgradcheck differentiates the create_graph gradients, which come from the composites;
    # they must equal the fused kernels' plain backward, value for value
    v = gg.tensor(rng.standard_normal((4, 1)), dtype=gg.float64, device=device)
    plain = grad(fn(*args), args, v)
    composite = grad(fn(*args), args, v, create_graph=True)
    assert composite[1].requires_grad  # dL/dW1 depends on the weights
    for p, c in zip(plain, composite):
        np.testing.assert_allclose(c.detach().cpu().numpy(), p.detach().cpu().numpy(),
                                   rtol=1e-13, atol=1e-15)


def test_pinn_command_line(tmp_path):
    """The flags reach main: a short run on the CPU prints its steps, the final error and the
    plot's path."""
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    png = tmp_path / "out" / "pinn.png"
    r = subprocess.run([sys.executable, str(root / "examples" / "pinn.py"), "--steps", "3",
                        "--seed", "1", "--device", "cpu", "--plot", str(png)],
                       cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(root)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("step")] == ["0", "2"]
    assert lines[-2].startswith("final max |u - sin(pi x)| on 1001 points: ")
    assert lines[-1] == f"plot saved to {png}" and png.stat().st_size > 10_000
