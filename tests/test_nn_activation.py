"""The activation layers generated from the activation record (``kernels.ACTIVATIONS``): one per
record's ``layer``, with PyTorch's names, signatures, reprs and docstrings; values against the
float64 references of the op table."""

import copy
import inspect
import pickle
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
from gpugrad import kernels as K
from gpugrad.nn import activation as A

from .conftest import host
from .optable import ACTIVATION_REFS

# PyTorch 2's signatures and reprs of these layers (checked by hand with torch.nn).
SIGNATURES = {
    "ReLU": "(inplace: bool = False) -> None",
    "Tanh": "() -> None",
    "Sigmoid": "() -> None",
    "GELU": "(approximate: str = 'none') -> None",
    "LeakyReLU": "(negative_slope: float = 0.01, inplace: bool = False) -> None",
    "Softsign": "() -> None",
}
REPRS = [
    (lambda: nn.ReLU(), "ReLU()"),
    (lambda: nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (lambda: nn.Tanh(), "Tanh()"),
    (lambda: nn.Sigmoid(), "Sigmoid()"),
    (lambda: nn.GELU(), "GELU(approximate='none')"),
    (lambda: nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (lambda: nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (lambda: nn.LeakyReLU(0.2, True), "LeakyReLU(negative_slope=0.2, inplace=True)"),
    (lambda: nn.Softsign(), "Softsign()"),
]
DOC_FIRST_LINES = {  # PyTorch's
    "ReLU": "Applies the rectified linear unit function element-wise.",
    "Tanh": "Applies the Hyperbolic Tangent (Tanh) function element-wise.",
    "Sigmoid": "Applies the Sigmoid function element-wise.",
    "GELU": "Applies the Gaussian Error Linear Units function.",
    "LeakyReLU": "Applies the LeakyReLU function element-wise.",
    "Softsign": "Applies the element-wise Softsign function.",
}


def _layer_for(rec: K.Activation, **params) -> nn.Module:
    cls = getattr(nn, rec.layer)
    kwargs = dict(params)
    if rec.variant:
        kwargs[rec.variant[0]] = rec.variant[1]
    return cls(**kwargs)


def test_every_record_has_its_layer_exported():
    for rec in K.ACTIVATIONS.values():
        cls = getattr(nn, rec.layer)
        assert rec.layer in nn.__all__
        assert cls is A.LAYERS[rec.layer] and issubclass(cls, A.ActivationLayer)
        assert rec in cls.records.values()
        assert cls.__module__ == "gpugrad.nn.activation" and cls.__qualname__ == rec.layer
    assert set(A.LAYERS) == {r.layer for r in K.ACTIVATIONS.values()}
    assert set(SIGNATURES) == set(A.LAYERS)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signatures_and_docstrings_are_pytorchs(name):
    cls = getattr(nn, name)
    assert str(inspect.signature(cls)) == SIGNATURES[name]
    assert cls.__doc__.splitlines()[0] == DOC_FIRST_LINES[name]
    for p in inspect.signature(cls).parameters:
        assert p in cls.__doc__  # every argument is described


@pytest.mark.parametrize("make,want", REPRS, ids=[w for _, w in REPRS])
def test_reprs_are_pytorchs(make, want):
    assert repr(make()) == want


@pytest.mark.parametrize("name", sorted(K.ACTIVATIONS))
def test_layer_computes_its_record(name, device):
    rec = K.ACTIVATIONS[name]
    x_np = np.linspace(-3, 3, 24).reshape(4, 6)
    for params in ({}, {p: 0.3 for p in rec.params}):
        layer = _layer_for(rec, **params)
        x = gg.tensor(x_np, dtype=gg.float64, device=device, requires_grad=True)
        y = layer(x)
        assert type(y.grad_fn).__name__ == "".join(s.capitalize() for s in name.split("_"))
        ref = ACTIVATION_REFS[name]
        want = ref(x_np, *params.values()) if params else ref(x_np)
        np.testing.assert_allclose(host(y), want, rtol=1e-12, atol=1e-12)
        y.sum().backward()
        h = 1e-6
        num = ((ref(x_np + h, *params.values()) - ref(x_np - h, *params.values())) / (2 * h)
               if params else (ref(x_np + h) - ref(x_np - h)) / (2 * h))
        np.testing.assert_allclose(host(x.grad), num, rtol=1e-6, atol=1e-6)


def test_leaky_relu_layer_uses_its_slope():
    y = nn.LeakyReLU(negative_slope=0.2)(gg.tensor([-2.0, 3.0]))
    np.testing.assert_allclose(y.numpy(), [-0.4, 3.0], rtol=1e-6)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        nn.GELU("erf")
    with pytest.raises(TypeError, match="Tanh"):
        nn.Tanh(True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'slope'"):
        nn.LeakyReLU(slope=0.1)


def test_inplace_writes_into_the_input_and_returns_it():
    x = gg.tensor([-1.0, 2.0])
    y = nn.ReLU(inplace=True)(x)
    assert y is x and x.numpy().tolist() == [0.0, 2.0]


def test_generated_layers_pickle_copy_and_have_no_state():
    for make, want in REPRS:
        m = make()
        for twin in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
            assert type(twin) is type(m) and repr(twin) == want
        assert m.state_dict() == {} and list(m.parameters()) == []


def test_declarations_for_type_checkers_are_current():
    """nn/activation.py declares each generated layer under TYPE_CHECKING (type checkers and
    the API reference read source): the block is what the records generate."""
    from gpugrad.nn import stubgen

    text = Path(A.__file__).read_text()
    assert stubgen.generate(text) == text, (
        "gpugrad/nn/activation.py is stale: run python -m gpugrad.nn.stubgen")
    for name, cls in A.LAYERS.items():
        sig = str(inspect.signature(cls)).replace("'", '"')
        assert f"    class {name}(ActivationLayer):" in text
        assert f"def __init__(self{', ' if sig != '() -> None' else ''}{sig[1:]}: ..." in text


def test_a_new_record_makes_a_layer():
    rec = K.Activation("twice", lambda x, s, out=None: x * s, lambda x, g, s: g * s, "x",
                       "Twice", ("scale",), (2.0,), inplace=True, doc="Scales.\n\n``s * x``.")
    cls = A._layer_class("Twice", [rec])
    assert str(inspect.signature(cls)) == "(scale: float = 2.0, inplace: bool = False) -> None"
    assert repr(cls(3.0, inplace=True)) == "Twice(scale=3.0, inplace=True)"
    assert cls.__doc__.startswith("Scales.") and "scale: default ``2.0``" in cls.__doc__
    with pytest.raises(TypeError, match="disagree"):
        A._layer_class("Twice", [rec, rec])  # two records, no variant to choose between
