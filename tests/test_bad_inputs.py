"""The bad-input table: every row is a wrong call, the exception PyTorch raises for it, words
its message must contain, and the promise that the call changed nothing.

A row's ``setup`` builds the objects of the situation (tensors, modules, optimizers,
schedulers, files) and returns them by name; ``call`` receives them and makes the bad call. The
harness snapshots every object ``setup`` returned (data, ``.grad``, ``requires_grad``, module
state and training flag, optimizer and scheduler state, a file's bytes or absence), runs the
call, checks the exception's type and message, and compares the snapshot: a failed call leaves
every user object as it was.

The rows use only the PyTorch-compatible names (``gg``, ``F``, ``nn``, ``optim``, ``L``,
``data``), so the same table reads as a PyTorch script (bound to torch's modules, it runs under
PyTorch: that is how each row's type was checked); where gpugrad deliberately raises another
type than PyTorch, or raises where PyTorch does not, the row says so. Rows about CUDA depend on
the machine: without CUDA, asking for it must say why and how to install it; with CUDA, mixing
devices must name both.
"""

from __future__ import annotations

import inspect
import math
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F
import gpugrad.optim as optim
import gpugrad.optim.lr_scheduler as L
import gpugrad.utils.data as data


@dataclass
class Bad:
    name: str
    setup: Callable[..., dict[str, Any]] | None  # () or (tmp_path) -> the objects, by name
    call: Callable[..., Any]  # the bad call, given setup's objects as keyword arguments
    exc: type[BaseException]  # the exception type (PyTorch's, unless the row says otherwise)
    words: tuple[str, ...]  # what its message must contain

    @property
    def id(self) -> str:
        return self.name


def bad(name: str, setup: Callable[..., dict[str, Any]] | None, call: Callable[..., Any],
        exc: type[BaseException], *words: str) -> Bad:
    return Bad(name, setup, call, exc, words)


@dataclass
class Global:
    """Global state a failed call must not change: ``read()`` gives its value."""

    read: Callable[[], Any]


def r(*shape: int) -> Any:
    """A float tensor of ``shape`` that requires grad (a leaf)."""
    if not shape:
        return gg.tensor(0.5, requires_grad=True)
    return gg.randn(*shape, requires_grad=True)


def c(*shape: int) -> Any:
    """A float tensor of ``shape`` that does not require grad."""
    return gg.randn(*shape)


def with_grad(*shape: int) -> Any:
    """A leaf that requires grad and already holds a gradient."""
    t = r(*shape)
    (t * t).sum().backward()
    return t


def lin(i: int = 3, o: int = 2) -> Any:
    """A Linear layer whose parameters hold gradients."""
    m = nn.Linear(i, o)
    m(gg.randn(4, i)).sum().backward()
    return m


def sgd_stepped(**kw: Any) -> dict[str, Any]:
    """A Linear layer and an optimizer with state (one step taken, gradients present)."""
    m = lin()
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9, **kw)
    opt.step()
    return dict(m=m, opt=opt)


def sched_setup() -> dict[str, Any]:
    m = nn.Linear(3, 2)
    return dict(m=m, opt=optim.SGD(m.parameters(), lr=0.1))


def saved_file(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "model.ckpt"
    gg.save({"w": gg.arange(6.0).reshape(2, 3)}, path)
    return dict(path=path)


def write(path: Path, payload: bytes) -> Path:
    path.write_bytes(payload)
    return path


def zip_file(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, payload in entries.items():
            z.writestr(name, payload)
    return path


class Ragged(data.Dataset):
    """Items of different lengths: the default collate cannot stack them."""

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> Any:
        return gg.zeros(i + 1)


class Stream(data.IterableDataset):
    def __iter__(self) -> Any:
        return iter(range(3))


SHAPES = ("size of tensor a (3) must match the size of tensor b (4) at non-singleton "
          "dimension 1")
LEAF = "a leaf Variable that requires grad is being used in an in-place operation"
FREED = "Trying to backward through the graph a second time"
INPLACE = "modified by an inplace operation"
CUDA_HINT = ("CUDA is not available", "pip install")
CUDA_LOAD = ("would go to cuda", "CUDA is not available", "map_location='cpu'")
RANGE = "Dimension out of range"

ROWS: list[Bad] = [
    # --- shapes: binary ops, broadcasting -----------------------------------------------------
    bad("add-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: a + b,
        RuntimeError, SHAPES, "[2, 3] and [2, 4]"),
    bad("sub-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: a - b,
        RuntimeError, SHAPES),
    bad("mul-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: a * b,
        RuntimeError, SHAPES),
    bad("div-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: a / b,
        RuntimeError, SHAPES),
    bad("pow-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: a**b,
        RuntimeError, SHAPES),
    bad("add-list", lambda: dict(a=r(3)), lambda a: a + [1.0, 2.0, 3.0],
        TypeError, "unsupported operand", "list"),
    bad("mul-tuple", lambda: dict(a=r(3)), lambda a: a * (1.0, 2.0, 3.0),
        TypeError, "unsupported operand"),
    bad("rsub-list", lambda: dict(a=r(3)), lambda a: [1.0, 2.0, 3.0] - a,
        TypeError, "unsupported operand"),
    bad("div-str", lambda: dict(a=r(3)), lambda a: a / "2", TypeError, "unsupported operand"),
    bad("lt-list", lambda: dict(a=r(3)), lambda a: a < [1.0, 2.0, 3.0],
        TypeError, "unsupported operand"),
    bad("add-alpha-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: gg.add(a, b, alpha=2),
        RuntimeError, SHAPES),
    bad("maximum-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: gg.maximum(a, b),
        RuntimeError, SHAPES),
    bad("minimum-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: gg.minimum(a, b),
        RuntimeError, SHAPES),
    bad("where-shapes", lambda: dict(a=r(2, 3), b=r(2, 4)), lambda a, b: gg.where(a > 0, a, b),
        RuntimeError, "[2, 3]", "[2, 4]", "do not broadcast"),
    bad("lt-shapes", lambda: dict(a=c(2, 3), b=c(2, 4)), lambda a, b: a < b,
        RuntimeError, "lt: shapes [2, 3] and [2, 4] do not broadcast"),
    bad("eq-shapes", lambda: dict(a=c(2, 3), b=c(2, 4)), lambda a, b: a == b,
        RuntimeError, "eq: shapes [2, 3] and [2, 4] do not broadcast"),
    bad("ge-fn-shapes", lambda: dict(a=c(2, 3), b=c(3, 2)), lambda a, b: gg.ge(a, b),
        RuntimeError, "ge: shapes [2, 3] and [3, 2]"),
    bad("isclose-shapes", lambda: dict(a=c(2, 3), b=c(2, 4)), lambda a, b: gg.isclose(a, b),
        RuntimeError, "isclose: shapes [2, 3] and [2, 4]"),
    bad("allclose-shapes", lambda: dict(a=c(3), b=c(4)), lambda a, b: a.allclose(b),
        RuntimeError, "[3] and [4]"),
    bad("leading-dim-shapes", lambda: dict(a=r(5, 2, 3), b=r(4, 1, 3)), lambda a, b: a * b,
        RuntimeError, "(5)", "(4)", "non-singleton dimension 0"),
    bad("iadd-broadcast-grows", lambda: dict(a=c(3), b=c(2, 3)), lambda a, b: a.add_(b),
        RuntimeError, "in-place add", "shape [3]", "(2,3)"),
    bad("imul-shapes", lambda: dict(a=c(2, 3), b=c(2, 4)), lambda a, b: a.mul_(b),
        RuntimeError, "in-place multiply", "(2,3) (2,4)"),
    bad("isub-shapes-graph", lambda: dict(x=r(2, 3), b=r(2, 4)),
        lambda x, b: (x * 1).sub_(b), RuntimeError, SHAPES),
    bad("copy-shapes", lambda: dict(a=c(2, 3), b=c(4)), lambda a, b: a.copy_(b),
        RuntimeError, "[4]", "[2, 3]"),
    # --- matmul and Linear --------------------------------------------------------------------
    bad("matmul-inner", lambda: dict(a=r(2, 3), b=r(4, 5)), lambda a, b: a @ b,
        RuntimeError, "shapes cannot be multiplied (2x3 and 4x5)"),
    bad("matmul-fn-inner", lambda: dict(a=r(2, 3), b=r(4, 5)), lambda a, b: gg.matmul(a, b),
        RuntimeError, "2x3 and 4x5"),
    bad("matmul-vec-mat", lambda: dict(a=r(3), b=r(4, 5)), lambda a, b: a @ b,
        RuntimeError, "3", "4x5"),
    bad("matmul-mat-vec", lambda: dict(a=r(2, 3), b=r(4)), lambda a, b: a @ b,
        RuntimeError, "2x3", "4"),
    bad("matmul-0d", lambda: dict(a=r(), b=r(3)), lambda a, b: a @ b,
        RuntimeError, "both arguments to matmul need to be at least 1D"),
    bad("matmul-batch", lambda: dict(a=r(2, 3, 4), b=r(3, 4, 5)), lambda a, b: a @ b,
        RuntimeError, "[2, 3, 4]", "[3, 4, 5]"),
    bad("matmul-batched-inner", lambda: dict(a=r(2, 3, 4), b=r(2, 5, 6)), lambda a, b: a @ b,
        RuntimeError, "batch2", "[2, 4]", "[2, 5]"),
    bad("linear-fn-shapes", lambda: dict(x=r(2, 3), w=r(4, 5)), lambda x, w: F.linear(x, w),
        RuntimeError, "2x3", "5x4"),
    bad("linear-fn-bias", lambda: dict(x=r(2, 3), w=r(4, 3), b=r(5)),
        lambda x, w, b: F.linear(x, w, b), RuntimeError,
        "linear: bias of shape [5] does not match the 4 output features of weight [4, 3]"),
    # linear_act (bias-add and activation fused) is gpugrad's own.
    bad("linear-act-bias", lambda: dict(x=r(2, 3), w=r(4, 3), b=r(5)),
        lambda x, w, b: F.linear_act(x, w, b, "relu"), RuntimeError, "bias of shape [5]"),
    bad("linear-module-features", lambda: dict(m=lin(3, 2), x=r(4, 5)), lambda m, x: m(x),
        RuntimeError, "4x5 and 3x2"),
    bad("mlp-features", lambda: dict(m=nn.MLP(3, [4, 2]), x=r(4, 5)), lambda m, x: m(x),
        RuntimeError, "4x5"),
    # --- cat / stack --------------------------------------------------------------------------
    bad("cat-sizes", lambda: dict(a=r(2, 3), b=r(3, 4)), lambda a, b: gg.cat([a, b], 1),
        RuntimeError, "sizes of tensors must match except in dimension 1", "[2, 3]", "[3, 4]"),
    bad("cat-ndim", lambda: dict(a=r(2, 3), b=r(3)), lambda a, b: gg.cat([a, b]),
        RuntimeError, "[2, 3]", "[3]"),
    bad("cat-dim-range", lambda: dict(a=r(2, 3), b=r(2, 3)), lambda a, b: gg.cat([a, b], 2),
        IndexError, RANGE, "[-2, 1]", "got 2"),
    bad("cat-empty", None, lambda: gg.cat([]), ValueError, "expected a non-empty list"),
    bad("cat-0d", lambda: dict(a=r(), b=r()), lambda a, b: gg.cat([a, b]),
        RuntimeError, "zero-dimensional tensor", "cannot be concatenated"),
    bad("cat-not-tensor", lambda: dict(a=r(2)), lambda a: gg.cat([a, [1.0, 2.0]]),
        TypeError, "element 1", "list"),
    bad("cat-tensor-not-list", lambda: dict(a=r(2, 3)), lambda a: gg.cat(a, 0),
        TypeError, "expected a sequence of Tensors, got a Tensor of shape [2, 3]"),
    bad("stack-tensor-not-list", lambda: dict(a=r(2, 3)), lambda a: gg.stack(a),
        TypeError, "stack([a, b])"),
    bad("stack-sizes", lambda: dict(a=r(2, 3), b=r(3, 2)), lambda a, b: gg.stack([a, b]),
        RuntimeError, "stack expects each tensor to be equal size", "[2, 3]", "[3, 2]"),
    bad("stack-empty", None, lambda: gg.stack([]), RuntimeError, "expected a non-empty list"),
    bad("stack-dim-range", lambda: dict(a=r(2), b=r(2)), lambda a, b: gg.stack([a, b], 3),
        IndexError, RANGE, "[-2, 1]", "got 3"),
    # --- reshape / view / expand / permute ----------------------------------------------------
    bad("reshape-size", lambda: dict(x=r(2, 3)), lambda x: x.reshape(4, 4),
        RuntimeError, "shape '[4, 4]' is invalid for input of size 6"),
    bad("view-size", lambda: dict(x=r(2, 3)), lambda x: x.view(5),
        RuntimeError, "shape '[5]' is invalid for input of size 6"),
    bad("view-two-inferred", lambda: dict(x=r(2, 3)), lambda x: x.view(-1, -1),
        RuntimeError, "only one dimension can be inferred"),
    bad("reshape-negative", lambda: dict(x=r(2, 3)), lambda x: x.reshape(-2, -3),
        RuntimeError, "invalid shape dimension -2"),
    bad("reshape-infer-indivisible", lambda: dict(x=r(2, 3)), lambda x: x.reshape(-1, 4),
        RuntimeError, "shape '[-1, 4]' is invalid for input of size 6"),
    bad("reshape-float-size", lambda: dict(x=r(2, 3)), lambda x: x.reshape(2, 1.5),
        TypeError, "1.5"),
    bad("gg-reshape-size", lambda: dict(x=r(2, 3)), lambda x: gg.reshape(x, (7,)),
        RuntimeError, "invalid for input of size 6"),
    bad("flatten-order", lambda: dict(x=r(2, 3, 4)), lambda x: x.flatten(2, 1),
        RuntimeError, "start_dim cannot come after end_dim"),
    bad("flatten-dim-range", lambda: dict(x=r(2, 3)), lambda x: x.flatten(0, 5),
        IndexError, RANGE, "got 5"),
    bad("expand-size", lambda: dict(x=r(3)), lambda x: x.expand(2, 4),
        RuntimeError, "The expanded size of the tensor [2, 4] is not compatible with the "
        "existing size [3]"),
    bad("expand-fewer-dims", lambda: dict(x=r(2, 3)), lambda x: x.expand(3),
        RuntimeError, "the number of sizes (1) must be at least the tensor's dimensions (2)"),
    bad("expand-leading-minus-one", lambda: dict(x=r(3)), lambda x: x.expand(-1, 3),
        RuntimeError, "-1 isn't allowed in a leading, non-existing dimension 0"),
    bad("broadcast-to-size", lambda: dict(x=r(2, 3)), lambda x: gg.broadcast_to(x, (2, 4)),
        RuntimeError, "expanded size of the tensor [2, 4]", "existing size [2, 3]"),
    bad("permute-count", lambda: dict(x=r(2, 3, 4)), lambda x: x.permute(1, 0),
        RuntimeError, "input.dim() = 3 is not equal to len(dims) = 2"),
    bad("permute-duplicate", lambda: dict(x=r(2, 3, 4)), lambda x: x.permute(0, 0, 1),
        RuntimeError, "duplicate dims"),
    bad("permute-range", lambda: dict(x=r(2, 3)), lambda x: x.permute(0, 2),
        IndexError, RANGE, "got 2"),
    bad("transpose-range", lambda: dict(x=r(2, 3)), lambda x: x.transpose(0, 2),
        IndexError, RANGE, "[-2, 1]", "got 2"),
    bad("t-3d", lambda: dict(x=r(2, 3, 4)), lambda x: x.t(),
        RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    bad("squeeze-range", lambda: dict(x=r(2, 1)), lambda x: x.squeeze(2),
        IndexError, RANGE, "got 2"),
    bad("unsqueeze-range", lambda: dict(x=r(2, 3)), lambda x: x.unsqueeze(3),
        IndexError, RANGE, "[-3, 2]", "got 3"),
    # --- reductions: dims out of range ----------------------------------------------------
    bad("sum-dim", lambda: dict(x=r(2, 3)), lambda x: x.sum(2), IndexError, RANGE,
        "[-2, 1]", "got 2"),
    bad("sum-dims-tuple", lambda: dict(x=r(2, 3)), lambda x: x.sum((0, -3)), IndexError,
        RANGE, "got -3"),
    bad("sum-dim-repeated", lambda: dict(x=r(2, 3)), lambda x: x.sum((1, -1)),
        RuntimeError, "appears multiple times in the list of dims"),
    bad("mean-dim", lambda: dict(x=r(2, 3)), lambda x: x.mean(-3), IndexError, RANGE,
        "got -3"),
    bad("var-dim", lambda: dict(x=r(2, 3)), lambda x: x.var(4), IndexError, RANGE, "got 4"),
    bad("std-dim", lambda: dict(x=r(2, 3)), lambda x: x.std(2), IndexError, RANGE, "got 2"),
    bad("amax-dim", lambda: dict(x=r(2, 3)), lambda x: x.amax(2), IndexError, RANGE,
        "got 2"),
    bad("amin-dim", lambda: dict(x=r(2, 3)), lambda x: gg.amin(x, -3), IndexError, RANGE),
    bad("max-dim", lambda: dict(x=r(2, 3)), lambda x: x.max(5), IndexError, RANGE, "got 5"),
    bad("min-dim", lambda: dict(x=r(2, 3)), lambda x: x.min(dim=-4), IndexError, RANGE),
    bad("argmax-dim", lambda: dict(x=r(2, 3)), lambda x: x.argmax(2), IndexError, RANGE),
    bad("argmin-dim", lambda: dict(x=r(2, 3)), lambda x: gg.argmin(x, 3), IndexError, RANGE),
    bad("logsumexp-dim", lambda: dict(x=r(2, 3)), lambda x: x.logsumexp(2), IndexError,
        RANGE),
    bad("softmax-dim", lambda: dict(x=r(2, 3)), lambda x: x.softmax(2), IndexError, RANGE,
        "got 2"),
    bad("log-softmax-dim", lambda: dict(x=r(2, 3)), lambda x: F.log_softmax(x, -3),
        IndexError, RANGE),
    bad("softmax-module-dim", lambda: dict(m=nn.Softmax(dim=3), x=r(2, 3)), lambda m, x: m(x),
        IndexError, RANGE),
    bad("sum-0d-dim", lambda: dict(x=r()), lambda x: x.sum(1), IndexError, RANGE,
        "[-1, 0]", "got 1"),
    bad("max-empty", lambda: dict(x=c(0, 3)), lambda x: x.max(), RuntimeError,
        "Expected reduction dim to be specified for input.numel() == 0"),
    bad("amax-empty-dim", lambda: dict(x=c(0, 3)), lambda x: x.amax(0), IndexError,
        "amax(): Expected reduction dim 0 to have non-zero size"),
    bad("max-dim-empty", lambda: dict(x=c(3, 0)), lambda x: x.max(1), IndexError,
        "max(): Expected reduction dim 1 to have non-zero size"),
    bad("min-dim-empty", lambda: dict(x=c(0, 2)), lambda x: x.min(0), IndexError,
        "min(): Expected reduction dim 0 to have non-zero size"),
    bad("argmax-empty", lambda: dict(x=c(0)), lambda x: x.argmax(), IndexError,
        "argmax(): Expected reduction dim to be specified for input.numel() == 0"),
    bad("argmin-empty-dim", lambda: dict(x=c(2, 0)), lambda x: x.argmin(1), IndexError,
        "argmin(): Expected reduction dim 1 to have non-zero size"),
    # --- indexing ---------------------------------------------------------------------------
    bad("index-int-range", lambda: dict(x=r(3, 4)), lambda x: x[3], IndexError,
        "index 3 is out of bounds for dimension 0 with size 3"),
    bad("index-negative-range", lambda: dict(x=r(3, 4)), lambda x: x[-4], IndexError,
        "index -4 is out of bounds for dimension 0 with size 3"),
    bad("index-second-dim", lambda: dict(x=r(3, 4)), lambda x: x[0, 7], IndexError,
        "index 7 is out of bounds for dimension 1 with size 4"),
    bad("index-float", lambda: dict(x=r(3, 4)), lambda x: x[1.5], IndexError,
        "only integers, slices", "1.5"),
    bad("index-too-many", lambda: dict(x=r(3, 4)), lambda x: x[0, 0, 0], IndexError,
        "too many indices for tensor of dimension 2", "[3, 4]"),
    bad("index-float-tensor", lambda: dict(x=r(3, 4), i=gg.tensor([0.0, 1.0])),
        lambda x, i: x[i], IndexError, "tensors used as indices must be long, int or bool"),
    bad("index-tensor-range", lambda: dict(x=r(3, 4), i=gg.tensor([0, 5])),
        lambda x, i: x[i], IndexError,
        "index 5 is out of bounds for dimension 0 with size 3"),
    bad("index-list-range", lambda: dict(x=r(3, 4)), lambda x: x[[0, -4]], IndexError,
        "index -4 is out of bounds"),
    bad("index-pairs-shapes", lambda: dict(x=r(3, 4)),
        lambda x: x[gg.tensor([0, 1]), gg.tensor([0, 1, 2])], IndexError,
        "shape mismatch", "(2,) (3,)"),
    bad("index-mask-shape", lambda: dict(x=r(3, 4), m=gg.tensor([True, False])),
        lambda x, m: x[m], IndexError,
        "The shape of the mask [2] at index 0 does not match the shape of the "
        "indexed tensor [3, 4] at index 0"),
    bad("index-0d", lambda: dict(x=r()), lambda x: x[0], IndexError,
        "too many indices for tensor of dimension 0"),
    bad("setitem-range", lambda: dict(x=c(3, 4)), lambda x: x.__setitem__(3, 1.0), IndexError,
        "index 3 is out of bounds for dimension 0 with size 3"),
    bad("setitem-shape", lambda: dict(x=c(3, 4), v=c(5)), lambda x, v: x.__setitem__(0, v),
        RuntimeError,
        "shape mismatch: value tensor of shape [5] cannot be broadcast to indexing result of "
        "shape [4]"),
    bad("setitem-mask-shape", lambda: dict(x=c(3, 4), v=c(2)),
        lambda x, v: x.__setitem__(x > 0, v), RuntimeError, "shape mismatch", "[2]"),
    bad("setitem-str", lambda: dict(x=c(3)), lambda x: x.__setitem__(0, "a"), TypeError,
        "can't assign a str to a tensor"),
    bad("setitem-float-index", lambda: dict(x=c(3, 4)), lambda x: x.__setitem__(0.5, 1.0),
        IndexError, "only integers, slices"),
    bad("setitem-leaf", lambda: dict(w=r(3)), lambda w: w.__setitem__(0, 1.0),
        RuntimeError, LEAF),
    bad("clamp-no-bounds", lambda: dict(x=r(3)), lambda x: x.clamp(), RuntimeError,
        "at least one of 'min' or 'max' must not be None"),
    bad("sum-dim-str", lambda: dict(x=r(2, 3)), lambda x: x.sum(dim="a"), TypeError,
        "dim must be an int or a tuple of ints", "'a'"),
    bad("mean-dim-float", lambda: dict(x=r(2, 3)), lambda x: x.mean(1.0), TypeError,
        "dim must be an int or a tuple of ints, got float"),
    bad("max-dim-tuple", lambda: dict(x=r(2, 3)), lambda x: x.max(dim=(0, 1)), TypeError,
        "max(): dim must be an int", "(0, 1)"),
    bad("stack-dim-float", lambda: dict(a=r(2), b=r(2)), lambda a, b: gg.stack([a, b], 1.5),
        TypeError, "got float: 1.5"),
    bad("softmax-dim-float", lambda: dict(m=nn.Softmax(dim=1.5), x=r(2, 3)), lambda m, x: m(x),
        TypeError, "dim must be an int"),
    bad("softmax-int", lambda: dict(x=gg.tensor([1, 2])), lambda x: x.softmax(0), RuntimeError,
        "softmax(): expected a floating point tensor, got gpugrad.int64"),
    bad("log-softmax-int", lambda: dict(x=gg.tensor([[1, 2]])), lambda x: F.log_softmax(x, 1),
        RuntimeError, "log_softmax(): expected a floating point tensor", "x.float()"),
    bad("var-int", lambda: dict(x=gg.tensor([1, 2])), lambda x: x.var(), RuntimeError,
        "var(): std and var only support floating point", "int64"),
    bad("std-int", lambda: dict(x=gg.tensor([1, 2])), lambda x: gg.std(x, 0), RuntimeError,
        "std(): std and var only support floating point", "int64"),
    bad("mean-int", lambda: dict(x=gg.tensor([1, 2])), lambda x: x.mean(), RuntimeError,
        "mean(): could not infer output dtype", "int64"),
    bad("mean-bool", lambda: dict(x=gg.tensor([True])), lambda x: x.mean(), RuntimeError,
        "Input dtype must be floating point", "bool"),
    # --- conversions ------------------------------------------------------------------------
    bad("item-multi", lambda: dict(x=r(3)), lambda x: x.item(), RuntimeError,
        "a Tensor with 3 elements cannot be converted to Scalar"),
    bad("item-empty", lambda: dict(x=c(0)), lambda x: x.item(), RuntimeError,
        "a Tensor with 0 elements cannot be converted to Scalar"),
    bad("float-multi", lambda: dict(x=r(2)), lambda x: float(x), ValueError,
        "only one element tensors can be converted to Python scalars"),
    bad("int-multi", lambda: dict(x=c(2)), lambda x: int(x), ValueError,
        "only one element tensors can be converted to Python scalars"),
    bad("bool-multi", lambda: dict(x=c(2)), lambda x: bool(x), RuntimeError,
        "Boolean value of Tensor with more than one value is ambiguous"),
    bad("len-0d", lambda: dict(x=r()), lambda x: len(x), TypeError, "len() of a 0-d tensor"),
    bad("iter-0d", lambda: dict(x=r()), lambda x: iter(x), TypeError,
        "iteration over a 0-d tensor"),
    bad("index-float-tensor-as-int", lambda: dict(x=gg.tensor(2.0)), lambda x: range(x),
        TypeError, "only integer tensors of a single element can be converted to an index"),
    # --- dtypes -----------------------------------------------------------------------------
    bad("int-requires-grad", None, lambda: gg.tensor([1, 2], requires_grad=True),
        RuntimeError, "Only Tensors of floating point", "int64"),
    bad("int-zeros-requires-grad", None,
        lambda: gg.zeros(3, dtype=gg.int32, requires_grad=True), RuntimeError,
        "floating point", "int32"),
    bad("arange-requires-grad", None, lambda: gg.arange(3, requires_grad=True), RuntimeError,
        "floating point", "int64"),
    bad("int-requires-grad-flag", lambda: dict(i=gg.tensor([1, 2])),
        lambda i: i.requires_grad_(), RuntimeError, "floating point", "int64"),
    bad("bool-requires-grad-attr", lambda: dict(m=gg.tensor([True, False])),
        lambda m: setattr(m, "requires_grad", True), RuntimeError, "floating point", "bool"),
    bad("int-iadd-float", lambda: dict(i=gg.tensor([1, 2])), lambda i: i.add_(1.5),
        RuntimeError, "result type Float can't be cast to the desired output type Long"),
    bad("int-idiv", lambda: dict(i=gg.tensor([1, 2])), lambda i: i.div_(2), RuntimeError,
        "can't be cast to the desired output type Long"),
    bad("int-iadd-float-tensor", lambda: dict(i=gg.tensor([1, 2]), f=r(2)),
        lambda i, f: i.add_(f), RuntimeError, "can't be cast"),
    bad("tensor-overflow", None, lambda: gg.tensor(2**40, dtype=gg.int32), RuntimeError,
        "value cannot be converted to type", "without overflow"),
    bad("tensor-str", None, lambda: gg.tensor("abc"), TypeError,
        "only numbers and booleans"),
    bad("tensor-ragged", None, lambda: gg.tensor([[1.0, 2.0], [3.0]]), ValueError,
        "sequence"),
    bad("tensor-of-tensors", lambda: dict(a=r(2), b=r(2)), lambda a, b: gg.tensor([a, b]),
        ValueError, "only one element tensors can be converted to Python scalars"),
    bad("cross-entropy-float-target", lambda: dict(x=r(3, 4), t=gg.tensor([0.0, 1.0, 2.0])),
        lambda x, t: F.cross_entropy(x, t), RuntimeError,
        "target must hold class indices (an integer tensor)", "float32"),
    bad("cross-entropy-target-range", lambda: dict(x=r(3, 4), t=gg.tensor([0, 4, 1])),
        lambda x, t: F.cross_entropy(x, t), IndexError, "Target 4 is out of bounds"),
    bad("cross-entropy-target-negative", lambda: dict(x=r(3, 4), t=gg.tensor([0, -2, 1])),
        lambda x, t: F.cross_entropy(x, t), IndexError, "Target -2 is out of bounds"),
    bad("cross-entropy-batch", lambda: dict(x=r(3, 4), t=gg.tensor([0, 1])),
        lambda x, t: F.cross_entropy(x, t), ValueError,
        "cross_entropy: expected target of shape [3] for input of shape [3, 4], got [2]"),
    bad("cross-entropy-module-target", lambda: dict(m=nn.CrossEntropyLoss(), x=r(2, 3),
                                                    t=gg.tensor([3, 0])),
        lambda m, x, t: m(x, t), IndexError, "Target 3 is out of bounds"),
    bad("nll-float-target", lambda: dict(x=r(3, 4), t=gg.tensor([0.0, 1.0, 2.0])),
        lambda x, t: F.nll_loss(x, t), RuntimeError, "class indices"),
    bad("nll-batch", lambda: dict(x=r(3, 4), t=gg.tensor([0, 1, 2, 3])),
        lambda x, t: F.nll_loss(x, t), ValueError,
        "nll_loss: expected target of shape [3]", "got [4]"),
    bad("embedding-float-index", lambda: dict(m=nn.Embedding(5, 2), i=gg.tensor([0.0, 1.0])),
        lambda m, i: m(i), RuntimeError, "indices must be an integer tensor (Long, Int)",
        "float32"),
    bad("embedding-index-range", lambda: dict(m=nn.Embedding(5, 2), i=gg.tensor([0, 5])),
        lambda m, i: m(i), IndexError, "index 5 is out of range for 5 embeddings"),
    bad("embedding-fn-range", lambda: dict(w=r(5, 2), i=gg.tensor([[1, -6]])),
        lambda w, i: F.embedding(i, w), IndexError, "index -6 is out of range"),
    bad("grad-assign-shape", lambda: dict(x=with_grad(3)),
        lambda x: setattr(x, "grad", gg.zeros(4)), RuntimeError,
        "assigned grad has data of a different size"),
    bad("grad-assign-dtype", lambda: dict(x=with_grad(3)),
        lambda x: setattr(x, "grad", gg.zeros(3, dtype=gg.float64)), RuntimeError,
        "assigned grad has dtype gpugrad.float64, but the tensor has gpugrad.float32"),
    bad("grad-assign-type", lambda: dict(x=with_grad(3)),
        lambda x: setattr(x, "grad", [0.0, 0.0, 0.0]), TypeError, "list"),
    bad("fill-multi-element", lambda: dict(x=c(2), v=c(2)), lambda x, v: x.fill_(v),
        RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"),
    bad("uniform-bounds", lambda: dict(x=c(3)), lambda x: x.uniform_(1.0, 0.0), RuntimeError,
        "uniform_ expects to return a [from, to) range, but found from=1.0 > to=0.0"),
    bad("normal-std", lambda: dict(x=c(3)), lambda x: x.normal_(std=-1.0), RuntimeError,
        "normal expects std >= 0.0, but found std -1.0"),
    bad("init-uniform-bounds", lambda: dict(m=lin()), lambda m: nn.init.uniform_(m.weight, 1, 0),
        RuntimeError, "from=1 > to=0"),
    bad("init-normal-std", lambda: dict(m=lin()), lambda m: nn.init.normal_(m.bias, 0.0, -0.5),
        RuntimeError, "normal expects std >= 0.0, but found std -0.5"),
    bad("init-kaiming-1d", lambda: dict(m=lin()), lambda m: nn.init.kaiming_uniform_(m.bias),
        ValueError, "Fan in and fan out can not be computed for tensor with fewer than 2 "
        "dimensions"),
    bad("init-xavier-1d", lambda: dict(m=lin()), lambda m: nn.init.xavier_normal_(m.bias),
        ValueError, "fewer than 2 dimensions"),
    bad("init-gain", None, lambda: nn.init.calculate_gain("swish"), ValueError,
        "Unsupported nonlinearity swish"),
    # --- autograd ---------------------------------------------------------------------------
    bad("backward-twice", lambda: (lambda x: dict(x=x, y=_backed(x)))(r(3)),
        lambda x, y: y.backward(), RuntimeError, FREED, "retain_graph=True"),
    bad("backward-non-scalar", lambda: dict(x=r(3)), lambda x: (x * 2).backward(),
        RuntimeError, "grad can be implicitly created only for scalar outputs", "[3]"),
    bad("backward-no-grad", lambda: dict(x=c(3)), lambda x: x.sum().backward(), RuntimeError,
        "element 0 of tensors does not require grad and does not have a grad_fn"),
    bad("backward-gradient-shape", lambda: dict(x=with_grad(3)),
        lambda x: (x * 2).backward(gg.ones(4)), RuntimeError, "Mismatch in shape",
        "[4]", "[3]"),
    bad("backward-gradient-type", lambda: dict(x=with_grad(3)),
        lambda x: (x * 2).sum().backward("1"), TypeError,
        "gradients can be either Tensors or None, but got str"),
    bad("backward-saved-output-modified", lambda: _exp_modified(), lambda x, y: y.sum().backward(),
        RuntimeError, INPLACE, "version 1; expected version 0"),
    bad("backward-saved-leaf-modified", lambda: _leaf_modified(),
        lambda w, loss: loss.backward(), RuntimeError, INPLACE),
    bad("backward-after-step", lambda: _step_between(), lambda m, opt, loss: loss.backward(),
        RuntimeError, INPLACE),
    bad("backward-saved-setitem", lambda: _setitem_between(), lambda x, a, loss: loss.backward(),
        RuntimeError, INPLACE),
    bad("inplace-leaf-add", lambda: dict(w=r(3)), lambda w: w.add_(1.0), RuntimeError, LEAF),
    bad("inplace-leaf-iadd", lambda: dict(w=with_grad(3)), lambda w: w.__iadd__(1.0),
        RuntimeError, LEAF),
    bad("inplace-leaf-sub", lambda: dict(w=r(3), v=c(3)), lambda w, v: w.sub_(v),
        RuntimeError, LEAF),
    bad("inplace-leaf-mul", lambda: dict(w=r(3)), lambda w: w.mul_(2.0), RuntimeError, LEAF),
    bad("inplace-leaf-div", lambda: dict(w=r(3)), lambda w: w.div_(2.0), RuntimeError, LEAF),
    bad("inplace-leaf-zero", lambda: dict(w=with_grad(3)), lambda w: w.zero_(),
        RuntimeError, LEAF),
    bad("inplace-leaf-fill", lambda: dict(w=r(3)), lambda w: w.fill_(1.0), RuntimeError, LEAF),
    bad("inplace-leaf-copy", lambda: dict(w=r(3), v=c(3)), lambda w, v: w.copy_(v),
        RuntimeError, LEAF),
    bad("inplace-leaf-clamp", lambda: dict(w=r(3)), lambda w: w.clamp_(0.0, 1.0),
        RuntimeError, LEAF),
    bad("inplace-leaf-uniform", lambda: dict(w=r(3)), lambda w: w.uniform_(), RuntimeError,
        LEAF),
    bad("inplace-leaf-normal", lambda: dict(w=r(3)), lambda w: w.normal_(), RuntimeError,
        LEAF),
    bad("inplace-parameter", lambda: dict(m=lin()), lambda m: m.weight.mul_(0.5),
        RuntimeError, LEAF),
    bad("requires-grad-non-leaf", lambda: dict(x=r(3)),
        lambda x: setattr(x * 2, "requires_grad", False), RuntimeError,
        "you can only change requires_grad flags of leaf variables"),
    bad("requires-grad-non-leaf-method", lambda: dict(x=r(3)),
        lambda x: (x * 2).requires_grad_(False), RuntimeError, "leaf variables",
        "detach()"),
    bad("retain-grad-no-grad", lambda: dict(x=c(3)), lambda x: x.retain_grad(), RuntimeError,
        "can't retain_grad on Tensor that has requires_grad=False"),
    # --- optimizer hyperparameters and parameters ---------------------------------------------
    bad("sgd-lr-negative", lambda: dict(m=lin()), lambda m: optim.SGD(m.parameters(), lr=-0.1),
        ValueError, "Invalid learning rate: -0.1"),
    # PyTorch accepts lr=nan silently (nan < 0 is False); gpugrad refuses it.
    bad("sgd-lr-nan", lambda: dict(m=lin()), lambda m: optim.SGD(m.parameters(), lr=math.nan),
        ValueError, "Invalid learning rate: nan"),
    bad("sgd-momentum-negative", lambda: dict(m=lin()),
        lambda m: optim.SGD(m.parameters(), lr=0.1, momentum=-0.5), ValueError,
        "Invalid momentum value: -0.5"),
    bad("sgd-weight-decay-negative", lambda: dict(m=lin()),
        lambda m: optim.SGD(m.parameters(), lr=0.1, weight_decay=-1e-4), ValueError,
        "Invalid weight_decay value: -0.0001"),
    bad("sgd-nesterov-no-momentum", lambda: dict(m=lin()),
        lambda m: optim.SGD(m.parameters(), lr=0.1, nesterov=True), ValueError,
        "Nesterov momentum requires a momentum and zero dampening"),
    bad("sgd-lr-str", lambda: dict(m=lin()), lambda m: optim.SGD(m.parameters(), lr="0.1"),
        TypeError, "str"),
    bad("adam-lr-negative", lambda: dict(m=lin()), lambda m: optim.Adam(m.parameters(), lr=-1.0),
        ValueError, "Invalid learning rate: -1.0"),
    bad("adam-beta1", lambda: dict(m=lin()),
        lambda m: optim.Adam(m.parameters(), betas=(1.0, 0.999)), ValueError,
        "Invalid beta parameter at index 0: 1.0"),
    bad("adam-beta2", lambda: dict(m=lin()),
        lambda m: optim.Adam(m.parameters(), betas=(0.9, -0.1)), ValueError,
        "Invalid beta parameter at index 1: -0.1"),
    bad("adam-beta-nan", lambda: dict(m=lin()),
        lambda m: optim.Adam(m.parameters(), betas=(math.nan, 0.999)), ValueError,
        "Invalid beta parameter at index 0: nan"),
    bad("adam-eps", lambda: dict(m=lin()), lambda m: optim.Adam(m.parameters(), eps=-1e-8),
        ValueError, "Invalid epsilon value: -1e-08"),
    bad("adamw-weight-decay", lambda: dict(m=lin()),
        lambda m: optim.AdamW(m.parameters(), weight_decay=-0.01), ValueError,
        "Invalid weight_decay value: -0.01"),
    bad("rmsprop-alpha", lambda: dict(m=lin()), lambda m: optim.RMSprop(m.parameters(), alpha=-1),
        ValueError, "Invalid alpha value: -1"),
    bad("rmsprop-momentum", lambda: dict(m=lin()),
        lambda m: optim.RMSprop(m.parameters(), momentum=-0.1), ValueError,
        "Invalid momentum value: -0.1"),
    bad("rmsprop-eps", lambda: dict(m=lin()), lambda m: optim.RMSprop(m.parameters(), eps=-1.0),
        ValueError, "Invalid epsilon value: -1.0"),
    bad("adagrad-lr-decay", lambda: dict(m=lin()),
        lambda m: optim.Adagrad(m.parameters(), lr_decay=-0.1), ValueError,
        "Invalid lr_decay value: -0.1"),
    bad("adagrad-initial-accumulator", lambda: dict(m=lin()),
        lambda m: optim.Adagrad(m.parameters(), initial_accumulator_value=-1.0), ValueError,
        "Invalid initial_accumulator_value value: -1.0"),
    bad("optim-non-leaf", lambda: dict(x=r(3)), lambda x: optim.SGD([x * 2], lr=0.1),
        ValueError, "can't optimize a non-leaf Tensor"),
    bad("optim-not-tensor", None, lambda: optim.SGD([1.0, 2.0], lr=0.1), TypeError,
        "optimizer can only optimize Tensors", "float"),
    bad("optim-single-tensor", lambda: dict(x=r(3)), lambda x: optim.Adam(x), TypeError,
        "should be an iterable of Tensors or dicts"),
    bad("optim-empty", None, lambda: optim.SGD([], lr=0.1), ValueError,
        "optimizer got an empty parameter list"),
    bad("optim-set-params", lambda: dict(x=r(3)), lambda x: optim.SGD([{"params": {x}}]),
        TypeError, "ordered collections"),
    bad("optim-same-param-two-groups", lambda: dict(x=r(3)),
        lambda x: optim.SGD([{"params": [x]}, {"params": [x]}], lr=0.1), ValueError,
        "some parameters appear in more than one parameter group"),
    # PyTorch checks only the constructor's defaults; gpugrad checks every group's options.
    bad("optim-group-lr", lambda: dict(x=r(3), y=r(2)),
        lambda x, y: optim.SGD([{"params": [x]}, {"params": [y], "lr": -1.0}], lr=0.1),
        ValueError, "Invalid learning rate: -1.0"),
    # PyTorch validates only the constructor's defaults: add_param_group takes lr=-0.5.
    bad("add-param-group-bad-lr", lambda: dict(**sgd_stepped(), x=r(2)),
        lambda m, opt, x: opt.add_param_group({"params": [x], "lr": -0.5}), ValueError,
        "Invalid learning rate: -0.5"),
    bad("add-param-group-duplicate", lambda: sgd_stepped(),
        lambda m, opt: opt.add_param_group({"params": [m.weight]}), ValueError,
        "some parameters appear in more than one parameter group"),
    # PyTorch: KeyError 'params' (a lookup failing), gpugrad: ValueError naming the entry.
    bad("add-param-group-no-params", lambda: sgd_stepped(),
        lambda m, opt: opt.add_param_group({"lr": 0.1}), ValueError,
        "param_group must have a 'params' entry"),
    bad("optim-load-groups", lambda: sgd_stepped(),
        lambda m, opt: opt.load_state_dict({"state": {}, "param_groups": []}), ValueError,
        "loaded state dict has a different number of parameter groups"),
    bad("optim-load-group-size", lambda: sgd_stepped(),
        lambda m, opt: opt.load_state_dict({"state": {}, "param_groups": [
            {**opt.state_dict()["param_groups"][0], "params": [0]}]}), ValueError,
        "doesn't match the size of optimizer's group"),
    # PyTorch's load_state_dict accepts a negative lr (checked only at construction).
    bad("optim-load-bad-lr", lambda: sgd_stepped(),
        lambda m, opt: opt.load_state_dict({**opt.state_dict(), "param_groups": [
            {**opt.state_dict()["param_groups"][0], "lr": -1.0}]}), ValueError,
        "Invalid learning rate: -1.0"),
    # PyTorch: IndexError (tuple index out of range).
    bad("adam-betas-single", lambda: dict(m=lin()),
        lambda m: optim.Adam(m.parameters(), betas=(0.9,)), ValueError,
        "Invalid betas: expected a pair (beta1, beta2), got (0.9,)"),
    # PyTorch checks hyperparameters only at construction; gpugrad at every step, too.
    bad("step-after-bad-lr", lambda: _with_lr(sgd_stepped(), -1.0),
        lambda m, opt: opt.step(), ValueError, "Invalid learning rate: -1.0"),
    bad("step-second-param-replaced", lambda: _replace_bias(sgd_stepped()),
        lambda m, opt: opt.step(), RuntimeError, "a parameter of shape [5]",
        "gradient of shape [2]"),
    bad("adam-step-state-replaced", lambda: _replace_bias(_adam_stepped(), grad=True),
        lambda m, opt: opt.step(), RuntimeError, "optimizer state", "[2]", "[5]"),
    # PyTorch does not check state shapes when loading (a later step fails).
    bad("optim-load-state-shape", lambda: sgd_stepped(),
        lambda m, opt: opt.load_state_dict(_momentum_of_shape(opt, (7,))), ValueError,
        "state 'momentum_buffer' of parameter 0 has shape [7], expected [2, 3]"),
    bad("optim-load-not-dict", lambda: sgd_stepped(), lambda m, opt: opt.load_state_dict([]),
        ValueError, "'state' and 'param_groups'"),
    # --- Module.load_state_dict ------------------------------------------------------------
    bad("state-missing", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({"weight": gg.zeros(2, 3)}), RuntimeError,
        "Error(s) in loading state_dict for Linear", 'Missing key(s) in state_dict: "bias"'),
    bad("state-unexpected", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({**_zeros_like_state(m), "extra": gg.zeros(1)}),
        RuntimeError, 'Unexpected key(s) in state_dict: "extra"'),
    bad("state-shape", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({"weight": gg.zeros(3, 2), "bias": gg.zeros(2)}),
        RuntimeError, "size mismatch for weight", "[3, 2]", "[2, 3]"),
    bad("state-shape-not-strict", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({"weight": gg.zeros(2, 3), "bias": gg.zeros(5)},
                                    strict=False),
        RuntimeError, "size mismatch for bias", "[5]", "[2]"),
    bad("state-shape-and-missing-not-strict", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({"weight": gg.zeros(4, 4)}, strict=False),
        RuntimeError, "size mismatch for weight"),
    bad("state-missing-nested", lambda: dict(m=nn.Sequential(lin(), nn.ReLU(), lin(2, 1))),
        lambda m: m.load_state_dict({k: v for k, v in _zeros_like_state(m).items()
                                     if k != "2.bias"}),
        RuntimeError, "Sequential", '"2.bias"'),
    bad("state-buffer-shape", lambda: dict(m=nn.BatchNorm1d(3)),
        lambda m: m.load_state_dict({**_zeros_like_state(m), "running_mean": gg.zeros(4)}),
        RuntimeError, "size mismatch for running_mean", "[4]", "[3]"),
    bad("state-not-tensor", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({"weight": 1.0, "bias": gg.zeros(2)}), RuntimeError,
        "size mismatch for weight", "shape []"),
    bad("state-not-mapping", lambda: dict(m=lin()), lambda m: m.load_state_dict([1, 2]),
        TypeError, "Expected state_dict to be dict-like", "list"),
    bad("state-missing-and-unexpected", lambda: dict(m=lin()),
        lambda m: m.load_state_dict({"weight": gg.zeros(2, 3), "bais": gg.zeros(2)}),
        RuntimeError, '"bias"', '"bais"'),
    # --- save / load ------------------------------------------------------------------------
    # PyTorch: RuntimeError "Parent directory ... does not exist"; gpugrad raises the OSError.
    bad("save-missing-dir", lambda tmp: dict(path=tmp / "no" / "x.ckpt", parent=tmp / "no"),
        lambda path, parent: gg.save({"a": gg.ones(2)}, path), FileNotFoundError,
        "save: the directory", "does not exist"),
    # PyTorch pickles what it saves (and so saves modules, cycles and any key); gpugrad's
    # checkpoints hold no pickle: these raise and leave the file system as it was.
    bad("save-to-directory", lambda tmp: dict(path=tmp),
        lambda path: gg.save({"a": gg.ones(2)}, path), IsADirectoryError, "is a directory"),
    bad("save-lambda", lambda tmp: dict(path=tmp / "x.ckpt"),
        lambda path: gg.save({"fn": lambda: 0}, path), TypeError, "function"),
    bad("save-lambda-keeps-old-file", saved_file,
        lambda path: gg.save({"fn": lambda: 0}, path), TypeError, "function"),
    bad("save-self-reference", lambda tmp: dict(path=tmp / "x.ckpt"),
        lambda path: gg.save(_cycle(), path), ValueError, "contains itself"),
    bad("save-tensor-key", lambda tmp: dict(path=tmp / "x.ckpt"),
        lambda path: gg.save({gg.ones(1): 1}, path), TypeError, "key of type Tensor"),
    bad("save-object-array", saved_file,
        lambda path: gg.save({"a": np.array([object()])}, path), TypeError, "object"),
    bad("save-module", lambda tmp: dict(path=tmp / "x.ckpt", m=lin()),
        lambda path, m: gg.save(m, path), TypeError, "Linear", "pickle"),
    bad("load-missing", lambda tmp: dict(path=tmp / "missing.ckpt"), lambda path: gg.load(path),
        FileNotFoundError, "missing.ckpt"),
    bad("load-directory", lambda tmp: dict(path=tmp), lambda path: gg.load(path),
        IsADirectoryError, ""),
    # PyTorch raises UnpicklingError / EOFError; gpugrad's CheckpointError is a RuntimeError
    # (and a ValueError) naming the file.
    bad("load-random-bytes", lambda tmp: dict(path=write(tmp / "bad.ckpt", os.urandom(64))),
        lambda path: gg.load(path), RuntimeError, "bad.ckpt", "not a readable gpugrad checkpoint"),
    bad("load-empty-file", lambda tmp: dict(path=write(tmp / "empty.ckpt", b"")),
        lambda path: gg.load(path), RuntimeError, "empty.ckpt"),
    bad("load-truncated", lambda tmp: dict(path=write(
        tmp / "cut.ckpt", _checkpoint_bytes(tmp)[:-40])),
        lambda path: gg.load(path), RuntimeError, "cut.ckpt", "checkpoint"),
    bad("load-foreign-zip", lambda tmp: dict(path=zip_file(tmp / "other.zip", {"a.txt": b"x"})),
        lambda path: gg.load(path), RuntimeError, "not a gpugrad checkpoint"),
    bad("load-map-location-type", saved_file, lambda path: gg.load(path, map_location=3),
        TypeError, "map_location"),
    bad("load-map-location-device", saved_file, lambda path: gg.load(path, map_location="tpu"),
        RuntimeError, "unknown device type 'tpu'"),
    # --- DataLoader, datasets and samplers ---------------------------------------------------
    bad("loader-batch-size-0", None, lambda: data.DataLoader(range(4), batch_size=0),
        ValueError, "batch_size should be a positive integer value, but got batch_size=0"),
    bad("loader-batch-size-negative", None, lambda: data.DataLoader(range(4), batch_size=-2),
        ValueError, "batch_size=-2"),
    bad("loader-batch-size-float", None, lambda: data.DataLoader(range(4), batch_size=1.5),
        ValueError, "batch_size=1.5"),
    bad("loader-sampler-shuffle", None,
        lambda: data.DataLoader(range(4), sampler=data.SequentialSampler(range(4)),
                                shuffle=True),
        ValueError, "sampler option is mutually exclusive with shuffle"),
    bad("loader-batch-sampler-batch-size", None,
        lambda: data.DataLoader(range(4), batch_size=2, batch_sampler=data.BatchSampler(
            data.SequentialSampler(range(4)), 2, False)),
        ValueError, "batch_sampler option is mutually exclusive with batch_size"),
    bad("loader-batch-sampler-shuffle", None,
        lambda: data.DataLoader(range(4), shuffle=True, batch_sampler=data.BatchSampler(
            data.SequentialSampler(range(4)), 2, False)),
        ValueError, "mutually exclusive"),
    bad("loader-num-workers", None, lambda: data.DataLoader(range(4), num_workers=-1),
        ValueError, "num_workers option should be non-negative"),
    bad("loader-timeout", None, lambda: data.DataLoader(range(4), timeout=-1), ValueError,
        "timeout option should be non-negative"),
    bad("loader-prefetch-no-workers", None,
        lambda: data.DataLoader(range(4), prefetch_factor=2), ValueError,
        "prefetch_factor option could only be specified in multiprocessing"),
    bad("loader-persistent-no-workers", None,
        lambda: data.DataLoader(range(4), persistent_workers=True), ValueError,
        "persistent_workers option needs num_workers > 0"),
    bad("loader-iterable-shuffle", None, lambda: data.DataLoader(Stream(), shuffle=True),
        ValueError, "IterableDataset", "shuffle"),
    bad("loader-iterable-sampler", None,
        lambda: data.DataLoader(Stream(), sampler=data.SequentialSampler(range(3))),
        ValueError, "IterableDataset", "sampler"),
    bad("loader-no-batch-drop-last", None,
        lambda: data.DataLoader(range(4), batch_size=None, drop_last=True), ValueError,
        "batch_size=None option disables auto-batching and is mutually exclusive with "
        "drop_last"),
    bad("loader-set-batch-size", lambda: dict(dl=data.DataLoader(range(4), batch_size=2)),
        lambda dl: setattr(dl, "batch_size", 3), ValueError,
        "batch_size attribute should not be set after DataLoader is initialized"),
    bad("loader-mp-context", None,
        lambda: data.DataLoader(range(4), num_workers=1, multiprocessing_context="bogus"),
        ValueError, "multiprocessing_context", "bogus"),
    bad("loader-ragged-batch", None, lambda: next(iter(data.DataLoader(Ragged(), batch_size=2))),
        RuntimeError, "stack expects each tensor to be equal size"),
    # PyTorch asserts (AssertionError) here and in Embedding and Hardtanh; gpugrad raises
    # ValueError.
    bad("tensor-dataset-sizes", lambda: dict(a=c(3, 2), b=c(4)),
        lambda a, b: data.TensorDataset(a, b), ValueError, "Size mismatch between tensors"),
    bad("random-split-lengths", None, lambda: data.random_split(range(5), [2, 2]), ValueError,
        "Sum of input lengths does not equal the length of the input dataset"),
    bad("random-sampler-num-samples", None,
        lambda: data.RandomSampler(range(4), num_samples=0), ValueError,
        "num_samples should be a positive integer value, but got num_samples=0"),
    bad("batch-sampler-size", None,
        lambda: data.BatchSampler(data.SequentialSampler(range(4)), 0, False), ValueError,
        "batch_size should be a positive integer value, but got batch_size=0"),
    bad("batch-sampler-drop-last", None,
        lambda: data.BatchSampler(data.SequentialSampler(range(4)), 2, "yes"), ValueError,
        "drop_last should be a boolean value"),
    # PyTorch raises only when sampling; gpugrad at construction.
    bad("weighted-sampler-negative", None,
        lambda: data.WeightedRandomSampler([0.5, -1.0], 2), RuntimeError, "negative"),
    bad("weighted-sampler-num-samples", None,
        lambda: data.WeightedRandomSampler([0.5, 1.0], 0), ValueError,
        "num_samples should be a positive integer value, but got num_samples=0"),
    bad("subset-index-range", None, lambda: data.Subset(range(3), [0, 5])[1], IndexError,
        "range"),
    # --- nn modules: construction and forward ------------------------------------------------
    bad("linear-negative", None, lambda: nn.Linear(0, -1), RuntimeError,
        "Trying to create tensor with negative dimension -1: [-1, 0]"),
    bad("linear-float-features", None, lambda: nn.Linear(2.5, 3), TypeError, "2.5"),
    bad("embedding-negative", None, lambda: nn.Embedding(-1, 3), RuntimeError,
        "negative dimension -1: [-1, 3]"),
    # PyTorch asserts (AssertionError); gpugrad raises ValueError.
    bad("embedding-padding-idx", None, lambda: nn.Embedding(10, 3, padding_idx=10), ValueError,
        "padding_idx must be within num_embeddings"),
    bad("embedding-pretrained-1d", lambda: dict(w=c(4)), lambda w: nn.Embedding.from_pretrained(w),
        ValueError, "Embeddings parameter is expected to be 2-dimensional"),
    bad("dropout-p-high", None, lambda: nn.Dropout(p=1.5), ValueError,
        "dropout probability has to be between 0 and 1, but got 1.5"),
    bad("dropout-p-negative", None, lambda: nn.Dropout(-0.1), ValueError, "got -0.1"),
    bad("dropout-fn-p", lambda: dict(x=r(3)), lambda x: F.dropout(x, p=2.0), ValueError,
        "dropout probability has to be between 0 and 1, but got 2.0"),
    # PyTorch checks these arguments at call time (GELU, PReLU, losses), gelu's approximate
    # with RuntimeError; gpugrad checks them at construction, with ValueError.
    bad("gelu-approximate", None, lambda: nn.GELU(approximate="fast"), ValueError, "'fast'"),
    bad("gelu-fn-approximate", lambda: dict(x=r(3)), lambda x: F.gelu(x, approximate="fast"),
        ValueError, "fast"),
    bad("hardtanh-bounds", None, lambda: nn.Hardtanh(2.0, 1.0), ValueError,
        "min_val cannot be greater than max_val"),
    bad("prelu-zero", None, lambda: nn.PReLU(num_parameters=0), ValueError, "num_parameters"),
    bad("mlp-activation", None, lambda: nn.MLP(3, [2], activation="swish"), ValueError,
        "activation must be one of", "swish"),
    bad("loss-reduction", None, lambda: nn.MSELoss(reduction="avg"), ValueError,
        "'avg' is not a valid value for reduction"),
    bad("loss-fn-reduction", lambda: dict(a=r(3), b=c(3)),
        lambda a, b: F.mse_loss(a, b, reduction="avg"), ValueError,
        "'avg' is not a valid value for reduction"),
    bad("cross-entropy-smoothing", None, lambda: nn.CrossEntropyLoss(label_smoothing=1.5),
        ValueError, "label_smoothing", "1.5"),
    bad("smooth-l1-beta", None, lambda: nn.SmoothL1Loss(beta=-1.0), ValueError,
        "smooth_l1_loss does not support negative values for beta"),
    bad("huber-delta", None, lambda: nn.HuberLoss(delta=0.0), ValueError,
        "huber_loss does not support non-positive values for delta"),
    bad("loss-weight-type", None, lambda: nn.CrossEntropyLoss(weight=[1.0, 2.0]), TypeError,
        "weight", "list"),
    # PyTorch warns of the different target size, then the arithmetic fails to broadcast.
    bad("mse-shapes", lambda: dict(a=r(2, 3), b=c(2, 4)), lambda a, b: F.mse_loss(a, b),
        RuntimeError, "The size of tensor a (3) must match the size of tensor b (4)"),
    bad("l1-shapes", lambda: dict(a=r(2, 3), b=c(2, 4)), lambda a, b: F.l1_loss(a, b),
        RuntimeError, "must match the size of tensor b (4) at non-singleton dimension 1"),
    bad("mse-module-shapes", lambda: dict(m=nn.MSELoss(), a=r(4), b=c(5)), lambda m, a, b: m(a, b),
        RuntimeError, "The size of tensor a (4) must match the size of tensor b (5)"),
    bad("bce-shapes", lambda: dict(a=gg.rand(3, requires_grad=True), b=gg.rand(2)),
        lambda a, b: F.binary_cross_entropy(a, b), ValueError,
        "Using a target size", "[2]", "[3]"),
    bad("bce-logits-shapes", lambda: dict(a=r(3), b=gg.rand(2)),
        lambda a, b: F.binary_cross_entropy_with_logits(a, b), ValueError,
        "Target size", "[2]", "[3]"),
    bad("bce-range", lambda: dict(a=gg.tensor([0.5, 1.5], requires_grad=True), b=gg.rand(2)),
        lambda a, b: F.binary_cross_entropy(a, b), RuntimeError,
        "all elements of input should be between 0 and 1"),
    bad("layer-norm-shape", lambda: dict(m=nn.LayerNorm(4), x=r(2, 3)), lambda m, x: m(x),
        RuntimeError, "Given normalized_shape=[4], expected input with shape [*, 4], but got "
        "input of size [2, 3]"),
    bad("layer-norm-fn-weight", lambda: dict(x=r(2, 3), w=r(4)),
        lambda x, w: F.layer_norm(x, (3,), w), RuntimeError,
        "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] "
        "and normalized_shape = [3]"),
    bad("layer-norm-fn-bias", lambda: dict(x=r(2, 3), b=r(3, 1)),
        lambda x, b: F.layer_norm(x, (3,), None, b), RuntimeError, "bias of shape [3, 1]"),
    bad("batch-norm-channels", lambda: dict(m=nn.BatchNorm1d(3), x=r(4, 5)), lambda m, x: m(x),
        RuntimeError, "BatchNorm1d(3) got an input with 5 channels (shape [4, 5])"),
    bad("batch-norm-ndim", lambda: dict(m=nn.BatchNorm1d(3), x=r(2, 3, 4, 5)),
        lambda m, x: m(x), ValueError, "expected 2D or 3D input (got 4D input)"),
    bad("batch-norm-one-value", lambda: dict(m=nn.BatchNorm1d(3), x=r(1, 3)), lambda m, x: m(x),
        ValueError, "Expected more than 1 value per channel when training", "[1, 3]"),
    bad("batch-norm-fn-weight", lambda: dict(x=r(4, 3), w=r(2)),
        lambda x, w: F.batch_norm(x, None, None, w, training=True), RuntimeError,
        "weight should contain 3 elements not 2"),
    bad("sequential-index", lambda: dict(m=nn.Sequential(nn.ReLU(), nn.Tanh())),
        lambda m: m[5], IndexError, "index 5 is out of range for a Sequential of length 2"),
    bad("module-list-index", lambda: dict(m=nn.ModuleList([nn.ReLU()])), lambda m: m[-3],
        IndexError, "index -3 is out of range"),
    bad("add-module-dot", lambda: dict(m=nn.Sequential()),
        lambda m: m.add_module("a.b", nn.ReLU()), KeyError, 'contain "."', "a.b"),
    bad("add-module-not-module", lambda: dict(m=nn.Sequential()),
        lambda m: m.add_module("a", 3), TypeError, "int is not a Module subclass"),
    bad("register-parameter-tensor", lambda: dict(m=nn.Module()),
        lambda m: m.register_parameter("w", gg.ones(2)), TypeError,
        "cannot assign", "parameter 'w'", "(gpugrad.nn.Parameter or None required)"),
    bad("register-buffer-bad", lambda: dict(m=nn.Module()),
        lambda m: m.register_buffer("b", [1.0]), TypeError, "cannot assign", "buffer 'b'"),
    bad("module-assign-tensor-over-parameter", lambda: dict(m=lin()),
        lambda m: setattr(m, "weight", gg.zeros(2, 3)), TypeError, "cannot assign",
        "parameter 'weight'"),
    bad("module-to-int", lambda: dict(m=lin()), lambda m: m.to(gg.int64), TypeError,
        "nn.Module.to only accepts floating point dtypes", "int64"),
    bad("module-train-str", lambda: dict(m=lin()), lambda m: m.train("yes"), ValueError,
        "training mode is expected to be boolean"),
    bad("module-get-submodule", lambda: dict(m=lin()), lambda m: m.get_submodule("x"),
        AttributeError, "Linear has no attribute `x`"),
    bad("module-dict-dot", None, lambda: nn.ModuleDict({"a.b": nn.ReLU()}), KeyError,
        'contain "."', "a.b"),
    bad("module-list-not-module", None, lambda: nn.ModuleList([3]), TypeError,
        "int is not a Module subclass"),
    bad("sequential-not-module", None, lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError,
        "str is not a Module subclass"),
    bad("sequential-float-index", lambda: dict(m=nn.Sequential(nn.ReLU())), lambda m: m[1.5],
        TypeError, "'float' object cannot be interpreted as an integer"),
    bad("module-list-float-index", lambda: dict(m=nn.ModuleList([nn.ReLU()])),
        lambda m: m[0.0], TypeError, "'float' object cannot be interpreted as an integer"),
    bad("parameter-list-index", lambda: dict(m=nn.ParameterList([r(1)])), lambda m: m[3],
        IndexError, "index 3 is out of range for a ParameterList of length 1"),
    bad("parameter-int", None, lambda: nn.Parameter(gg.tensor([1, 2])), RuntimeError,
        "Only Tensors of floating point dtype can require gradients", "int64"),
    # PyTorch: AttributeError ('str' object has no attribute 'detach').
    bad("parameter-str", None, lambda: nn.Parameter("w"), TypeError,
        "Parameter data must be a Tensor, not str"),
    # PyTorch raises when called; gpugrad at construction.
    bad("unflatten-two-inferred", None, lambda: nn.Unflatten(1, (2, -1, -1)), RuntimeError,
        "only one dimension can be inferred"),
    bad("flatten-module-order", lambda: dict(m=nn.Flatten(2, 1), x=r(2, 3, 4)),
        lambda m, x: m(x), RuntimeError, "start_dim cannot come after end_dim"),
    bad("cross-entropy-weight-size", lambda: dict(x=r(2, 3), t=gg.tensor([0, 1]), w=c(4)),
        lambda x, t, w: F.cross_entropy(x, t, weight=w), RuntimeError,
        "weight tensor should be defined either for all 3 classes or no classes", "[4]"),
    bad("bce-logits-pos-weight", lambda: dict(x=r(3), t=gg.rand(3), w=c(2)),
        lambda x, t, w: F.binary_cross_entropy_with_logits(x, t, pos_weight=w), RuntimeError,
        "size of tensor a (2) must match the size of tensor b (3)"),
    bad("kl-div-shapes", lambda: dict(x=r(3), t=gg.rand(4)), lambda x, t: F.kl_div(x, t),
        RuntimeError, "The size of tensor a (4) must match the size of tensor b (3)"),
    bad("kl-div-integer", lambda: dict(x=r(3), t=gg.ones(3, dtype=gg.long)),
        lambda x, t: F.kl_div(x, t), RuntimeError, "kl_div: Integral inputs not supported."),
    bad("prelu-weight-count", lambda: dict(x=r(2, 3), w=r(4)), lambda x, w: F.prelu(x, w),
        RuntimeError, "prelu", "weight has 4 elements, the input has 3 channels"),
    bad("batch-norm-fn-running-mean", lambda: dict(x=r(4, 3), m=gg.zeros(2), v=gg.ones(2)),
        lambda x, m, v: F.batch_norm(x, m, v, training=True), RuntimeError,
        "running_mean should contain 3 elements not 2"),
    bad("embedding-weight-1d", lambda: dict(w=r(3)), lambda w: F.embedding(gg.tensor([0]), w),
        RuntimeError, "weight must be 2-d", "[3]"),
    bad("one-hot-negative", lambda: dict(t=gg.tensor([0, -1])), lambda t: F.one_hot(t),
        RuntimeError, "Class values must be non-negative"),
    bad("module-no-attribute", lambda: dict(m=lin()), lambda m: m.weights, AttributeError,
        "'Linear' object has no attribute 'weights'"),
    bad("unflatten-sizes", lambda: dict(m=nn.Unflatten(1, (2, 2)), x=r(3, 6)), lambda m, x: m(x),
        RuntimeError, "[2, 2]", "6"),
    bad("one-hot-float", lambda: dict(t=gg.tensor([0.0, 1.0])), lambda t: F.one_hot(t),
        RuntimeError, "one_hot is only applicable to index tensors, got gpugrad.float32"),
    bad("one-hot-range", lambda: dict(t=gg.tensor([0, 3])), lambda t: F.one_hot(t, 3),
        RuntimeError, "Class values must be smaller than num_classes"),
    bad("set-default-dtype-int", lambda: dict(now=Global(gg.get_default_dtype)),
        lambda now: gg.set_default_dtype(gg.int64), TypeError,
        "only floating-point types are supported as the default type"),
    bad("arange-infinite", None, lambda: gg.arange(0, math.inf), RuntimeError,
        "unsupported range: 0 -> inf"),
    bad("arange-nan", None, lambda: gg.arange(math.nan), RuntimeError, "unsupported range"),
    bad("linspace-float-steps", None, lambda: gg.linspace(0, 1, 2.5), TypeError,
        "steps must be an int, not float"),
    bad("rand-int-dtype", None, lambda: gg.rand(3, dtype=gg.int32), RuntimeError,
        "rand() draws floating values", "int32"),
    bad("randn-like-int", lambda: dict(i=gg.tensor([1, 2])), lambda i: gg.randn_like(i),
        RuntimeError,
        "randn() draws floating values", "int64"),
    bad("tensor-nan-to-int", None, lambda: gg.tensor(math.nan, dtype=gg.int64), RuntimeError,
        "without overflow: nan"),
    # --- creation -----------------------------------------------------------------------------
    bad("zeros-negative", None, lambda: gg.zeros(2, -1), RuntimeError,
        "Trying to create tensor with negative dimension -1: [2, -1]"),
    bad("ones-float-size", None, lambda: gg.ones(2.5), TypeError, "2.5"),
    bad("full-negative", None, lambda: gg.full((-3,), 1.0), RuntimeError, "negative dimension"),
    bad("arange-zero-step", None, lambda: gg.arange(0, 10, 0), RuntimeError,
        "step must be nonzero"),
    bad("arange-sign", None, lambda: gg.arange(0, 10, -1), RuntimeError,
        "upper bound and lower bound inconsistent with step sign"),
    bad("linspace-steps", None, lambda: gg.linspace(0, 1, -1), RuntimeError,
        "number of steps must be non-negative"),
    bad("eye-negative", None, lambda: gg.eye(-1), RuntimeError,
        "n must be greater or equal to 0, got -1"),
    bad("randint-bounds", None, lambda: gg.randint(5, 2, (3,)), RuntimeError,
        "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    bad("randn-int-dtype", None, lambda: gg.randn(2, dtype=gg.int64), RuntimeError,
        "randn() draws floating values; got dtype=gpugrad.int64"),
    bad("randperm-negative", None, lambda: gg.randperm(-1), RuntimeError,
        "negative dimension -1"),
    bad("from-numpy-list", None, lambda: gg.from_numpy([1, 2]), TypeError,
        "expected np.ndarray (got list)"),
    # --- devices ------------------------------------------------------------------------------
    bad("device-type", None, lambda: gg.device("gpu"), RuntimeError,
        "unknown device type 'gpu'", "expected 'cpu' or 'cuda'"),
    bad("device-index", None, lambda: gg.device("cuda:x"), RuntimeError,
        "invalid device 'cuda:x': the index must be a number"),
    bad("tensor-device-type", None, lambda: gg.zeros(2, device="tpu"), RuntimeError,
        "unknown device type 'tpu'"),
    # PyTorch asserts (AssertionError).
    bad("concat-dataset-empty", None, lambda: data.ConcatDataset([]), ValueError,
        "datasets should not be an empty iterable"),
    bad("concat-dataset-index", None, lambda: data.ConcatDataset([range(2), range(3)])[10],
        IndexError, "index 10 is out of range for a ConcatDataset of length 5"),
    bad("stack-dataset-sizes", None, lambda: data.StackDataset(range(2), range(3)), ValueError,
        "Size mismatch between datasets"),
    # PyTorch accepts [-1, 6] (and fails later); gpugrad refuses it.
    bad("random-split-negative", None, lambda: data.random_split(range(5), [-1, 6]),
        ValueError, "lengths must be non-negative integers or fractions summing to 1"),
    bad("random-split-fractions", None, lambda: data.random_split(range(5), [0.5, 0.6]),
        ValueError, "[0.5, 0.6]"),
    bad("random-split-generator", None,
        lambda: data.random_split(range(5), [2, 3], generator=5), TypeError, "generator"),
    bad("collate-object", None, lambda: data.default_collate([object()]), TypeError,
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists"),
    bad("collate-keys", None, lambda: data.default_collate([{"a": 1}, {"b": 2}]), KeyError,
        "a"),
    bad("random-sampler-replacement", None,
        lambda: data.RandomSampler(range(4), replacement="yes"), TypeError,
        "replacement should be a boolean value, but got replacement=yes"),
    bad("weighted-sampler-2d", None, lambda: data.WeightedRandomSampler([[0.5, 0.5]], 3),
        ValueError, "weights should be a 1d sequence but given weights have shape (1, 2)"),
    bad("loader-drop-last-str", None, lambda: data.DataLoader(range(4), drop_last="yes"),
        ValueError, "drop_last should be a boolean value, but got drop_last=yes"),
    bad("tensor-dataset-index", lambda: dict(x=c(3)), lambda x: data.TensorDataset(x)[5],
        IndexError, "index 5 is out of bounds"),
    # --- schedulers -----------------------------------------------------------------------
    bad("sched-not-optimizer", lambda: dict(m=nn.Linear(2, 2)),
        lambda m: L.StepLR(m, step_size=2), TypeError, "Linear is not an Optimizer"),
    bad("sched-lambda-count", sched_setup,
        lambda m, opt: L.LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5]), ValueError,
        "Expected 1 lr_lambdas, but got 2"),
    bad("sched-resume-without-initial-lr", sched_setup,
        lambda m, opt: L.StepLR(opt, step_size=2, last_epoch=3), KeyError,
        "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer"),
    bad("one-cycle-total-steps", sched_setup, lambda m, opt: L.OneCycleLR(opt, max_lr=0.1),
        ValueError, "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    bad("one-cycle-pct-start", sched_setup,
        lambda m, opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5),
        ValueError, "Expected float between 0 and 1 pct_start, but got 1.5"),
    bad("one-cycle-anneal", sched_setup,
        lambda m, opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="x"),
        ValueError, "anneal_strategy must be one of 'cos' or 'linear', instead got x"),
    bad("one-cycle-total-steps-zero", sched_setup,
        lambda m, opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=0), ValueError,
        "Expected positive integer total_steps, but got 0"),
    bad("cyclic-no-momentum", lambda: _adagrad_setup(),
        lambda m, opt: L.CyclicLR(opt, 0.01, 0.1), ValueError,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
    bad("cyclic-max-lr-count", sched_setup, lambda m, opt: L.CyclicLR(opt, 0.01, [0.1, 0.2]),
        ValueError, "max_lr must have the same length as optimizer.param_groups"),
    bad("cyclic-max-momentum-count", sched_setup,
        lambda m, opt: L.CyclicLR(opt, 0.01, 0.1, max_momentum=[0.9, 0.8]), ValueError,
        "max_momentum must have the same length"),
    bad("one-cycle-no-momentum", lambda: _adagrad_setup(),
        lambda m, opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=10), ValueError,
        "optimizer must support momentum or beta1"),
    bad("one-cycle-base-momentum-count", sched_setup,
        lambda m, opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=10, base_momentum=[0.8, 0.8]),
        ValueError, "base_momentum must have the same length"),
    bad("plateau-min-lr-count", sched_setup,
        lambda m, opt: L.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]), ValueError,
        "expected 1 min_lrs, got 2"),
    bad("sequential-lr-other-optimizer", lambda: _two_schedulers(other=True),
        lambda m, opt, a, b: L.SequentialLR(opt, [a, b], milestones=[1]), ValueError,
        "expects all schedulers to belong to the same optimizer"),
    bad("warm-restarts-t0", sched_setup,
        lambda m, opt: L.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError,
        "Expected positive integer T_0, but got 0"),
    bad("warm-restarts-tmult", sched_setup,
        lambda m, opt: L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0), ValueError,
        "Expected integer T_mult >= 1, but got 0"),
    bad("cyclic-mode", sched_setup,
        lambda m, opt: L.CyclicLR(opt, 0.01, 0.1, mode="sawtooth"), ValueError,
        "mode is invalid ('sawtooth') and scale_fn is None"),
    bad("plateau-factor", sched_setup,
        lambda m, opt: L.ReduceLROnPlateau(opt, factor=1.0), ValueError,
        "Factor should be < 1.0, got 1.0"),
    bad("plateau-mode", sched_setup, lambda m, opt: L.ReduceLROnPlateau(opt, mode="up"),
        ValueError, "mode up is unknown!"),
    bad("plateau-threshold-mode", sched_setup,
        lambda m, opt: L.ReduceLROnPlateau(opt, threshold_mode="x"), ValueError,
        "threshold mode x is unknown!"),
    bad("linear-lr-start", sched_setup, lambda m, opt: L.LinearLR(opt, start_factor=0.0),
        ValueError, "Starting multiplicative factor expected to be greater than 0 and less or "
        "equal to 1, got 0.0"),
    bad("linear-lr-end", sched_setup, lambda m, opt: L.LinearLR(opt, end_factor=1.5),
        ValueError, "Ending multiplicative factor expected to be between 0 and 1, got 1.5"),
    bad("constant-lr-factor", sched_setup, lambda m, opt: L.ConstantLR(opt, factor=2.0),
        ValueError, "Constant multiplicative factor expected to be between 0 and 1, got 2.0"),
    bad("sequential-lr-milestones", lambda: _two_schedulers(),
        lambda m, opt, a, b: L.SequentialLR(opt, [a, b], milestones=[1, 2]),
        ValueError, "Sequential Schedulers expects number of schedulers provided to be one "
        "more than the number of milestone points"),
]


def _backed(x: Any) -> Any:
    """A scalar of x whose graph was already freed by a backward."""
    y = (x.exp() * x).sum()
    y.backward()
    return y


def _exp_modified() -> dict[str, Any]:
    x = with_grad(3)
    y = x.exp()  # saves its output
    with gg.no_grad():
        y.add_(1.0)
    return dict(x=x, y=y)


def _leaf_modified() -> dict[str, Any]:
    w = with_grad(3)
    v = with_grad(3)
    loss = (w * v).sum()  # saves w for v's gradient
    with gg.no_grad():
        w.mul_(2.0)
    return dict(w=w, loss=loss)


def _step_between() -> dict[str, Any]:
    m = lin()
    opt = optim.SGD(m.parameters(), lr=0.1)
    loss = m(with_grad(4, 3)).pow(2).sum()  # saves the weight for the input's gradient
    opt.step()
    return dict(m=m, opt=opt, loss=loss)


def _setitem_between() -> dict[str, Any]:
    x = with_grad(3, 2)
    a = gg.randn(2, 4)
    loss = (x @ a).sum()  # saves a
    a[0, 0] = 5.0
    return dict(x=x, a=a, loss=loss)


def _two_schedulers(other: bool = False) -> dict[str, Any]:
    objs = sched_setup()
    opt = objs["opt"]
    first = sched_setup()["opt"] if other else opt
    return dict(objs, a=L.ConstantLR(first, factor=0.5), b=L.ExponentialLR(opt, 0.9))


def _adagrad_setup() -> dict[str, Any]:
    m = nn.Linear(3, 2)
    return dict(m=m, opt=optim.Adagrad(m.parameters(), lr=0.1))


def _with_lr(objs: dict[str, Any], lr: float) -> dict[str, Any]:
    objs["opt"].param_groups[0]["lr"] = lr
    return objs


def _replace_bias(objs: dict[str, Any], grad: bool = False) -> dict[str, Any]:
    """The second parameter's data replaced by another shape after the optimizer was built
    (its gradient still has the old shape, or a new one of the new shape)."""
    bias = objs["m"].bias
    bias.data = gg.zeros(5)
    if grad:
        bias.grad = gg.ones(5)
    return objs


def _adam_stepped() -> dict[str, Any]:
    m = lin()
    opt = optim.Adam(m.parameters(), lr=0.1)
    opt.step()
    return dict(m=m, opt=opt)


def _momentum_of_shape(opt: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    sd = opt.state_dict()
    state = {i: dict(s) for i, s in sd["state"].items()}
    state[0]["momentum_buffer"] = gg.zeros(*shape)
    return {"state": state, "param_groups": sd["param_groups"]}


def _zeros_like_state(m: Any) -> dict[str, Any]:
    return {k: gg.zeros_like(v) for k, v in m.state_dict().items()}


def _cycle() -> list[Any]:
    a: list[Any] = [gg.ones(1)]
    a.append(a)
    return a


def _checkpoint_bytes(tmp: Path) -> bytes:
    p = tmp / "whole.ckpt"
    gg.save({"w": gg.arange(12.0).reshape(3, 4), "step": 3}, p)
    return p.read_bytes()


if not gg.cuda.is_available():
    # Asking for CUDA where it is unavailable: a RuntimeError saying why and how to install it
    # (PyTorch's CPU builds raise AssertionError "Torch not compiled with CUDA enabled").
    ROWS += [
        bad("cuda-zeros", None, lambda: gg.zeros(2, device="cuda"), RuntimeError, *CUDA_HINT),
        bad("cuda-tensor", None, lambda: gg.tensor([1.0], device="cuda:0"), RuntimeError,
            *CUDA_HINT),
        bad("cuda-randn", None, lambda: gg.randn(2, device=gg.device("cuda")), RuntimeError,
            *CUDA_HINT),
        bad("cuda-to", lambda: dict(x=with_grad(3)), lambda x: x.to("cuda"), RuntimeError,
            *CUDA_HINT),
        bad("cuda-method", lambda: dict(x=r(3)), lambda x: x.cuda(), RuntimeError, *CUDA_HINT),
        bad("cuda-module-to", lambda: dict(m=lin()), lambda m: m.to("cuda"), RuntimeError,
            *CUDA_HINT),
        bad("cuda-module-cuda", lambda: dict(m=lin()), lambda m: m.cuda(), RuntimeError,
            *CUDA_HINT),
        bad("cuda-linear-device", None, lambda: nn.Linear(2, 3, device="cuda"), RuntimeError,
            *CUDA_HINT),
        bad("cuda-load-map-location", saved_file, lambda path: gg.load(path, map_location="cuda"),
            RuntimeError, *CUDA_LOAD),
        bad("cuda-synchronize", None, lambda: gg.cuda.synchronize(), RuntimeError, *CUDA_HINT),
    ]
else:
    # Mixing devices in one op: a RuntimeError naming both.
    MIXED = ("Expected all tensors to be on the same device", "cpu", "cuda:0")
    ROWS += [
        bad("mixed-add", lambda: dict(a=r(3), b=r(3).cuda()), lambda a, b: a + b, RuntimeError,
            *MIXED),
        bad("mixed-matmul", lambda: dict(a=r(2, 3), b=r(3, 2).cuda()), lambda a, b: a @ b,
            RuntimeError, *MIXED),
        bad("mixed-cat", lambda: dict(a=r(3), b=r(3).cuda()), lambda a, b: gg.cat([a, b]),
            RuntimeError, *MIXED),
        bad("mixed-linear", lambda: dict(m=lin(), x=r(4, 3).cuda()), lambda m, x: m(x),
            RuntimeError, *MIXED),
        bad("mixed-index", lambda: dict(x=r(3), i=gg.tensor([0, 1]).cuda()),
            lambda x, i: x[i], RuntimeError, *MIXED),
        bad("mixed-grad-assign", lambda: dict(x=with_grad(3)),
            lambda x: setattr(x, "grad", gg.zeros(3).cuda()), RuntimeError, *MIXED),
        bad("cuda-index-range", None, lambda: gg.zeros(2, device="cuda:99"), RuntimeError,
            "CUDA device 99"),
    ]


# --- the harness ----------------------------------------------------------------------------


def _array(t: Any) -> np.ndarray:
    return np.array(t.detach().cpu().numpy(), copy=True)


def snapshot(obj: Any) -> Any:
    """Everything observable about ``obj`` that a failed call must not change, as plain values."""
    if isinstance(obj, gg.Tensor):
        g = obj.grad
        return ("tensor", _array(obj), None if g is None else _array(g), obj.requires_grad,
                str(obj.dtype), str(obj.device))
    if isinstance(obj, nn.Module):
        return ("module", obj.training, snapshot(dict(obj.state_dict())),
                [(n, snapshot(p)) for n, p in obj.named_parameters()])
    if isinstance(obj, optim.Optimizer):
        return ("optimizer", snapshot(obj.state_dict()))
    if isinstance(obj, (L.LRScheduler, L.ReduceLROnPlateau)):
        return ("scheduler", snapshot(obj.state_dict()))
    if isinstance(obj, data.DataLoader):
        return ("loader", obj.batch_size, obj.drop_last, obj.num_workers)
    if isinstance(obj, Global):
        return ("global", snapshot(obj.read()))
    if isinstance(obj, Path):
        if obj.is_dir():
            return ("dir", sorted(p.name for p in obj.iterdir()))
        return ("file", obj.read_bytes() if obj.exists() else None)
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [snapshot(v) for v in obj]
    if isinstance(obj, (bool, int, float, str, type(None))):
        return obj
    if isinstance(obj, gg.dtype):
        return str(obj)
    return ("object", type(obj).__name__)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return bool(a == b)


def _setup(row: Bad, tmp_path: Path) -> dict[str, Any]:
    if row.setup is None:
        return {}
    if inspect.signature(row.setup).parameters:
        return row.setup(tmp_path)
    return row.setup()


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_input(row: Bad, tmp_path: Path) -> None:
    objects = _setup(row, tmp_path)
    before = snapshot(objects)
    with pytest.raises(row.exc) as info:
        row.call(**objects)
    message = str(info.value)
    for word in row.words:
        assert word in message, f"{word!r} is not in the message {message!r}"
    after = snapshot(objects)
    assert same(before, after), f"the failed call changed {sorted(objects)}"


def test_the_table_is_large_and_names_are_unique() -> None:
    names = [row.name for row in ROWS]
    assert len(names) == len(set(names))
    assert len(ROWS) >= 150


def test_the_snapshot_sees_every_kind_of_change(tmp_path: Path) -> None:
    """The harness itself: each kind of change a failed call could make is caught."""
    m = lin()
    opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    opt.step()
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    objs = dict(m=m, opt=opt, path=path, x=with_grad(2), missing=tmp_path / "none")
    changes = [
        lambda: m.weight.data.add_(1.0),
        lambda: setattr(m.bias, "grad", None),
        lambda: m.eval(),
        lambda: opt.param_groups[0].__setitem__("lr", 0.5),
        lambda: opt.state[m.weight]["momentum_buffer"].add_(1.0),
        lambda: path.write_bytes(b"abd"),
        lambda: objs["x"].grad.data.mul_(2.0),
        lambda: objs["x"].requires_grad_(False),
        lambda: (tmp_path / "none").write_bytes(b""),
    ]
    for change in changes:
        before = snapshot(objs)
        change()
        assert not same(before, snapshot(objs))


def test_edge_inputs_that_are_not_bad() -> None:
    """Neighbours of the table's rows that must work: empty tensors reduced over non-empty
    axes, and dim=() (every dimension, as in PyTorch)."""
    e = gg.zeros(0, 3)
    t = gg.tensor([1.0, 2.0, 3.0])
    assert (t == [1.0, 2.0, 3.0]) is False and (t != "a") is True  # Python's, as PyTorch's
    assert (t + np.ones(3)).tolist() == [2.0, 3.0, 4.0]  # arrays combine with tensors
    assert e.amax(1).shape == (0,) and e.min(1).values.shape == (0,)
    assert e.argmax(1).shape == (0,)
    assert e.logsumexp(0).tolist() == [-math.inf] * 3
    assert e.softmax(0).shape == (0, 3) and F.log_softmax(e, 0).shape == (0, 3)
    y = gg.arange(6.0, dtype=gg.float64).reshape(2, 3)
    assert y.sum(()).item() == 15.0 and y.mean([]).item() == 2.5
    assert y.sum((), keepdim=True).shape == (1, 1)
    assert y.var(()).item() == pytest.approx(3.5) and y.std([]).item() == pytest.approx(3.5**0.5)
    assert gg.tensor([[1, 2]]).sum(()).item() == 3
    assert y.squeeze(()).shape == (2, 3)  # squeeze's empty dims squeeze nothing
