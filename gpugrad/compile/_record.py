"""The recorder: values, storages and nodes of the call being captured.

While a call is captured, every tensor hands out a ``Rec`` (``_array``) instead of its array
(``_hooks`` swaps the tensor slots), and every operation on one becomes a ``Node`` over
numbered values. Each value lives in a storage (a block of memory: the arrays of an argument,
of a parameter, a constant, or one a call made); views share their base's storage. What the
recording cannot follow taints the capture (its program is dropped; the call itself completes
correctly, the arrays being real) or, for a bool or an integer read into Python, becomes a
guard re-checked on replay.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _device as _dev
from ..autograd import TensorBase
from ._array import (
    _DATA_SHAPED,
    _DATA_SHAPED_METHODS,
    _EMPTY,
    _INPLACE_FUNCS,
    _INPLACE_METHODS,
    _MISSING,
    _OUT_FUNCS,
    _OUT_METHODS,
    _STRUCTURAL,
    RECS,
    CaptureError,
    DeviceRec,
    HostRec,
    Namespace,
    Rec,
    _attr,
    _c_contiguous,
    _collect_recs,
    _contains_rec,
    _root,
    _unwrap,
    active,
    is_array,
)

# ndarray reductions as the ufunc reductions NumPy's _methods call (ufunc, dtype).
_REDUCTIONS = {"sum": (np.add, None), "prod": (np.multiply, None), "max": (np.maximum, None),
               "min": (np.minimum, None), "any": (np.logical_or, np.bool_),
               "all": (np.logical_and, np.bool_)}

# The slots of a tensor's arrays (swapped for recording descriptors during a capture).
_SLOTS = {"_data": TensorBase.__dict__["_data"], "_grad": TensorBase.__dict__["_grad"]}


@dataclass(eq=False)
class Ref:
    """A recorded value in a node's arguments."""

    vid: int


@dataclass(eq=False)
class Store:
    """A block of memory: ``kind`` is arg, persistent, gradin, const, created or op."""

    sid: int
    root: Any
    kind: str


@dataclass(eq=False)
class Val:
    """One array value: its storage, how it came to be, and its layout at capture."""

    vid: int
    sid: int
    shape: tuple[int, ...]
    dtype: Any
    contig: bool          # C-contiguous (a planned buffer reproduces its strides)
    is_root: bool         # the value is its storage's whole array (not a view)
    node: int | None = None  # producing node
    scalar: bool = False  # NumPy returned a scalar here (replays wrap it as a 0-d array)
    snap: Any = None      # the value at capture, for constants and creations
    arr: Any = None       # the array itself (its content at the end of the capture)


@dataclass(eq=False)
class Node:
    """One recorded operation.

    ``op``: call (``fn(*args, **kwargs)``), setattr (``obj.attr = args[0]``), guard
    (``fn(*args) == expect``, else the replay stops), rng (a draw), island (a Python call
    replayed as it is), version (``counter.v += args[0]``). ``outs``: new values (the first is
    what the call returns); ``writes``: existing values it writes in place; ``reads``: values
    it reads. ``out_kw``: the call can write its result into a given ``out=`` array.
    """

    op: str
    fn: Any = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    outs: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)
    out_kw: bool = False
    form: str = ""            # "copy" / "astype" / "create" / "empty" / "fill": replay forms
    errstate: dict | None = None
    obj: Any = None
    attr: str = ""
    expect: Any = None
    block: int | None = None  # index of the optimizer fast block it belongs to


class Recorder:
    """One capture: the values, storages and nodes of the call being recorded."""

    def __init__(self, fullgraph: bool, arg_paths: dict[int, Any]) -> None:
        self.fullgraph = fullgraph
        self.arg_paths = arg_paths  # id(tensor) -> its place among the arguments
        self.vals: list[Val] = []
        self.stores: list[Store] = []
        self.nodes: list[Node] = []
        self._sid_of_root: dict[int, int] = {}
        self._rec_of: dict[int, Rec] = {}  # id(real input array) -> its Rec
        self.tainted: str | None = None
        self.recording = True
        self.island = False  # inside an island: tensors hand out their real arrays
        self.known: dict[int, Any] = {}  # pre-existing tensors touched: id -> tensor
        self.created: dict[int, Any] = {}  # id -> weakref of tensors made inside the call
        self.touched: list[Any] = []  # weakrefs of tensors whose slots hold Recs
        self.entry: dict[tuple[int, str], tuple[Any, str, int | None]] = {}
        self.written: set[tuple[int, str]] = set()
        self.island_written: set[tuple[int, str]] = set()
        self.versions: dict[int, tuple[Any, int]] = {}  # id(counter) -> (counter, v at sight)
        self.blocks: list[dict[str, Any]] = []
        self.island_produced: set[int] = set()
        self.arg_versions: dict[int, int] = {}  # id(counter) -> argument index
        self.watched: dict[int, Any] = {}
        self.unstable: set[str] = set()  # where a floating guard failed before
        self._ns: dict[Any, Namespace] = {}
        self.errstate0 = np.geterr()

    # -- values ---------------------------------------------------------------------------

    def namespace(self, a: Any) -> Namespace:
        xp = np if isinstance(a, np.ndarray) else _dev.cupy()
        ns = self._ns.get(xp)
        if ns is None:
            ns = self._ns[xp] = Namespace(self, xp)
        return ns

    def _store(self, root: Any, kind: str) -> int:
        sid = self._sid_of_root.get(id(root))
        if sid is None:
            sid = len(self.stores)
            self.stores.append(Store(sid, root, kind))
            self._sid_of_root[id(root)] = sid
        return sid

    def _new_val(self, a: Any, kind: str, node: int | None = None, scalar: bool = False,
                 snap: bool = False) -> Rec:
        root = _root(a)
        known = id(root) in self._sid_of_root
        sid = self._store(root, kind)
        v = Val(len(self.vals), sid, a.shape, a.dtype, _c_contiguous(a),
                a is root or (not known and a.base is None), node, scalar,
                a.copy() if snap else None, a)
        self.vals.append(v)
        return (HostRec if isinstance(a, np.ndarray) else DeviceRec)(a, v.vid, self)

    def input(self, a: Any, kind: str) -> Rec:
        """A value the call finds (an argument's array, a parameter, a gradient)."""
        rec = self._rec_of.get(id(a))
        if rec is None:
            rec = self._new_val(a, kind)
            self._rec_of[id(a)] = rec
        return rec

    def const(self, a: Any) -> Rec:
        """A plain array met as an argument: a constant of the capture (its value now)."""
        snap = a.copy()
        rec = self._new_val(snap, "const")
        self.vals[rec.vid].snap = snap
        return rec

    def created_value(self, a: Any) -> Rec:
        """A plain array that became a tensor's data inside the call (``gpugrad.zeros``...)."""
        rec = self._new_val(a, "created", snap=True)
        self.nodes.append(Node("call", fn=_restore_copy, args=(), outs=[rec.vid],
                               form="create"))
        self.vals[rec.vid].node = len(self.nodes) - 1
        return rec

    # -- taint and reads into Python --------------------------------------------------------

    def taint(self, reason: str) -> None:
        if not self.recording or self.island:
            return
        if self.tainted is None:
            self.tainted = reason
        if self.fullgraph:
            raise CaptureError(f"gpugrad.compile(fullgraph=True): {reason}")

    def escape(self, rec: Rec, how: str) -> Any:
        """The real array of ``rec`` handed to Python as a whole: the capture is tainted."""
        if rec.r is self and self.recording:
            self.taint(f"{how} reads tensor data into Python")
        return rec.a

    def escape_attr(self, rec: Rec, name: str) -> Any:
        v = getattr(rec.a, name)
        if is_array(v):
            return self.call(_attr(name), (rec,), {})
        if name in ("data", "ctypes", "flat"):
            self.taint(f"`.{name}` exposes tensor memory to Python")
        return v

    def read(self, rec: Rec, conv: Any, how: str) -> Any:
        """``conv(value)`` into Python: a guard (the replay checks the value is the same).

        A floating value read where a replay once found it changed (a loss logged with
        ``.item()``) taints the capture instead: that reading follows the data."""
        value = conv(rec.a)
        if rec.r is not self or not self.recording or self.island:
            return value
        site = _site()
        floating = not isinstance(value, (bool, int))
        if rec.a.size != 1 or not isinstance(value, (bool, int, float)):
            self.taint(f"{how} reads tensor data into Python (data-dependent Python)")
        elif floating and site in self.unstable:
            self.taint(f"{how} reads a floating value that changes between calls into Python "
                       "(data-dependent Python)")
        else:
            self.nodes.append(Node("guard", fn=conv, args=(Ref(rec.vid),), reads=[rec.vid],
                                   expect=value, attr=site if floating else ""))
        return value

    # -- recording calls --------------------------------------------------------------------

    def _prep(self, x: Any, reads: list[int]) -> tuple[Any, Any]:
        """(template, real) of an argument: Recs become Refs, plain arrays constants."""
        c = x.__class__
        if c in RECS:
            if x.r is not self:
                return x.a, x.a  # a Rec of an earlier capture: its array is a constant
            reads.append(x.vid)
            return Ref(x.vid), x.a
        if c is tuple or c is list:
            pairs = [self._prep(y, reads) for y in x]
            return c(p[0] for p in pairs), c(p[1] for p in pairs)
        if c is dict:
            t, r = {}, {}
            for k, y in x.items():
                t[k], r[k] = self._prep(y, reads)
            return t, r
        if c is slice:
            (t0, r0), (t1, r1), (t2, r2) = (self._prep(x.start, reads),
                                            self._prep(x.stop, reads),
                                            self._prep(x.step, reads))
            return slice(t0, t1, t2), slice(r0, r1, r2)
        if is_array(x):
            rec = self.const(x)
            reads.append(rec.vid)
            return Ref(rec.vid), rec.a
        return x, x

    def _passthrough(self, fn: Any, args: Any, kwargs: Any, writes: tuple) -> Any:
        real_args = _unwrap(args)
        res = fn(*real_args, **_unwrap(kwargs))
        if writes and args and args[writes[0]].__class__ in RECS and res is real_args[writes[0]]:
            return args[writes[0]]
        return res

    def call(self, fn: Any, args: tuple, kwargs: dict, writes: tuple = (), out_kw: bool = False,
             form: str = "", result_scalar_ok: bool = True) -> Any:
        """Run ``fn(*args, **kwargs)`` on the real arrays and record it.

        ``writes``: positions of arguments the call writes in place; ``out=`` arrays in
        ``kwargs`` are written too.
        """
        if not self.recording or self.island:
            return self._passthrough(fn, args, kwargs, writes)
        reads: list[int] = []
        targs, rargs = self._prep(args, reads)
        tkw, rkw = self._prep(kwargs, reads)
        wvids = []
        for i in writes:
            a = args[i]
            if a.__class__ not in RECS or a.r is not self:
                self.taint("a write into an array that is not a tensor's")
                return self._passthrough(fn, args, kwargs, writes)
            wvids.append(a.vid)
        out = kwargs.get("out")
        if out is not None:
            for o in (out if isinstance(out, tuple) else (out,)):
                if o is None:
                    continue
                if o.__class__ not in RECS or o.r is not self:
                    self.taint("a write into an array that is not a tensor's")
                    return self._passthrough(fn, args, kwargs, writes)
                wvids.append(o.vid)
        es: Any = np.geterr()
        res = fn(*rargs, **rkw)
        node = Node("call", fn=fn, args=targs, kwargs=tkw, reads=reads, writes=wvids,
                    out_kw=out_kw and out is None, form=form,
                    errstate=None if es == self.errstate0 else es)
        return self._results(node, res, args, kwargs, rargs, rkw)

    def _results(self, node: Node, res: Any, args: Any, kwargs: Any, rargs: Any,
                 rkw: Any) -> Any:
        """Map what the call returned to values (new, views, or the arrays it was given)."""
        given: dict[int, Rec] = {}
        _collect_recs(args, given, self)
        _collect_recs(kwargs, given, self)
        by_real = {id(r.a): r for r in given.values()}
        idx = len(self.nodes)
        self.nodes.append(node)

        def one(x: Any) -> Any:
            if is_array(x):
                g = by_real.get(id(x))
                if g is not None:
                    return g
                rec = self._new_val(x, "op", idx)
                node.outs.append(rec.vid)
                return rec
            if isinstance(x, np.generic):
                rec = self._new_val(np.asarray(x), "op", idx, scalar=True)
                node.outs.append(rec.vid)
                return rec
            return _MISSING

        if res is None:
            return None
        r = one(res)
        if r is not _MISSING:
            return r
        if isinstance(res, (tuple, list)) and res and all(
                is_array(x) or isinstance(x, np.generic) for x in res):
            node.out_kw = False
            return type(res)(one(x) for x in res)
        # a Python value computed from arrays
        self.nodes.pop()
        if node.fn in _STRUCTURAL or not node.reads:
            return res
        if isinstance(res, (bool, int)) and not isinstance(res, np.generic):
            self.nodes.append(Node("guard", fn=node.fn, args=node.args, kwargs=node.kwargs,
                                   reads=node.reads, expect=res))
            return res
        self.taint(f"{getattr(node.fn, '__name__', node.fn)} returns tensor data to Python")
        return res

    def ufunc(self, u: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
        if isinstance(u, np.ufunc) and any(x.__class__ is DeviceRec for x in inputs):
            u = getattr(_dev.cupy(), u.__name__, u)  # CuPy's own (NumPy's would dispatch)
        out = kwargs.get("out")
        if isinstance(out, tuple) and len(out) == 1:
            kwargs = dict(kwargs, out=out[0])
        fn = u if method == "__call__" else getattr(u, method)
        writes: tuple = (0,) if method == "at" else ()
        out_kw = method in ("reduce", "accumulate", "outer") or (
            method == "__call__" and u.nout == 1)
        return self.call(fn, inputs, kwargs, writes=writes, out_kw=out_kw)

    def function(self, func: Any, args: tuple, kwargs: dict) -> Any:
        if func in _DATA_SHAPED:
            self.taint(f"{func.__name__} has a data-dependent shape")
        if func in (np.asarray, np.asanyarray, np.ascontiguousarray, np.array):
            return self.convert(func.__name__, func, *args, **kwargs)
        w = _INPLACE_FUNCS.get(func)
        return self.call(func, args, kwargs, writes=() if w is None else (w,),
                         out_kw=func in _OUT_FUNCS)

    def method(self, name: str, meth: Any, rec: Rec, *args: Any, **kwargs: Any) -> Any:
        if name in _DATA_SHAPED_METHODS:
            self.taint(f".{name}() has a data-dependent shape")
        if name in ("resize", "setflags", "tofile", "dump", "dumps", "byteswap"):
            self.escape(rec, f".{name}()")
            return meth(rec.a, *args, **kwargs)
        if name == "astype":
            dtype = np.dtype(args[0] if args else kwargs["dtype"])
            copy = kwargs.get("copy", args[4] if len(args) > 4 else True)
            if not copy and dtype == rec.a.dtype:
                return rec
            return self.call(meth, (rec,) + args, kwargs, form="astype")
        if name == "copy":
            return self.call(meth, (rec,) + args, kwargs, form="copy")
        red = _REDUCTIONS.get(name)
        if (red is not None and rec.a.__class__ is np.ndarray and len(args) <= 1
                and set(kwargs) <= {"axis", "keepdims"}):
            # what ndarray.sum & co. call (NumPy's _methods), minus a Python layer
            axis = args[0] if args else kwargs.get("axis")
            return self.call(red[0].reduce, (rec,),
                             {"axis": axis, "dtype": red[1],
                              "keepdims": kwargs.get("keepdims", False)}, out_kw=True)
        writes = (0,) if name in _INPLACE_METHODS else ()
        return self.call(meth, (rec,) + args, kwargs, writes=writes, out_kw=name in _OUT_METHODS)

    def create(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``zeros``, ``empty_like``, ``arange``...: a new array whose value the arguments fix."""
        if not self.recording or self.island:
            return fn(*_unwrap(args), **_unwrap(kwargs))
        if name.endswith("_like"):  # only the prototype's shape and dtype matter
            proto, rest = args[0], args[1:]
            kwargs = dict(kwargs)
            kwargs.setdefault("dtype", proto.dtype)
            kwargs.setdefault("shape", proto.shape)
            real = fn(_unwrap(proto), *_unwrap(rest), **_unwrap(kwargs))
            if real.__class__ is np.ndarray and not real.flags.c_contiguous:
                return self.call(fn, args, kwargs)
            fn = getattr(np if real.__class__ is np.ndarray else _dev.cupy(), name[:-5])
            shape = kwargs.pop("shape")
            args = (shape,) + rest
        else:
            real = fn(*_unwrap(args), **_unwrap(kwargs))
        node = Node("call", fn=fn, args=_unwrap(args), kwargs=_unwrap(kwargs),
                    form="empty" if name in _EMPTY else "create")
        self.nodes.append(node)
        rec = self._new_val(real, "op", len(self.nodes) - 1, snap=name not in _EMPTY)
        node.outs.append(rec.vid)
        return rec

    def convert(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``asarray`` and friends: a recorded array stays one (cast or copied if asked)."""
        if not self.recording or self.island or not args or args[0].__class__ not in RECS:
            if args and _contains_rec(args[0]) and self.recording and not self.island:
                self.taint(f"{name} of a list holding tensor data")
            return fn(*_unwrap(args), **_unwrap(kwargs))
        rec = args[0]
        dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
        copy = kwargs.get("copy", name == "array")
        if dtype is not None and np.dtype(dtype) != rec.a.dtype:
            return self.method("astype", type(rec.a).astype, rec, dtype)
        if copy or (name == "ascontiguousarray" and not rec.a.flags.c_contiguous):
            return self.method("copy", type(rec.a).copy, rec)
        return rec

    def kernel(self, kernel: Any, args: tuple) -> Any:
        """A device kernel-table row: recorded as one launch (outputs beyond its inputs are
        written in place; without them the launch returns new arrays)."""
        k = kernel.cuda_kernel()
        n_in = len([s for s in kernel.in_params.split(",") if s.strip()])
        writes = tuple(range(n_in, len(args)))
        return self.call(k, args, {}, writes=writes, out_kw=False)

    def sample(self, device: Any, on_host: Any, on_cuda: Any) -> Any:
        """A random draw: recorded so that a replay draws anew from the generator."""
        real = _dev.draw(device, on_host, on_cuda)
        if active() is not self or not self.recording or self.island:
            return real
        node = Node("rng", fn=_dev.draw, args=(device, on_host, on_cuda))
        self.nodes.append(node)
        rec = self._new_val(real, "op", len(self.nodes) - 1)
        node.outs.append(rec.vid)
        return rec

    # -- tensor slots -----------------------------------------------------------------------

    def slot_get(self, t: Any, attr: str, v: Any) -> Any:
        if self.island:
            return v.a if v.__class__ in RECS else v
        if v.__class__ in RECS:
            return v
        key = (id(t), attr)
        if self.is_created(t) or key in self.written:
            return v
        if v is None:
            if key not in self.entry:
                self.entry[key] = (t, attr, None)
                self.know(t)
            return None
        if not is_array(v):
            return v
        if attr == "_data":
            kind = "arg" if id(t) in self.arg_paths else "persistent"
        else:
            kind = "gradin"
        rec = self.input(v, kind)
        self.entry.setdefault(key, (t, attr, rec.vid))
        self.know(t)
        _SLOTS[attr].__set__(t, rec)
        self.touched.append(weakref.ref(t))
        return rec

    def slot_set(self, t: Any, attr: str, value: Any, fresh: bool) -> Any:
        """What to store in ``t.attr`` (recording the write where ``t`` outlives the call)."""
        if fresh:
            self.created[id(t)] = weakref.ref(t)
        if self.island:
            if not fresh and not self.is_created(t):
                self.island_written.add((id(t), attr))
            return value.a if value.__class__ in RECS else value
        if is_array(value):
            value = self.created_value(value)
        if value.__class__ in RECS and value.r is not self:
            value = value.a
        if value.__class__ in RECS:
            self.touched.append(weakref.ref(t))
        if not self.is_created(t):
            key = (id(t), attr)
            self.written.add(key)
            self.know(t)
            if value is None:
                self.nodes.append(Node("setattr", obj=t, attr=attr, args=(None,)))
            elif value.__class__ in RECS:
                self.nodes.append(Node("setattr", obj=t, attr=attr, args=(Ref(value.vid),),
                                       reads=[value.vid]))
            else:
                self.taint(f"{attr} of a tensor set to a {type(value).__name__}")
        return value

    def watch(self, optimizers: Any = None) -> None:
        """Remember the optimizers' hyperparameters (changed by the call itself: a taint)."""
        if optimizers is not None:
            self._watched_opts = list(optimizers)
        self.watched = {id(o): _group_snapshot(o) for o in getattr(self, "_watched_opts", ())}

    def watched_changed(self) -> bool:
        return any(_group_snapshot(o) != self.watched[id(o)]
                   for o in getattr(self, "_watched_opts", ()))

    def is_created(self, t: Any) -> bool:
        ref = self.created.get(id(t))
        return ref is not None and ref() is t

    def alive_created(self) -> list[Any]:
        return [t for t in (ref() for ref in self.created.values()) if t is not None]

    def know(self, t: Any) -> None:
        if id(t) not in self.known:
            self.known[id(t)] = t
            c = t._version
            self.versions.setdefault(id(c), (c, c.v))
            if id(t) in self.arg_paths:
                self.arg_versions[id(c)] = self.arg_paths[id(t)]

    def version_snapshot(self) -> dict[int, int]:
        return {k: c.v for k, (c, _) in self.versions.items()}


def _restore_copy(snap: Any) -> Any:
    return snap.copy()


def _group_snapshot(opt: Any) -> list[tuple[Any, tuple, tuple]]:
    return [(g, tuple((k, v) for k, v in g.items() if k != "params"), tuple(g["params"]))
            for g in opt.param_groups]


def _site() -> str:
    """Where, outside gpugrad.compile, a value is being read into Python (file:line)."""
    f: Any = sys._getframe(2)
    here = __file__.rsplit("/", 1)[0]
    while f is not None and f.f_code.co_filename.startswith(here):
        f = f.f_back
    return "?" if f is None else f"{f.f_code.co_filename}:{f.f_lineno}"
