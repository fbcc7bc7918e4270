"""Reverse-mode autograd: grad mode, ``Op`` (one graph node per op), and the backward pass.

A node (an instance of a Op subclass) is created by ``Op.apply`` for every op whose
inputs require grad. It holds the edges to its inputs' nodes (``next_fns``), the shapes and
dtypes of those inputs, and whatever its forward saved on ``self`` for backward. Leaves that
require grad are reached through an ``AccumulateGrad`` node cached on the leaf.

The backward pass orders nodes without recursion (Kahn's algorithm over dependency counts), so
a chain of a million ops backpropagates. Unless ``retain_graph`` is set, each node is freed as
soon as its gradient has been propagated; a later backward through it raises.
"""

from __future__ import annotations

import functools
import threading
import weakref
from typing import Any

import numpy as np

from . import _device as _dev

# ---------------------------------------------------------------------------------------------
# Grad mode (thread-local, like PyTorch's).


class _GradMode(threading.local):
    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops record the graph for backward."""
    return _mode.enabled


class _GradModeContext:
    """Sets grad mode to ``mode`` inside a ``with`` block or a decorated function."""

    mode = True

    def __enter__(self):
        self.prev = _mode.enabled
        _mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _mode.enabled
            _mode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _mode.enabled = prev

        return wrapper


class no_grad(_GradModeContext):  # noqa: N801  (PyTorch's names)
    """Disable graph recording: ``with gpugrad.no_grad(): ...`` or ``@gpugrad.no_grad()``."""

    mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Re-enable graph recording inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode: at once as a plain call, or for a ``with`` block or decorated function."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self.prev = _mode.enabled
        _mode.enabled = self.mode

    def __enter__(self):
        return self  # already set by __init__; __exit__ restores

    def __call__(self, fn):
        _mode.enabled = self.prev  # as a decorator it changes only the decorated calls
        return super().__call__(fn)


# ---------------------------------------------------------------------------------------------
# Broadcasting: the one place where gradients are summed back to an input's shape.


def sum_to_shape(g, shape):
    """Sum the gradient ``g`` of a broadcast result back to the input ``shape``."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


# ---------------------------------------------------------------------------------------------
# Version counters: in-place changes to saved tensors are caught at backward time.


class VersionCounter:
    """How many times a storage was changed in place; saved values record it at forward time."""

    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


# ---------------------------------------------------------------------------------------------
# TensorBase: the state the engine reads and writes. ``tensor.Tensor`` adds the user API.


class TensorBase:
    """Storage and autograd state of a tensor (``gpugrad.Tensor`` is its one subclass).

    ``_data`` is the NumPy or CuPy array; ``_grad`` the accumulated gradient array (or None);
    ``_grad_fn`` the node that produced this tensor (None for leaves); ``_version`` the version
    counter shared with views; ``_accum`` the leaf's cached ``AccumulateGrad`` node.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_version", "_accum",
                 "__weakref__")

    _data: Any
    _requires_grad: bool
    _grad: Any
    _grad_fn: Any
    _version: VersionCounter
    _accum: Any

    @staticmethod
    def _wrap(data: Any, grad_fn: Any) -> TensorBase:
        """A new tensor (of the user-facing class) around ``data``, produced by ``grad_fn``."""
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------
# Op: one op, forward and backward side by side.


class Op:
    """Base of every differentiable op.

    Subclasses write ``forward(self, *arrays, **kw) -> array`` and
    ``backward(self, gy) -> tuple`` with one gradient (or None) per positional input, all raw
    arrays. Forward may save what backward needs on ``self``; ``self.xp`` is the array module of
    the inputs and ``self.needs[i]`` says whether input ``i`` needs a gradient. Class attributes:

    - ``saved_inputs``: indices of the inputs whose arrays backward reads (version-checked);
    - ``saved_output``: whether backward reads the output array (version-checked);
    - ``is_view``: the output aliases input 0's storage and shares its version counter.
    """

    __slots__ = ("xp", "needs", "next_fns", "meta", "versions", "retain", "__dict__", "__weakref__")
    xp: Any  # the array module of the inputs (numpy or cupy)
    needs: Any  # per input: does it need a gradient
    next_fns: Any  # per input: the node its gradient goes to (None: none)
    meta: Any  # per input: (shape, dtype) of a gradient-needing input, else None
    versions: Any  # (counter, version at forward) of every saved tensor
    retain: Any  # weakref to the output tensor that retains its grad, or None
    saved_inputs: tuple = ()
    saved_output: bool = False
    is_view: bool = False

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run the op on Tensors (and constants: Python numbers, arrays) and record the graph.

        This loop is the engine's hot path: it is written for speed (plain NumPy arrays are
        recognised by class, without a call into ``_device``).
        """
        fn = _new(cls)
        arrays = []
        first = first_t = None
        requires = False
        convert = False
        for a in args:
            if isinstance(a, TensorBase):
                d = a._data
                if first is None:
                    first, first_t = d, a
                elif d.__class__ is not first.__class__ or d.__class__ is not np.ndarray:
                    _dev.same_device_or_raise(first, d)
                if a._requires_grad:
                    requires = True
                arrays.append(d)
            else:
                if a.__class__ is not float and a.__class__ is not int:
                    convert = True
                arrays.append(a)
        if first_t is None:
            raise TypeError(f"{cls.__name__} needs at least one Tensor argument")
        fn.xp = xp = np if first.__class__ is np.ndarray else _dev.array_module(first)
        if convert:
            for i, a in enumerate(arrays):
                if not isinstance(a, (int, float, xp.ndarray)) or isinstance(a, np.generic):
                    arrays[i] = _dev.constant(a, first)
        wrap = first_t._wrap

        if not (requires and _mode.enabled):
            fn.needs = _NO_NEEDS[len(args)] if len(args) < 8 else (False,) * len(args)
            try:
                t = wrap(fn.forward(*arrays, **kwargs), None)
            except ValueError as e:
                raise _shape_error(cls, args, e) from None
            if cls.is_view:
                t._version = args[0]._version
            return t

        needs: list[bool] = []
        nexts: list[Any] = []
        meta: list[Any] = []
        for a, d in zip(args, arrays):
            if isinstance(a, TensorBase) and a._requires_grad:
                needs.append(True)
                nexts.append(_edge(a))
                meta.append((d.shape, d.dtype))
            else:
                needs.append(False)
                nexts.append(None)
                meta.append(None)
        fn.needs = needs
        try:
            t = wrap(fn.forward(*arrays, **kwargs), fn)
        except ValueError as e:
            raise _shape_error(cls, args, e) from None
        if t._data.dtype.kind != "f":  # integer/bool results carry no gradient
            t._grad_fn, t._requires_grad = None, False
            return t
        fn.next_fns = nexts
        fn.meta = meta
        fn.retain = None
        if cls.is_view:
            t._version = args[0]._version
        if cls.saved_inputs or cls.saved_output:
            vs = []
            for i in cls.saved_inputs:
                a = args[i]
                if isinstance(a, TensorBase):
                    vs.append((a._version, a._version.v))
            if cls.saved_output:
                vs.append((t._version, t._version.v))
            fn.versions = vs
        else:
            fn.versions = ()
        return t

    def release(self) -> None:
        """Free what forward saved; a later backward through this node raises."""
        self.__dict__.clear()
        self.next_fns = None


def _shape_error(cls: type, args: tuple[Any, ...], e: ValueError) -> Exception:
    """A broadcasting failure of NumPy/CuPy as PyTorch words it (naming the op, the sizes and
    the dimension); other ValueErrors pass unchanged."""
    if "broadcast" not in str(e):
        return e
    shapes = [a._data.shape if isinstance(a, TensorBase) else np.shape(a) for a in args]
    if len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
                return RuntimeError(
                    f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                    f"at non-singleton dimension {i} (in {cls.__name__}: shapes "
                    f"{list(a)} and {list(b)})")
    return RuntimeError(f"{cls.__name__}: shapes {[list(s) for s in shapes]} do not broadcast")


class AccumulateGrad:
    """The node of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("leaf", "next_fns", "retain", "versions", "__weakref__")

    def __init__(self, leaf) -> None:
        self.leaf = weakref.ref(leaf)
        self.next_fns = ()
        self.retain = None
        self.versions = ()

    name = "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def _edge(t):
    """The node through which a gradient reaches tensor ``t``."""
    fn = t._grad_fn
    if fn is not None:
        return fn
    acc = t._accum
    if acc is None:
        acc = t._accum = AccumulateGrad(t)
    return acc


_new = object.__new__
_NO_NEEDS = [(False,) * n for n in range(8)]


# ---------------------------------------------------------------------------------------------
# The backward pass.

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward(). Specify retain_graph=True if you need to backward through the graph a "
    "second time."
)


def _check_versions(node) -> None:
    for counter, v in node.versions:
        if counter.v != v:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: an input or output of {node.name} is at version "
                f"{counter.v}; expected version {v} instead."
            )


def _own(g, owned: bool):
    """A gradient array that a tensor may keep: a private, writable, contiguous copy if needed."""
    if isinstance(g, np.generic):
        return _dev.fix_scalar(g)
    if owned and g.base is None:  # a fresh array from a backward: nobody else holds it
        return g
    return g.copy()


def _store_grad(t, g, owned: bool) -> None:
    if t._grad is None:
        t._grad = _own(g, owned)
    else:
        t._grad = _own(t._grad + g, True)  # out of place: a grad array may be shared


def run_backward(root, grad, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` (an array shaped like ``root``) from tensor ``root``.

    Leaves receive each gradient contribution as it arrives (as PyTorch's AccumulateGrad
    does); every other node runs once, after all the nodes that consume its output.
    """
    start = _edge(root)
    if start.__class__ is AccumulateGrad:
        _store_grad(root, grad, False)
        return
    if start.next_fns is None:
        raise RuntimeError(_FREED)
    # Count, for every op node reachable from root, how many edges lead into it; and check
    # every node (freed graph, in-place changes) before running any, so that a failed
    # backward leaves every .grad as it was.
    deps = {start: 0}
    stack = [start]
    while stack:
        node = stack.pop()
        nxt = node.next_fns
        if nxt is None:
            raise RuntimeError(_FREED)
        if node.versions:
            _check_versions(node)
        for m in nxt:
            if m is None or m.__class__ is AccumulateGrad:
                continue
            if m in deps:
                deps[m] += 1
            else:
                deps[m] = 1
                stack.append(m)
    grads = {start: (grad, False)}
    ready = [start]
    while ready:
        node = ready.pop()
        g, owned = grads.pop(node)
        if node.retain is not None:
            t = node.retain()
            if t is not None:
                _store_grad(t, g, owned)
        nxt = node.next_fns
        in_grads = node.backward(g)
        meta = node.meta
        if not retain_graph:
            node.release()
        for m, gi, md in zip(nxt, in_grads, meta):
            if m is None:
                continue
            if gi is None:
                raise RuntimeError(f"{node.name}.backward returned no gradient for an input")
            if gi.__class__ is not g.__class__ and isinstance(gi, np.generic):
                gi = _dev.fix_scalar(gi)
            shape, dt = md
            if gi.shape != shape:
                gi = sum_to_shape(gi, shape)
            if gi.dtype is not dt and gi.dtype != dt:
                gi = gi.astype(dt)
            if m.__class__ is AccumulateGrad:
                leaf = m.leaf()
                if leaf is not None:
                    _store_grad(leaf, gi, gi is not g)
                continue
            prev = grads.get(m)
            if prev is None:
                grads[m] = (gi, gi is not g)
            else:
                grads[m] = (prev[0] + gi, True)
            n = deps[m] - 1
            deps[m] = n
            if n == 0:
                ready.append(m)
