"""The architecture's promises: one home per op, imports that run one way, a typed surface."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn.functional as F
from gpugrad import kernels as K
from gpugrad.ops import _registry

from .conftest import host
from .optable import ACTIVATION_REFS

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "gpugrad"

# Each layer may import only from the layers before it.
LAYERS = [
    {"_device", "dtypes", "_version"},
    {"_typing", "_printing", "return_types"},
    {"kernels"},
    {"autograd"},
    {"tensor"},
    {"ops", "creation"},
]


def _layer(module: str) -> int:
    for i, names in enumerate(LAYERS):
        if module in names:
            return i
    return len(LAYERS)  # nn, optim, utils, value, viz...: above the core


def _imports(path: Path) -> set[str]:
    """The first-level gpugrad modules ``path`` imports at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []  # imports for type checkers only
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            pkg = path.parent.relative_to(PKG).parts[: max(0, len(
                path.parent.relative_to(PKG).parts) - (node.level - 1))]
            parts = list(pkg) + (node.module.split(".") if node.module else [])
            if parts:
                found.add(parts[0])
            else:  # from . import a, b
                found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("path", sorted(PKG.glob("*.py")) + sorted((PKG / "ops").glob("*.py")),
                         ids=lambda p: str(p.relative_to(PKG)))
def test_imports_run_one_way(path):
    me = "ops" if path.parent.name == "ops" else path.stem
    if me == "__init__":
        return
    for dep in _imports(path) - {me}:
        assert _layer(dep) <= _layer(me), f"{path.name} imports {dep}, a layer above it"


def test_tensor_module_alone_gives_the_whole_tensor():
    code = ("from gpugrad.tensor import Tensor; t = Tensor([1.0, 4.0]); "
            "print((t.sqrt() * 2).sum().item(), t.T.shape)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["6.0", "gpugrad.Size([2])"]


def test_every_method_mark_is_bound_on_tensor():
    for name, fn in _registry.METHODS.items():
        assert getattr(gg.Tensor, name) is fn, name
    for name in _registry.PROPERTIES:
        assert isinstance(getattr(gg.Tensor, name), property), name


def test_ops_exports_are_public_documented_functions():
    import gpugrad.ops as ops

    for mod in ops.__all__:
        for name in getattr(ops, mod).__all__:
            fn = getattr(gg, name)
            assert fn is getattr(getattr(ops, mod), name)
            assert callable(fn) and fn.__doc__, f"gpugrad.{name} has no docstring"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the stub is generated on Python 3.11+")
def test_tensor_stub_is_current():
    from gpugrad.ops import stubgen

    assert stubgen.PATH.read_text() == stubgen.generate(), (
        "gpugrad/_tensor_ops.pyi is stale: run python -m gpugrad.ops.stubgen")


def test_activation_record_drives_refs_ops_and_mlp(device):
    assert set(ACTIVATION_REFS) == set(K.ACTIVATIONS)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 5))
    for name in K.ACTIVATIONS:
        assert {f"{name}_fwd", f"{name}_bwd", f"bias_{name}"} <= set(K.TABLE)
        gg.manual_seed(1)
        m = gg.nn.MLP(5, [4, 3], activation=name, dtype=gg.float64).to(device)
        got = host(m(gg.tensor(x, dtype=gg.float64, device=device)))
        w0, b0 = host(m.layers[0].weight), host(m.layers[0].bias)
        w1, b1 = host(m.layers[1].weight), host(m.layers[1].bias)
        want = ACTIVATION_REFS[name](x @ w0.T + b0) @ w1.T + b1
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="swish"):
        F.linear_act(gg.ones(2, 2), gg.ones(2, 2), gg.ones(2), "swish")


def test_to_dot_is_the_same_text_on_every_run():
    code = ("import gpugrad as gg; from gpugrad import Value; from gpugrad.viz import to_dot;"
            "a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = a * b + a; c.label='c';"
            "x = gg.ones(2, 3, requires_grad=True); y = (x * 2).tanh().sum();"
            "print(to_dot(c)); print(to_dot(y, names={'x': x}))")
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    assert "0x" not in runs[0] and '"v0"' in runs[0] and '"f0"' in runs[0]


def _undocumented(namespace, names):
    import inspect

    out = []
    for n in names:
        obj = getattr(namespace, n)
        if inspect.ismodule(obj) or not callable(obj) and not isinstance(obj, property):
            continue
        doc = obj.fget.__doc__ if isinstance(obj, property) else obj.__doc__
        if not (doc or "").strip():
            out.append(n)
    return out


def test_every_public_name_has_a_docstring():
    assert _undocumented(gg, [n for n in dir(gg) if not n.startswith("_")]) == []
    names = [n for n in vars(gg.Tensor) if not n.startswith("_") or n == "__init__"]
    names += [n for n in _registry.METHODS if not n.startswith("__")]
    assert _undocumented(gg.Tensor, names) == []


def test_a_typical_user_script_passes_mypy_strict():
    mypy = pytest.importorskip("mypy.api")
    script = Path(__file__).parent / "typing" / "user_script.py"
    # --follow-imports=silent: gpugrad is checked as an installed, typed package would be.
    out, err, status = mypy.run(["--strict", "--follow-imports=silent", "--no-incremental",
                                 str(script)])
    assert status == 0, out + err


def test_the_user_script_runs():
    script = Path(__file__).parent / "typing" / "user_script.py"
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                         text=True, check=True, env=env).stdout.split()
    assert len(out) == 3 and 0.0 <= float(out[1]) <= 1.0
