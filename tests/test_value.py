"""gpugrad.Value against an independent reference: forward-mode dual numbers in Python floats
(exact derivatives, no gpugrad involved), and numbers derived by hand."""

import math
import sys
import types

import numpy as np
import pytest

import gpugrad as gg
from gpugrad import Value
from gpugrad.autograd import Op


class Dual:
    """a + b*eps with eps^2 = 0: b carries the exact derivative along with the value a."""

    def __init__(self, a, b=0.0):
        self.a, self.b = float(a), float(b)

    @staticmethod
    def lift(o):
        return o if isinstance(o, Dual) else Dual(o)

    def __add__(self, o):
        o = Dual.lift(o)
        return Dual(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __mul__(self, o):
        o = Dual.lift(o)
        return Dual(self.a * o.a, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, o):
        return self + (-Dual.lift(o))

    def __rsub__(self, o):
        return Dual.lift(o) - self

    def __pow__(self, k):
        return Dual(self.a**k, k * self.a ** (k - 1) * self.b)

    def __truediv__(self, o):
        return self * Dual.lift(o) ** -1

    def __rtruediv__(self, o):
        return Dual.lift(o) * self**-1

    def relu(self):
        return Dual(max(self.a, 0.0), self.b if self.a > 0 else 0.0)

    def tanh(self):
        t = math.tanh(self.a)
        return Dual(t, (1 - t * t) * self.b)

    def exp(self):
        e = math.exp(self.a)
        return Dual(e, e * self.b)


def sanity_check(V, x0):
    x = V(x0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return x, y


def more_ops(V, a0, b0):
    a, b = V(a0), V(b0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_sanity_check():
    x, y = sanity_check(Value, -4.0)
    y.backward()
    _, yd = sanity_check(lambda v: Dual(v, 1.0), -4.0)
    assert y.data == yd.a == -20.0
    assert x.grad == yd.b == 46.0


def test_micrograd_more_ops():
    a, b, g = more_ops(Value, -4.0, 2.0)
    g.backward()
    _, _, ga = more_ops(lambda v: Dual(v, 1.0 if v == -4.0 else 0.0), -4.0, 2.0)
    _, _, gb = more_ops(lambda v: Dual(v, 1.0 if v == 2.0 else 0.0), -4.0, 2.0)
    assert g.data == pytest.approx(ga.a, rel=1e-15) and g.data == pytest.approx(24.70408163265306)
    assert a.grad == pytest.approx(ga.b, rel=1e-12) and a.grad == pytest.approx(138.83381924198252)
    assert b.grad == pytest.approx(gb.b, rel=1e-12) and b.grad == pytest.approx(645.5772594752186)


def test_seed_expression_f_equals_ab_times_a_plus_b():
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    f = (a * b) * (a + b)
    f.backward()
    # f = ab(a+b) = -6; df/da = b(a+b) + ab = 3 - 6 = -3; df/db = a(a+b) + ab = -2 - 6 = -8
    assert (f.data, a.grad, b.grad) == (-6.0, -3.0, -8.0)


def _neuron(tanh_from_exp):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    if tanh_from_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.backward()
    return o, x1, x2, w1, w2


@pytest.mark.parametrize("from_exp", [False, True])
def test_seed_neuron(from_exp):
    o, x1, x2, w1, w2 = _neuron(from_exp)
    # n = 0.88137..., o = tanh(n) = 1/sqrt(2), do/dn = 1 - o^2 = 0.5
    assert o.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    assert x1.grad == pytest.approx(-1.5, rel=1e-12)  # w1 * 0.5
    assert w1.grad == pytest.approx(1.0, rel=1e-12)  # x1 * 0.5
    assert x2.grad == pytest.approx(0.5, rel=1e-12)  # w2 * 0.5
    assert w2.grad == 0.0  # x2 * 0.5


def test_value_surface():
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0
    assert repr(a) == "Value(data=3.0, grad=2.0)"
    assert b._prev == {a} and b._op == "+"
    assert (a * 2)._op == "*" and (a**2)._op == "**2" and a.tanh()._op == "tanh"
    assert a.exp()._op == "exp" and a.relu()._op == "ReLU" and a.log()._op == "log"
    c = np.float64(2) * a
    assert isinstance(c, Value) and c.data == 6.0
    assert (1 - a).data == -2.0 and (10.0 / a).data == pytest.approx(10 / 3)
    assert a.sigmoid().data == pytest.approx(1 / (1 + math.exp(-3)))
    old = c
    c += 1
    assert c is not old and old.data == 6.0 and c.data == 7.0 and old in c._prev
    a.grad = 0.0
    a.label = "renamed"
    assert a.grad == 0.0 and a.label == "renamed"
    a.data += 1.0
    assert a.data == 4.0
    assert len({a, Value(4.0)}) == 2  # identity hashing
    with pytest.raises(TypeError):
        Value("x")


def test_repeated_backward_accumulates_like_micrograd():
    x = Value(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 8.0 and y.grad == 1.0


def test_to_dot_has_every_node_and_label():
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d = a * b
    d.label = "d"
    f = d * (a + b)
    f.label = "f"
    f.backward()
    dot = gg.viz.to_dot(f)
    assert dot.startswith("digraph G {") and "rankdir=LR" in dot
    for label in ("a", "b", "d", "f"):
        assert f"{{ {label} | data" in dot
    assert dot.count("shape=\"ellipse\"") == 3  # *, +, *
    assert "grad -3.0000" in dot and "data -6.0000" in dot
    assert dot.count("->") == 3 + 6  # op -> value, and two inputs into each op


def test_to_dot_of_a_tensor_graph():
    m = gg.nn.Linear(3, 2)
    loss = m(gg.ones(4, 3)).tanh().sum()
    dot = gg.viz.to_dot(loss, names=dict(m.named_parameters()))
    for part in ("Linear", "Tanh", "Sum", "weight", "bias", "(2, 3) gpugrad.float32", "output"):
        assert part in dot


def test_draw_dot_needs_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"gpugrad\[viz\]"):
        gg.viz.draw_dot(Value(1.0))


def test_draw_dot_builds_a_digraph(monkeypatch):
    class Digraph:
        def __init__(self, format, graph_attr):
            self.format, self.attr, self.nodes, self.edges = format, graph_attr, [], []

        def node(self, name, **attrs):
            self.nodes.append((name, attrs))

        def edge(self, a, b):
            self.edges.append((a, b))

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Digraph=Digraph))
    a = Value(1.0, label="a")
    g = gg.viz.draw_dot(a * 2 + 1, format="png", rankdir="TB")
    assert g.format == "png" and g.attr == {"rankdir": "TB"}
    assert len(g.nodes) == 7 and len(g.edges) == 6


# --- gradcheck -------------------------------------------------------------------------------


class WrongSquare(Op):
    """x**2 with a deliberately wrong backward (forgets the factor 2)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return (gy * self.x,)


def test_gradcheck_passes_on_correct_ops():
    x = gg.randn(3, 4, dtype=gg.float64, requires_grad=True)
    w = gg.randn(4, 2, dtype=gg.float64, requires_grad=True)
    t = gg.tensor([0, 1, 1])
    assert gg.gradcheck(lambda x, w: gg.nn.functional.cross_entropy((x @ w).tanh(), t), (x, w))
    assert gg.gradcheck(lambda x: (x.sigmoid(), x.exp().sum(1)), x)
    assert x.grad is None and w.grad is None


def test_gradcheck_fails_on_a_wrong_backward():
    x = gg.tensor([1.0, -2.0, 3.0], dtype=gg.float64, requires_grad=True)
    with pytest.raises(gg.GradcheckError, match="input 0"):
        gg.gradcheck(lambda x: WrongSquare.apply(x), (x,))
    assert gg.gradcheck(lambda x: WrongSquare.apply(x), (x,), raise_exception=False) is False
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, -2.0, 3.0])


def test_gradcheck_requires_float64():
    with pytest.raises(ValueError, match="float64"):
        gg.gradcheck(lambda x: x * 2, (gg.ones(2, requires_grad=True),))
