"""The autograd API beyond backward(): create_graph, autograd.grad, hooks, custom Functions,
grad modes, autograd.functional and gradgradcheck, against hand-derived values and finite
differences (float64)."""

import numpy as np
import pytest

import gpugrad as gg
from gpugrad.autograd import functional as AF

from .conftest import host

X0 = np.array([0.3, -0.7, 1.1])


def _t(a, device="cpu", grad=True):
    return gg.tensor(np.asarray(a, np.float64), dtype=gg.float64, device=device,
                     requires_grad=grad)


# --- create_graph ----------------------------------------------------------------------------


def test_third_derivative_of_a_polynomial(device):
    x = _t(X0, device)
    y = (x**4).sum()
    (g1,) = gg.autograd.grad(y, x, create_graph=True)
    (g2,) = gg.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = gg.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(host(g1), 4 * X0**3)
    np.testing.assert_allclose(host(g2), 12 * X0**2)
    np.testing.assert_allclose(host(g3), 24 * X0)
    assert g1.requires_grad and g1.grad_fn is not None
    assert not g3.requires_grad


def test_backward_create_graph_leaves_differentiable_grads(device):
    x = _t(X0, device)
    (x.sin() * x).sum().backward(create_graph=True)
    g = x.grad
    np.testing.assert_allclose(host(g), np.cos(X0) * X0 + np.sin(X0))
    assert g.grad_fn is not None
    x.grad = None
    g.sum().backward()  # d/dx (x cos x + sin x) = 2 cos x - x sin x
    np.testing.assert_allclose(host(x.grad), 2 * np.cos(X0) - X0 * np.sin(X0))


def test_create_graph_accumulates_into_existing_grad():
    x = _t(X0)
    (x * x).sum().backward(create_graph=True)
    (x * x * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(host(x.grad), 2 * X0 + 3 * X0**2)
    (h,) = gg.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(host(h), 2 + 6 * X0)


def test_gradient_penalty_through_a_network():
    """A WGAN-GP-style penalty: the gradient of ||d out/d x||^2 with respect to the weights,
    checked against central differences in one weight."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    x = _t(rng.standard_normal((5, 4)))

    def penalty(wv):
        w = _t(wv)
        (gx,) = gg.autograd.grad(x.matmul(w.T).tanh().sum(), x, create_graph=True)
        return (gx * gx).sum(), w

    p, w = penalty(w0)
    p.backward()
    eps = 1e-6
    for idx in [(0, 0), (2, 3)]:
        wp, wm = w0.copy(), w0.copy()
        wp[idx] += eps
        wm[idx] -= eps
        num = (penalty(wp)[0].item() - penalty(wm)[0].item()) / (2 * eps)
        assert host(w.grad)[idx] == pytest.approx(num, rel=1e-6, abs=1e-8)


def test_second_order_through_linear_and_every_activation(device):
    x = _t(X0.reshape(1, 3), device)
    w = _t(np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.6]]), device)
    b = _t(np.array([0.05, -0.1]), device)
    for act in ("tanh", "sigmoid", "softsign", "gelu_tanh", "leaky_relu"):
        def f(xv, act=act):
            z = gg.nn.functional.linear_act(xv, w, b, act)
            return z.sum()

        assert gg.gradgradcheck(f, (x,)), act


def test_freed_graph_under_create_graph_retains_by_default():
    x = _t(X0)
    y = (x.exp()).sum()
    y.backward(create_graph=True)  # retain_graph defaults to create_graph
    y.backward()
    np.testing.assert_allclose(host(x.grad), 2 * np.exp(X0))


# --- autograd.grad -----------------------------------------------------------------------------


def test_grad_leaves_dot_grad_untouched_and_returns_a_tuple():
    x, w = _t(X0), _t([2.0, 3.0, 4.0])
    y = (x * w).sum()
    gx, gw = gg.autograd.grad(y, (x, w))
    np.testing.assert_allclose(host(gx), [2, 3, 4])
    np.testing.assert_allclose(host(gw), X0)
    assert x.grad is None and w.grad is None


def test_grad_of_a_non_leaf_and_grad_outputs():
    x = _t(X0)
    h = x * 2
    y = h.exp()
    v = gg.tensor([1.0, 0.0, 2.0], dtype=gg.float64)
    (gh,) = gg.autograd.grad(y, h, grad_outputs=v)
    np.testing.assert_allclose(host(gh), np.array([1, 0, 2]) * np.exp(2 * X0))


def test_grad_allow_unused_and_materialize():
    x, z = _t(X0), _t([1.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        gg.autograd.grad((x * x).sum(), [x, z])
    gx, gz = gg.autograd.grad((x * x).sum(), [x, z], allow_unused=True)
    assert gz is None
    np.testing.assert_allclose(host(gx), 2 * X0)
    _, gz = gg.autograd.grad((x * x).sum(), [x, z], materialize_grads=True)
    np.testing.assert_allclose(host(gz), [0.0])


def test_grad_errors():
    x = _t(X0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gg.autograd.grad((x * 2).sum(), gg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="scalar outputs"):
        gg.autograd.grad(x * 2, x)
    y = (x * x).sum()
    gg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        gg.autograd.grad(y, x)


def test_grad_with_several_outputs_sums_their_gradients():
    x = _t(X0)
    a, b = x.sin().sum(), (x * x).sum()
    (g,) = gg.autograd.grad([a, b], x)
    np.testing.assert_allclose(host(g), np.cos(X0) + 2 * X0)


def test_backward_inputs_accumulates_only_there():
    x, w = _t(X0), _t([2.0, 3.0, 4.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(host(w.grad), X0)


def test_autograd_backward_with_several_tensors():
    x = _t(X0)
    gg.autograd.backward([x * 2, x * x], [gg.ones(3, dtype=gg.float64),
                                          gg.tensor([1.0, 2.0, 3.0], dtype=gg.float64)])
    np.testing.assert_allclose(host(x.grad), 2 + np.array([1, 2, 3]) * 2 * X0)


# --- hooks ---------------------------------------------------------------------------------------


def test_hook_on_a_leaf_replaces_its_gradient():
    x = _t(X0)
    seen = []
    h = x.register_hook(lambda g: seen.append(host(g)) or g * 10)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3, 3, 3])
    np.testing.assert_allclose(host(x.grad), [30, 30, 30])
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(host(x.grad), [3, 3, 3])


def test_hook_on_a_non_leaf_changes_what_flows_upstream():
    x = _t(X0)
    h = x * 2
    h.register_hook(lambda g: g * 0.5)
    h.retain_grad()
    (h * h).sum().backward()  # dL/dh = 2h, halved by the hook; dL/dx = 2 * that
    np.testing.assert_allclose(host(h.grad), 2 * X0)  # retain_grad sees the hooked value
    np.testing.assert_allclose(host(x.grad), 4 * X0)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    x = _t(X0)
    got = []
    x.register_post_accumulate_grad_hook(lambda t: got.append(host(t.grad)))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(got[0], [2, 2, 2])
    np.testing.assert_allclose(got[1], [5, 5, 5])
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gg.ones(2).register_hook(lambda g: g)
    x = _t(X0)
    x.register_hook(lambda g: gg.ones(5, dtype=gg.float64))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()


# --- custom Functions --------------------------------------------------------------------------


class Cube(gg.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale=1.0):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x * x * ctx.scale, None


def test_custom_function_forward_backward_and_create_graph(device):
    x = _t(X0, device)
    y = Cube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    np.testing.assert_allclose(host(y), 2 * X0**3)
    (g,) = gg.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g), 6 * X0**2)
    (h,) = gg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(host(h), 12 * X0)


def test_custom_function_saved_tensor_version_check():
    x = _t(X0)
    h = x * 1.0
    y = Cube.apply(h)
    with gg.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="inplace operation"):
        y.sum().backward()


def test_custom_function_needs_input_grad_and_non_differentiable_output():
    seen = {}

    class ArgmaxAndDouble(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            seen["needs"] = ctx.needs_input_grad
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            return g * 2, None

    x = _t(X0)
    out, idx = ArgmaxAndDouble.apply(x, gg.ones(3))
    assert seen["needs"] == (True, False)
    assert not idx.requires_grad and idx.item() == 2
    out.sum().backward()
    np.testing.assert_allclose(host(x.grad), [2, 2, 2])


def test_custom_function_several_outputs_and_unused_output():
    class SinCos(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    x = _t(X0)
    s, c = SinCos.apply(x)
    (s.sum() + 3 * c.sum()).backward()
    np.testing.assert_allclose(host(x.grad), np.cos(X0) - 3 * np.sin(X0))
    x.grad = None
    s, c = SinCos.apply(x)
    s.sum().backward()  # c's gradient arrives as zeros (materialize_grads)
    np.testing.assert_allclose(host(x.grad), np.cos(X0))


def test_custom_function_setup_context_form():
    class Square(gg.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = _t(X0)
    Square.apply(x).sum().backward()
    np.testing.assert_allclose(host(x.grad), 2 * X0)


def test_custom_function_errors():
    class TwoGrads(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongShape(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return gg.ones(7, dtype=gg.float64)

    x = _t(X0)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TwoGrads.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="apply"):
        TwoGrads()
    with pytest.raises(TypeError, match="save_for_backward"):
        class Bad(gg.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(np.ones(2))
                return x

        Bad.apply(x)


def test_once_differentiable_stops_the_second_order():
    class Sq(gg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @gg.autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = _t(X0)
    (g,) = gg.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g), 2 * X0)
    assert not g.requires_grad


# --- grad modes ----------------------------------------------------------------------------------


def test_no_grad_as_a_bare_decorator_and_inference_mode():
    x = _t(X0)

    @gg.no_grad
    def f(t):
        return t * 2

    @gg.inference_mode()
    def g(t):
        return t * 2

    assert f.__name__ == "f" and not f(x).requires_grad and not g(x).requires_grad
    with gg.inference_mode():
        assert not (x * 2).requires_grad and gg.is_inference_mode_enabled()
    with gg.inference_mode(False):
        assert (x * 2).requires_grad
    assert gg.is_grad_enabled()


# --- autograd.functional ---------------------------------------------------------------------


A = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])


def _f_vec(x):
    return gg.tensor(A) @ x.tanh()


def _jac_ref(x):
    return A * (1 - np.tanh(x) ** 2)


def test_jacobian_vjp_jvp_match_the_closed_form():
    x = _t(X0, grad=False)
    np.testing.assert_allclose(host(AF.jacobian(_f_vec, x)), _jac_ref(X0))
    v = np.array([1.0, -2.0])
    u = np.array([0.5, 1.0, -1.0])
    out, vj = AF.vjp(_f_vec, x, gg.tensor(v))
    np.testing.assert_allclose(host(out), A @ np.tanh(X0))
    np.testing.assert_allclose(host(vj), v @ _jac_ref(X0))
    out, jv = AF.jvp(_f_vec, x, gg.tensor(u))
    np.testing.assert_allclose(host(jv), _jac_ref(X0) @ u)
    assert not x.requires_grad  # the caller's tensor is left alone


def test_jacobian_of_several_inputs_and_outputs():
    a, b = _t([1.0, 2.0], grad=False), _t([3.0], grad=False)
    jac = AF.jacobian(lambda a, b: (a * b, (a * a).sum() + b), (a, b))
    np.testing.assert_allclose(host(jac[0][0]), np.diag([3.0, 3.0]))
    np.testing.assert_allclose(host(jac[0][1]), [[1.0], [2.0]])
    np.testing.assert_allclose(host(jac[1][0]), [[2.0, 4.0]])
    np.testing.assert_allclose(host(jac[1][1]), [[1.0]])


def test_hessian_hvp_vhp_match_the_closed_form():
    def f(x):
        return (x.sin() * x.exp()).sum() + (x[0] * x[1])

    h_ref = np.diag(2 * np.exp(X0) * np.cos(X0))
    h_ref[0, 1] += 1.0
    h_ref[1, 0] += 1.0
    x = _t(X0, grad=False)
    np.testing.assert_allclose(host(AF.hessian(f, x)), h_ref)
    v = np.array([1.0, 2.0, -1.0])
    val, hv = AF.hvp(f, x, gg.tensor(v))
    assert val.item() == pytest.approx(float((np.sin(X0) * np.exp(X0)).sum() + X0[0] * X0[1]))
    np.testing.assert_allclose(host(hv), h_ref @ v)
    np.testing.assert_allclose(host(AF.vhp(f, x, gg.tensor(v))[1]), v @ h_ref)


def test_hessian_of_two_inputs():
    a, b = _t([1.0, 2.0], grad=False), _t([0.5], grad=False)
    h = AF.hessian(lambda a, b: (a * a * b).sum(), (a, b))
    np.testing.assert_allclose(host(h[0][0]), np.diag([1.0, 1.0]))  # 2b
    np.testing.assert_allclose(host(h[0][1]), [[2.0], [4.0]])  # 2a
    np.testing.assert_allclose(host(h[1][0]), [[2.0, 4.0]])
    np.testing.assert_allclose(host(h[1][1]), [[0.0]])


def test_functional_errors():
    x = _t(X0, grad=False)
    with pytest.raises(RuntimeError, match="single element"):
        AF.vjp(_f_vec, x)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        AF.jacobian(_f_vec, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="strict mode"):
        AF.vjp(lambda x: gg.ones(1, dtype=gg.float64) * 1.0, x, gg.ones(1, dtype=gg.float64),
               strict=True)


# --- gradgradcheck ------------------------------------------------------------------------------


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = _t([0.5, 1.5])
    assert gg.gradgradcheck(lambda t: (t**3).sum() * t.tanh(), (x,))

    class FirstOrderOnly(gg.autograd.Function):  # backward treats x as a constant
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 2 * g * t.detach()

    assert gg.gradcheck(FirstOrderOnly.apply, (x,))
    assert not gg.gradgradcheck(FirstOrderOnly.apply, (x,), raise_exception=False)
    with pytest.raises(gg.GradcheckError):
        gg.gradgradcheck(FirstOrderOnly.apply, (x,))
    assert gg.autograd.gradgradcheck is gg.gradgradcheck


def test_an_op_without_a_second_order_rule_raises_instead_of_a_wrong_answer():
    class Derived(gg.autograd.Op):
        def forward(self, x):
            self.d = x * 2.0  # a derived value: the engine cannot lift it to a Tensor
            return x * x

        def backward(self, gy):
            return (gy * self.d,)

    x = _t(X0)
    (g,) = gg.autograd.grad(Derived.apply(x).sum(), x)
    np.testing.assert_allclose(host(g), 2 * X0)
    with pytest.raises(NotImplementedError, match="Derived does not support higher-order"):
        gg.autograd.grad(Derived.apply(x).sum(), x, create_graph=True)

