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

from .. import _device as _dev

# ---------------------------------------------------------------------------------------------
# Grad mode (thread-local, like PyTorch's).


class _GradMode(threading.local):
    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops record the graph for backward."""
    return _mode.enabled


class _GradModeContext:
    """Sets grad mode to ``mode`` inside a ``with`` block or a decorated function
    (``@no_grad()`` and, as PyTorch allows, ``@no_grad`` without parentheses)."""

    mode = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is not set_grad_enabled and len(args) == 1 and not kwargs and callable(args[0]):
            inst = object.__new__(cls)
            inst.__init__()  # type: ignore[misc]
            return inst(args[0])  # used as a bare decorator
        return object.__new__(cls)

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


class inference_mode(_GradModeContext):  # noqa: N801
    """``no_grad`` under PyTorch's name for inference: ``with gpugrad.inference_mode():`` or as
    a decorator; ``inference_mode(False)`` leaves recording as it is."""

    mode = False

    def __init__(self, mode: bool = True) -> None:
        self._on = bool(mode)

    def __enter__(self):
        self.prev = _mode.enabled
        if self._on:
            _mode.enabled = False
        return self

    def __call__(self, fn):
        if not self._on:
            return fn
        return super().__call__(fn)

    def clone(self) -> inference_mode:
        return inference_mode(self._on)


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode`` block is active (here: whether recording is off)."""
    return not _mode.enabled


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
    """How many times a storage was changed in place; saved values record it at forward time.

    ``VersionCounter()`` starts at 0; the hot path (``Tensor._wrap``) makes one with
    ``object.__new__`` and sets ``v`` itself, without a call to ``__init__``.
    """

    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


# ---------------------------------------------------------------------------------------------
# TensorBase: the state the engine reads and writes. ``tensor.Tensor`` adds the user API.


class TensorBase:
    """Storage and autograd state of a tensor (``gpugrad.Tensor`` is its one subclass).

    ``_data`` is the NumPy or CuPy array; ``_grad`` the accumulated gradient array (or None);
    ``_grad_fn`` the node that produced this tensor (None for leaves); ``_version`` the version
    counter shared with views; ``_accum`` the leaf's cached ``AccumulateGrad`` node;
    ``_grad_graph`` (set only by a ``create_graph`` backward) the gradient as a Tensor with its
    own graph, whose data is ``_grad``.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_version", "_accum",
                 "_grad_graph", "__weakref__")

    _data: Any
    _requires_grad: bool
    _grad: Any
    _grad_fn: Any
    _version: VersionCounter
    _accum: Any
    _grad_graph: Any
    #: The namespace of differentiable functions that backward rules use as ``self.xp`` in a
    #: ``create_graph`` backward (bound by ``gpugrad.ops``, as the Tensor methods are).
    _graph_xp: Any = None

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
    - ``saved_output``: whether backward reads the output array, as ``self._out`` (set by
      ``apply`` when the graph is recorded; version-checked);
    - ``is_view``: the output aliases input 0's storage and shares its version counter;
    - ``nondiff``: names of saved arrays that are constants of the inputs (masks, indices).

    Higher-order gradients (``create_graph=True``) run the same ``backward`` on Tensors: on a
    copy of the node whose ``xp`` is a namespace of differentiable gpugrad functions and whose
    saved arrays are the input Tensors (those in ``saved_inputs``), the output Tensor (made by
    this node) or, if named in ``nondiff``, left as arrays. Any other saved array makes such a
    backward raise rather than treat it as a constant. A class whose backward cannot run on
    Tensors this way defines ``graph_backward(self, gy)``, written with gpugrad functions, which
    the engine calls instead (on the same kind of copy).
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
    nondiff: tuple = ()
    _hooks: Any = None  # gradient hooks of the output tensor (instance attribute when set)
    _args: tuple[Any, ...]  # the inputs (Tensors or constants), kept when some are saved
    _saved: list[Any]  # in a create_graph backward: the saved inputs, lifted
    _out: Any  # the output array, when saved_output

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError

    backward_name: str = ""  # PyTorch's name for this node, where not f"{name}Backward0"
    per_call_name: bool = False  # node_name() reads what forward saved (kept through release)

    @property
    def name(self) -> str:
        return type(self).__name__

    def node_name(self) -> str:
        """The node's name as PyTorch prints it (``MulBackward0``). A class whose PyTorch name
        depends on the call (``SelectBackward0``/``SliceBackward0``) sets ``per_call_name`` and
        defines ``_call_name()``, which reads only what forward saves anyway; nothing is spent
        on names until one is asked for. Once a backward has freed the node, its class's
        ``backward_name`` (the most common of its names) stands for it."""
        if self.per_call_name and getattr(self, "next_fns", None) is not None:
            return self._call_name()
        return self.backward_name or f"{self.name}Backward0"

    def _call_name(self) -> str:
        return f"{self.name}Backward0"

    def __repr__(self) -> str:
        return f"<{self.node_name()} object at {id(self):#x}>"  # PyTorch's form

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
                edge = a._grad_fn  # _edge(a), inlined
                if edge is None:
                    edge = a._accum
                    if edge is None:
                        edge = a._accum = AccumulateGrad(a)
                nexts.append(edge)
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
        dt = t._data.dtype  # integer/bool results carry no gradient (identity tests first)
        if dt is not _F32 and dt is not _F64 and dt.kind != "f":
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
                fn._out = t._data
            if cls.saved_inputs:
                fn._args = args  # the saved inputs' Tensors, for a create_graph backward
            fn.versions = vs
        else:
            fn.versions = ()
        return t

    def saved_input(self, i: int) -> Any:
        """In a ``graph_backward``: input ``i`` (one of ``saved_inputs``) as a Tensor."""
        return self._saved[self.saved_inputs.index(i)]

    def release(self) -> None:
        """Free what forward saved; a later backward through this node raises."""
        self.__dict__.clear()
        self.next_fns = None


def raw(a: Any) -> Any:
    """The array of a Tensor (else ``a`` itself): for the non-differentiable parts of a backward
    rule (masks, counts) that must stay arrays when the rule runs on Tensors."""
    return a._data if isinstance(a, TensorBase) else a


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
    """The node of a leaf tensor: adds the incoming gradient into ``leaf.grad``.

    ``_hooks`` are the leaf's gradient hooks (run before accumulation, may replace the
    gradient); ``post_hooks`` its post-accumulate-grad hooks (called with the leaf after).
    """

    __slots__ = ("leaf", "next_fns", "retain", "versions", "_hooks", "post_hooks",
                 "__weakref__")

    def __init__(self, leaf) -> None:
        self.leaf = weakref.ref(leaf)
        self.next_fns = ()
        self.retain = None
        self.versions = ()
        self._hooks = None
        self.post_hooks = None

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
_F32, _F64 = _dev.F32, _dev.F64
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
    """Accumulate the array ``g`` into ``t.grad`` (out of place: a grad array may be shared)."""
    t._grad_graph = None
    if t._grad is None:
        t._grad = _own(g, owned)
    else:
        t._grad = _own(t._grad + g, True)


def _store_grad_graph(t, g) -> None:
    """Accumulate the Tensor ``g`` (with its graph) into ``t.grad``."""
    old = t._grad
    if old is not None:
        prev = getattr(t, "_grad_graph", None)
        if prev is None or prev._data is not old:
            prev = t._wrap(old, None)
        g = prev + g
    t._grad = g._data
    t._grad_graph = g


def _run_hooks(hooks, g, graph: bool):
    """Call a tensor's gradient hooks in order; each may return a replacement gradient. The
    hooks see Tensors; on the first-order path ``g`` is an array and an array is returned."""
    for hook in list(hooks):
        gt = g if graph else _HOOK_WRAP[0](g, None)
        out = hook(gt)
        if out is not None:
            if not isinstance(out, TensorBase):
                raise TypeError(f"a gradient hook must return a Tensor or None, got "
                                f"{type(out).__name__}")
            if out._data.shape != gt._data.shape:
                raise RuntimeError(f"hook changed the gradient's shape from "
                                   f"{list(gt._data.shape)} to {list(out._data.shape)}")
            g = out if graph else out._data
    return g


# The Tensor class's wrapper (set on first use from a root tensor: autograd does not import
# tensor), used to hand hooks Tensors.
_HOOK_WRAP: list[Any] = [None]


def _graph_view(node, gy, strict: bool):
    """A copy of ``node`` whose saved arrays are Tensors, for a ``create_graph`` backward.
    ``strict``: an array that cannot be lifted raises (else it stays an array)."""
    cls = node.__class__
    view = _new(cls)
    view.xp = type(gy)._graph_xp(gy)
    view.needs = node.needs
    view.meta = node.meta
    view.next_fns = node.next_fns
    view.versions = ()
    view.retain = None
    d = node.__dict__
    lift = {}
    xp = view.xp
    saved = []
    args = d.get("_args", ())
    for t in (args[i] for i in cls.saved_inputs if args):
        if isinstance(t, TensorBase):
            lift[id(t._data)] = t
        elif isinstance(t, np.ndarray) or type(t).__module__.startswith("cupy"):
            c = xp.tensor(t)  # a constant input
            lift[id(t)] = c
            t = c
        saved.append(t)
    out = d.get("_out")
    if out is not None:
        ot = d.get("_out_tensor")
        if ot is None:
            ot = d["_out_tensor"] = gy._wrap(out, node)
        lift[id(out)] = ot
    nondiff = cls.nondiff
    vd = view.__dict__
    vd["_saved"] = saved
    for k, v in d.items():
        if k in ("_args", "_out_tensor", "_hooks"):
            continue
        if isinstance(v, np.ndarray) or type(v).__module__.startswith("cupy"):
            lifted = lift.get(id(v))
            if lifted is not None:
                vd[k] = lifted
            elif not strict or k in nondiff or v.dtype.kind not in "fc":
                vd[k] = v
            else:
                raise NotImplementedError(
                    f"{cls.__name__} does not support higher-order gradients (create_graph): "
                    f"its backward reads the saved array {k!r}, which is neither an input nor "
                    f"the output (give the op a graph_backward method)")
        else:
            vd[k] = v
    return view


def _graph_backward(node, gy):
    """Run ``node``'s backward on Tensors, recording the graph (for ``create_graph``)."""
    graph_fn = getattr(node, "graph_backward", None)
    if graph_fn is not None and not isinstance(node, Op):
        return graph_fn(gy)  # user-defined (autograd.Function) nodes
    view = _graph_view(node, gy, graph_fn is None)
    prev = _mode.enabled
    _mode.enabled = True
    try:
        if graph_fn is not None:
            return type(node).graph_backward(view, gy)
        return type(node).backward(view, gy)
    finally:
        _mode.enabled = prev


def _sum_to_shape_t(g, shape):
    """``sum_to_shape`` for Tensors (recorded)."""
    lead = g.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if dims:
        g = g.sum(dims, keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


def run_backward(roots, grads, retain_graph: bool = False, create_graph: bool = False,
                 inputs=None, accumulate: bool = True):
    """Backpropagate ``grads`` (one per root: arrays, or Tensors when ``create_graph``) from the
    tensors ``roots`` (a tensor or a sequence of tensors).

    Leaves receive each gradient contribution as it arrives (as PyTorch's AccumulateGrad
    does); every other node runs once, after all the nodes that consume its output. With
    ``inputs`` (tensors), the gradients reaching them are returned (a list, None where none
    arrives) and, unless ``accumulate``, no ``.grad`` is touched and only the part of the
    graph leading to ``inputs`` runs. With ``create_graph``, backward rules run on Tensors, so
    the gradients have graphs of their own.
    """
    if isinstance(roots, TensorBase):
        if not create_graph and inputs is None:
            _run_plain(roots, grads, retain_graph)
            return []
        roots, grads = (roots,), (grads,)
    graph = create_graph
    check_nan = _anomaly.check_nan
    if _HOOK_WRAP[0] is None:
        _HOOK_WRAP[0] = roots[0]._wrap
    targets: dict[Any, int] = {}
    captured: list[Any] = []
    if inputs is not None:
        for k, t in enumerate(inputs):
            targets.setdefault(_edge(t), k)
        captured = [None] * len(inputs)
    # Count, for every op node reachable from the roots, how many edges lead into it; and
    # check every node (freed graph, in-place changes) before running any, so that a failed
    # backward leaves every .grad as it was.
    starts = []
    deps: dict[Any, int] = {}
    stack = []
    for r in roots:
        st = _edge(r)
        starts.append(st)
        if st.__class__ is not AccumulateGrad and st not in deps:
            if st.next_fns is None:
                raise RuntimeError(_FREED)
            deps[st] = 0
            stack.append(st)
    parents: dict[Any, list[Any]] | None = {} if (targets and not accumulate) else None
    while stack:
        node = stack.pop()
        nxt = node.next_fns
        if nxt is None:
            raise RuntimeError(_FREED)
        if node.versions:
            _check_versions(node)
        for m in nxt:
            if m is None:
                continue
            if parents is not None:
                parents.setdefault(m, []).append(node)
            if m.__class__ is AccumulateGrad:
                continue
            if m in deps:
                deps[m] += 1
            else:
                deps[m] = 1
                stack.append(m)
    if parents is not None:
        # Run only the nodes from which an input is reached.
        need: set[Any] = set()
        todo = list(targets)
        while todo:
            for p in parents.get(todo.pop(), ()):
                if p not in need:
                    need.add(p)
                    todo.append(p)
        for node in deps:
            deps[node] = 0
        for node in deps:
            if node in need:
                for m in node.next_fns:
                    if m is not None and m in deps:
                        deps[m] += 1
    needed: set[Any] | None = need if parents is not None else None

    grads_of: dict[Any, Any] = {}
    ready = []
    for r, st, g in zip(roots, starts, grads):
        if st.__class__ is AccumulateGrad:  # a leaf root
            _deliver_leaf(st, r, g, False, graph, targets, captured, accumulate)
            continue
        prev = grads_of.get(st)
        grads_of[st] = (g, False) if prev is None else (prev[0] + g, True)
    for st in grads_of:
        if deps[st] == 0 and st not in ready:
            ready.append(st)
    while ready:
        node = ready.pop()
        g, owned = grads_of.pop(node)
        hooks = node._hooks
        if hooks is not None:
            g = _run_hooks(hooks, g, graph)
        if node.retain is not None:
            t = node.retain()
            if t is not None:
                if graph:
                    _store_grad_graph(t, g)
                else:
                    _store_grad(t, g, owned)
        if targets:
            kt = targets.get(node)
            if kt is not None:
                captured[kt] = g
        if needed is not None and node not in needed:
            continue  # an input whose own inputs are not wanted
        nxt = node.next_fns
        in_grads = _graph_backward(node, g) if graph else node.backward(g)
        if check_nan:
            _check_nan(node, in_grads)
        meta = node.meta
        if not retain_graph:
            node.release()
        for m, gi, md in zip(nxt, in_grads, meta):
            if m is None:
                continue
            if needed is not None and m not in needed and m not in targets:
                continue
            if gi is None:
                raise RuntimeError(f"{node.name}.backward returned no gradient for an input")
            if graph:
                shape, dt = md
                if tuple(gi.shape) != shape:
                    gi = _sum_to_shape_t(gi, shape)
                if gi._data.dtype != dt:
                    gi = gi.to(_dtype_of(dt))  # type: ignore[attr-defined]
            else:
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
                    _deliver_leaf(m, leaf, gi, gi is not g, graph, targets, captured,
                                  accumulate)
                continue
            prev = grads_of.get(m)
            if prev is None:
                grads_of[m] = (gi, gi is not g)
            else:
                grads_of[m] = (prev[0] + gi, True)
            n = deps[m] - 1
            deps[m] = n
            if n == 0:
                ready.append(m)
    return captured


# ---------------------------------------------------------------------------------------------
# Anomaly detection: a backward rule that returns NaN raises, naming the op.


class _Anomaly:
    enabled = False
    nan = True  # the check_nan setting
    check_nan = False  # enabled and nan: read once per backward pass


_anomaly = _Anomaly()


def _set_anomaly(mode: bool, check_nan: bool) -> None:
    _anomaly.enabled = bool(mode)
    _anomaly.nan = bool(check_nan)
    _anomaly.check_nan = _anomaly.enabled and _anomaly.nan


def _check_nan(node: Any, in_grads: Any) -> None:
    """Raise if a gradient ``node``'s backward returned holds a NaN (anomaly mode)."""
    for i, gi in enumerate(in_grads):
        if gi is None:
            continue
        a = gi._data if isinstance(gi, TensorBase) else gi
        kind = getattr(getattr(a, "dtype", None), "kind", None)
        if kind == "f" and bool(_dev.array_module(a).isnan(a).any()):
            label = node.node_name() if isinstance(node, Op) else f"{node.name}Backward0"
            raise RuntimeError(f"Function '{label}' returned nan values in its "
                               f"{i}th output.")


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (``detect_anomaly`` / ``set_detect_anomaly``)."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection, when on, checks the gradients for NaN."""
    return _anomaly.nan


class detect_anomaly:  # noqa: N801  (PyTorch's name)
    """Anomaly detection inside a ``with`` block or a decorated function, as
    ``torch.autograd.detect_anomaly``: every backward rule's gradients are checked, and one
    holding a NaN raises RuntimeError naming the op (``Function 'DivBackward0' returned nan
    values in its 1th output.``). Unlike PyTorch, the traceback of the forward op is not
    recorded. ``check_nan=False`` turns the mode on without the check."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = (_anomaly.enabled, _anomaly.nan)
        _set_anomaly(True, self.check_nan)

    def __exit__(self, *exc: Any) -> None:
        _set_anomaly(*self.prev)

    def __call__(self, fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801  (PyTorch's name)
    """Turn anomaly detection (see ``detect_anomaly``) on or off at once, as
    ``torch.autograd.set_detect_anomaly``; used as a ``with`` block, the previous setting
    comes back at its end."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (_anomaly.enabled, _anomaly.nan)
        _set_anomaly(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _set_anomaly(*self.prev)


class _VariableMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, TensorBase)


class Variable(metaclass=_VariableMeta):
    """PyTorch's deprecated ``Variable``: ``Variable(t, requires_grad=False)`` is a new leaf
    sharing ``t``'s storage (outside any graph) with that ``requires_grad``; every tensor is an
    instance of it."""

    def __new__(cls, data: Any = None, requires_grad: bool = False,  # type: ignore[misc]
                volatile: bool = False) -> Any:
        if data is None:
            from ..tensor import Tensor
            data = Tensor()
        if not isinstance(data, TensorBase):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()  # type: ignore[attr-defined]
        if requires_grad:
            t.requires_grad = True
        return t


def _run_plain(root, grad, retain_graph: bool) -> None:
    """``run_backward`` for the common case, kept lean: one root, first order, every leaf's
    ``.grad`` accumulated (the same steps, without create_graph's and inputs' branches)."""
    start = _edge(root)
    if start.__class__ is AccumulateGrad:
        _deliver_leaf(start, root, grad, False, False, None, None, True)
        return
    if start.next_fns is None:
        raise RuntimeError(_FREED)
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
    if _HOOK_WRAP[0] is None:
        _HOOK_WRAP[0] = root._wrap
    grads = {start: (grad, False)}
    ready = [start]
    check_nan = _anomaly.check_nan
    while ready:
        node = ready.pop()
        g, owned = grads.pop(node)
        if node._hooks is not None:
            g = _run_hooks(node._hooks, g, False)
        if node.retain is not None:
            t = node.retain()
            if t is not None:
                _store_grad(t, g, owned)
        nxt = node.next_fns
        in_grads = node.backward(g)
        if check_nan:
            _check_nan(node, in_grads)
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
                    if m._hooks is None and m.post_hooks is None:
                        _store_grad(leaf, gi, gi is not g)
                    else:
                        _deliver_leaf(m, leaf, gi, gi is not g, False, None, None, True)
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


def _dtype_of(np_dtype):
    from .. import dtypes  # a leaf module: no import cycle

    return dtypes.from_numpy_dtype(np_dtype)


def _deliver_leaf(acc, leaf, g, owned, graph, targets, captured, accumulate) -> None:
    """A gradient reaching a leaf: run its hooks, then capture it or accumulate it."""
    if acc._hooks is not None:
        g = _run_hooks(acc._hooks, g, graph)
    if targets:
        k = targets.get(acc)
        if k is not None:
            prev = captured[k]
            captured[k] = g if prev is None else prev + g
            if not accumulate:
                return
        elif not accumulate:
            return
    if graph:
        _store_grad_graph(leaf, g)
    else:
        _store_grad(leaf, g, owned)
    if acc.post_hooks is not None:
        for hook in list(acc.post_hooks):
            hook(leaf)


# ---------------------------------------------------------------------------------------------
# The user-facing entry points: backward, grad, hooks.


def _seed_grads(outputs, grad_outputs, create_graph: bool, who: str) -> list[Any]:
    """The starting gradient of each output: arrays, or Tensors when ``create_graph``."""
    seeds = []
    for k, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(o, TensorBase):
            raise TypeError(f"{who}: outputs must be Tensors, got {type(o).__name__}")
        if not o._requires_grad:
            raise RuntimeError(f"element {k} of tensors does not require grad and does not "
                               "have a grad_fn")
        d = o._data
        if g is None:
            if d.size != 1:
                arg = "gradient" if who == "backward" else "grad_outputs"
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {k} has "
                    f"shape {list(d.shape)}); pass {arg}=")
            arr = _dev.array_module(d).ones(d.shape, d.dtype)
            seeds.append(o._wrap(arr, None) if create_graph else arr)
            continue
        if isinstance(g, TensorBase):
            _dev.same_device_or_raise(d, g._data)
            if g._data.shape != d.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{k}] has a shape of "
                                   f"{list(g._data.shape)} and output[{k}] has a shape of "
                                   f"{list(d.shape)}.")
            if create_graph:
                seeds.append(g if g._data.dtype == d.dtype
                             else g.to(_dtype_of(d.dtype)))  # type: ignore[attr-defined]
            else:
                seeds.append(g._data if g._data.dtype == d.dtype else g._data.astype(d.dtype))
            continue
        if not hasattr(g, "__cuda_array_interface__") and np.asarray(g).dtype.kind not in "biuf":
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")  # not numbers: a str would be parsed
        arr = _dev.array_module(d).asarray(g, dtype=d.dtype)
        if arr.shape != d.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{k}] has a shape of "
                               f"{list(arr.shape)} and output[{k}] has a shape of "
                               f"{list(d.shape)}.")
        seeds.append(o._wrap(arr, None) if create_graph else arr)
    return seeds


def _as_list(x, what: str) -> list[Any]:
    if isinstance(x, TensorBase):
        return [x]
    if x is None:
        return []
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got "
                        f"{type(x).__name__}") from None


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves'
    ``.grad`` (or only into ``inputs``), as ``torch.autograd.backward``."""
    if isinstance(tensors, TensorBase) and inputs is None and not create_graph:
        # the common call (loss.backward()), without the list handling
        g = grad_tensors
        d = tensors._data
        if (isinstance(g, TensorBase) and tensors._requires_grad and g._data.shape == d.shape
                and g._data.dtype == d.dtype and g._data.__class__ is d.__class__):
            seed = g._data
            if d.__class__ is not np.ndarray:
                _dev.same_device_or_raise(d, seed)
        elif g is None and tensors._requires_grad and d.size == 1:
            seed = (np if d.__class__ is np.ndarray else _dev.array_module(d)).ones(d.shape,
                                                                                   d.dtype)
        else:
            (seed,) = _seed_grads((tensors,), (g,), False, "backward")
        _run_plain(tensors, seed, bool(retain_graph))
        return
    outs = _as_list(tensors, "tensors")
    if grad_tensors is None:
        gs = [None] * len(outs)
    elif isinstance(tensors, TensorBase):
        gs = [grad_tensors]  # one gradient (a Tensor, array or number) for one tensor
    else:
        gs = _as_list(grad_tensors, "grad_tensors")
    if len(gs) != len(outs):
        raise RuntimeError(f"got {len(gs)} grad_tensors for {len(outs)} tensors")
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _seed_grads(outs, gs, create_graph, "backward")
    ins = None
    if inputs is not None:
        ins = _as_list(inputs, "inputs")
        if not ins:
            raise RuntimeError("backward: inputs= was given but is empty")
        for t in ins:
            if not isinstance(t, TensorBase) or not t._requires_grad:
                raise RuntimeError("backward: every tensor in inputs= must require grad")
    if ins is None:
        run_backward(outs, seeds, bool(retain_graph), create_graph)
        return
    got = run_backward(outs, seeds, bool(retain_graph), create_graph, inputs=ins,
                       accumulate=False)
    for t, g in zip(ins, got):
        if g is None:
            continue
        if create_graph:
            _store_grad_graph(t, g)
        else:
            _store_grad(t, g, False)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per input), as
    ``torch.autograd.grad``; no ``.grad`` is changed. With ``create_graph=True`` the results
    have graphs and can be differentiated again."""
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported")
    outs = _as_list(outputs, "outputs")
    ins = _as_list(inputs, "inputs")
    if not ins:
        raise RuntimeError("grad requires at least one input")
    for k, t in enumerate(ins):
        if not isinstance(t, TensorBase):
            raise TypeError(f"autograd.grad: inputs[{k}] is a {type(t).__name__}, not a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{k}]) does not "
                               "require grad")
    if grad_outputs is None:
        gs = [None] * len(outs)
    elif isinstance(outputs, TensorBase):
        gs = [grad_outputs[0] if isinstance(grad_outputs, (list, tuple)) else grad_outputs]
    else:
        gs = _as_list(grad_outputs, "grad_outputs")
    if len(gs) != len(outs):
        raise RuntimeError(f"grad_outputs has {len(gs)} entries for {len(outs)} outputs")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    seeds = _seed_grads(outs, gs, create_graph, "grad")
    got = run_backward(outs, seeds, bool(retain_graph), create_graph, inputs=ins,
                       accumulate=False)
    result = []
    for k, (t, g) in enumerate(zip(ins, got)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{k}]) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                z = _dev.array_module(t._data).zeros_like(t._data)
                result.append(t._wrap(z, None))
            else:
                result.append(None)
        elif create_graph:
            result.append(g)
        else:
            result.append(t._wrap(_own(g, False), None))
    return tuple(result)


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_hook(t, hook) -> RemovableHandle:
    """Register ``hook(grad) -> Tensor or None`` on tensor ``t`` (see Tensor.register_hook)."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    node = _edge(t)
    if node._hooks is None:
        node._hooks = []
    node._hooks.append(hook)
    return RemovableHandle(node._hooks, hook)


def register_post_accumulate_grad_hook(t, hook) -> RemovableHandle:
    """Register ``hook(tensor)`` to run after leaf ``t``'s ``.grad`` is accumulated."""
    if t._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    acc = _edge(t)
    if acc.post_hooks is None:
        acc.post_hooks = []
    acc.post_hooks.append(hook)
    return RemovableHandle(acc.post_hooks, hook)


from .function import Function as Function  # noqa: E402  (built on the engine above)
from .function import FunctionCtx as FunctionCtx  # noqa: E402
from .function import once_differentiable as once_differentiable  # noqa: E402


def __getattr__(name: str) -> Any:
    """``autograd.gradcheck`` / ``gradgradcheck`` / ``functional``, loaded on first use (they
    are built on the ops, a layer above the engine)."""
    import importlib

    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        return getattr(importlib.import_module("gpugrad.gradcheck"), name)
    if name == "functional":
        return importlib.import_module("gpugrad.autograd.functional")
    raise AttributeError(f"module 'gpugrad.autograd' has no attribute {name!r}")
