"""``gpugrad.compile``: capture a call's array program once, replay it.

The first call with a given signature (the shapes, dtypes and devices of its tensor arguments,
its Python arguments, grad mode) runs eagerly; the second runs eagerly too while its every array
operation is recorded (``_record``); from then on the recorded program is replayed
(``_program``): a flat sequence of NumPy calls writing into planned buffers (``out=``), or on
CUDA with ``mode="reduce-overhead"`` one CUDA graph (``_cuda``). Whatever the recording cannot
see is guarded or read at replay time, and whatever cannot be guarded runs eagerly.
"""

from __future__ import annotations

import functools
import threading
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, overload

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import dtypes as _dt
from ..nn.module import Module
from ..tensor import Tensor
from . import _hooks, _program
from ._array import RECS, CaptureError, DeviceRec, HostRec, active, is_array
from ._record import Recorder

__all__ = ["CompiledFunction", "CompiledModule", "CaptureError", "compile"]

_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_BACKENDS = ("gpugrad", "eager")
_capture_lock = threading.RLock()  # captures patch classes: one at a time, process-wide

F = TypeVar("F", bound=Callable[..., Any])
_dev.register_array_proxy(HostRec, host=True)
_dev.register_array_proxy(DeviceRec, host=False)


@overload
def compile(fn: F, *, mode: str | None = ..., fullgraph: bool = ...,  # noqa: A001
            dynamic: bool | None = ..., backend: str | None = ..., disable: bool = ...) -> F: ...
@overload
def compile(fn: None = ..., *, mode: str | None = ..., fullgraph: bool = ...,  # noqa: A001
            dynamic: bool | None = ..., backend: str | None = ...,
            disable: bool = ...) -> Callable[[F], F]: ...
def compile(fn: Any = None, *, mode: str | None = "default", fullgraph: bool = False,  # noqa: A001
            dynamic: bool | None = None, backend: str | None = None,
            disable: bool = False) -> Any:
    """Capture the array program of ``fn`` (a function or a Module) once and replay it.

    Usable as ``gpugrad.compile(fn)``, ``@gpugrad.compile`` and ``@gpugrad.compile(...)``; a
    Module gives a :class:`CompiledModule` (its ``forward`` compiled; parameters, state dicts
    and attributes are the module's). The whole of a training step compiles: forward, loss,
    backward, ``optimizer.zero_grad()`` and ``optimizer.step()``.

    Per signature (the shapes, dtypes and devices of the tensor arguments, the values of the
    Python arguments, grad mode, default dtype), the first call runs eagerly, the second is
    run eagerly and recorded, later calls replay the recording. A replay gives what eager
    gives (bit for bit on the CPU); what it cannot reproduce is handled:

    - Python numbers that ``fn`` reads directly (its closure, the globals it names, the
      attributes of modules it reaches) are guarded: a change recaptures. Optimizer
      hyperparameters are read at replay time (a changed learning rate is used at once).
    - random numbers (dropout, ``randn``) are drawn anew on every replay.
    - a tensor value read into Python as a bool or an integer (``if (x > 0).any():``) is
      re-checked on replay: when it differs, that call runs eagerly and the next recaptures.
      A floating value read into Python (``loss.item()``), ``tolist``, ``numpy()``, printing,
      an output whose graph leads out of the call: the signature runs eagerly, with one
      warning.
    - a parameter's storage rebound (``p.data = ...``, ``.to()``): recaptured.

    At most ``8`` programs are kept (least recently used goes); a signature recaptured 8
    times runs eagerly from then on.

    Args:
        fn: the function or Module.
        mode: ``"default"`` (a flat replay), ``"reduce-overhead"`` (on CUDA, the replay as one
            CUDA graph; the same as default on the CPU), ``"max-autotune"`` (as
            reduce-overhead), ``"max-autotune-no-cudagraphs"`` (as default).
        fullgraph: raise :class:`CaptureError` instead of running eagerly.
        dynamic: accepted for PyTorch compatibility; every shape is its own capture.
        backend: ``None`` or ``"gpugrad"``; ``"eager"`` runs ``fn`` eagerly (for debugging).
        disable: return ``fn`` itself.
    """
    if mode is None:
        mode = "default"
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if backend is not None and backend not in _BACKENDS:
        raise ValueError(f"backend must be None, 'gpugrad' or 'eager', got {backend!r}")
    opts: dict[str, Any] = dict(mode=mode, fullgraph=bool(fullgraph), dynamic=dynamic,
                                eager=backend == "eager")

    def wrap(f: Any) -> Any:
        if disable:
            return f
        if isinstance(f, Module):
            return CompiledModule(f, **opts)
        if not callable(f):
            raise TypeError(f"gpugrad.compile expects a function or a Module, got "
                            f"{type(f).__name__}")
        return CompiledFunction(f, **opts)

    return wrap if fn is None else wrap(fn)


class _Entry:
    """The state of one signature: new (warm-up next), ready (capture next), compiled,
    eager (given up)."""

    __slots__ = ("state", "program", "captures", "reason")

    def __init__(self) -> None:
        self.state = "new"
        self.program: _program.Program | None = None
        self.captures = 0
        self.reason = ""


class CompiledFunction:
    """A function under :func:`gpugrad.compile`; call it as the function.

    Attributes:
        captures: how many programs have been recorded (first captures and recaptures).
        replays: how many calls replayed a program.
        eager_calls: how many calls ran eagerly (warm-ups, captures excluded, fallbacks).
        cache_size_limit: programs kept (least recently used goes; default 8).
        recapture_limit: captures of one signature before it runs eagerly for good (8).
        reasons: why signatures fell back to eager (one line each).
    """

    cache_size_limit = 8
    recapture_limit = 8

    def __init__(self, fn: Callable[..., Any], mode: str = "default", fullgraph: bool = False,
                 dynamic: bool | None = None, eager: bool = False) -> None:
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]
        self._fn = fn
        self.mode = mode
        self.fullgraph = fullgraph
        self.dynamic = dynamic
        self._eager = eager
        self._entries: OrderedDict[Any, _Entry] = OrderedDict()
        self._lock = threading.RLock()
        self._warned: set[str] = set()
        self.captures = 0
        self.replays = 0
        self.eager_calls = 0
        self.reasons: list[str] = []

    def __repr__(self) -> str:
        return f"<compiled {getattr(self._fn, '__qualname__', self._fn)!r}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else types.MethodType(self, obj)

    @property
    def programs(self) -> list[_program.Program]:
        """The programs held, most recently used last (``.source`` shows one's code)."""
        return [e.program for e in self._entries.values() if e.program is not None]

    # -- the call -------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._eager or active() is not None:
            return self._fn(*args, **kwargs)  # nested in a capture: part of the outer one
        leaves: list[Tensor] = []
        try:
            key: Any = (_ag._mode.enabled, _dt.default_float)
            if args:
                key += (_key(args, leaves),)
            if kwargs:
                key += (_key(kwargs, leaves),)
        except _NoKeyError as e:
            self._warn(f"an argument of type {e} (pass tensors: a capture would fix its values)")
            return self._run_eager(args, kwargs)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
                self._evict()
            else:
                self._entries.move_to_end(key)
            if entry.state == "compiled":
                prog = entry.program
                assert prog is not None
                out = prog.run(leaves)
                if out is _program.MISS:
                    return self._capture(entry, args, kwargs, leaves)
                if out is _program.FAIL:
                    entry.state = "ready"
                    return self._run_eager(args, kwargs)
                self.replays += 1
                if prog.fallbacks[0] >= 2 and entry.captures < self.recapture_limit:
                    entry.state = "ready"  # an optimizer's settings changed for good
                return prog.build(out, leaves)
            if entry.state == "new":
                entry.state = "ready"
                return self._run_eager(args, kwargs)
            if entry.state == "ready":
                return self._capture(entry, args, kwargs, leaves)
            return self._run_eager(args, kwargs)

    def _run_eager(self, args: tuple, kwargs: dict) -> Any:
        self.eager_calls += 1
        return self._fn(*args, **kwargs)

    def _evict(self) -> None:
        if len(self._entries) > self.cache_size_limit:
            self._warn_once(f"more than {self.cache_size_limit} signatures (shapes, dtypes, "
                            "Python argument values): the least recently used program goes, "
                            "and each new signature runs eagerly once before its capture; pass "
                            "values that change on every call as tensors")
        while len(self._entries) > self.cache_size_limit:
            self._entries.popitem(last=False)

    def _warn(self, reason: str) -> None:
        if reason not in self._warned:
            self.reasons.append(reason)
            self._warn_once(f"{reason}; running it eagerly")

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(f"gpugrad.compile: {self.__repr__()[1:-1]}: {message}", UserWarning,
                          stacklevel=4)

    def _capture(self, entry: _Entry, args: tuple, kwargs: dict, leaves: list[Tensor]) -> Any:
        if entry.captures >= self.recapture_limit and entry.program is not None and \
                entry.state == "ready":
            entry.state = "compiled"  # keep it: its optimizer step runs eagerly, correctly
            return self._run_eager(args, kwargs)
        if entry.captures >= self.recapture_limit:
            entry.state, entry.program = "eager", None
            self._warn(f"recaptured {entry.captures} times (its guards keep failing)")
            return self._run_eager(args, kwargs)
        entry.captures += 1
        with _capture_lock:
            found = _reach(self._fn, args, kwargs)
            arg_paths: dict[int, int] = {}
            for i, t in enumerate(leaves):
                arg_paths.setdefault(id(t), i)
            r = Recorder(self.fullgraph, arg_paths)
            r.watch(found.optimizers)
            saved = _hooks.install(r, found.optimizers)
            try:
                result = self._fn(*args, **kwargs)
                outputs, out_vids, keep = _template(result, r, arg_paths)
                _check_alive(r, keep)
                _check_python_state(r, found)
            finally:
                _hooks.uninstall(r, saved)
            try:
                prog = _program.build(r, outputs, out_vids, found.guards,
                                      _device_kind(leaves, r))
                if self.mode in ("reduce-overhead", "max-autotune"):
                    from ._cuda import attach_graph
                    attach_graph(prog)
            except CaptureError as e:
                if self.fullgraph:
                    raise
                entry.state, entry.program = "eager", None
                entry.reason = str(e)
                self._warn(str(e))
                return _restore(result)
        prog.build = _builder(prog.outputs)
        entry.state, entry.program = "compiled", prog
        self.captures += 1
        return _restore(result)


class CompiledModule(Module):
    """A Module under :func:`gpugrad.compile`: calls run its compiled ``forward``; everything
    else (parameters, state dicts, train/eval, ``to``, attributes) is the module's own."""

    def __init__(self, module: Module, **opts: Any) -> None:  # no Module.__init__: it
        object.__setattr__(self, "_orig_mod", module)       # would reset training
        # one registry with the module: parameters(), state_dict() and to() see the same
        object.__setattr__(self, "_parameters", module._parameters)
        object.__setattr__(self, "_buffers", module._buffers)
        object.__setattr__(self, "_modules", module._modules)
        object.__setattr__(self, "_non_persistent_buffers_set",
                           module._non_persistent_buffers_set)
        object.__setattr__(self, "_compiled", CompiledFunction(module.__call__, **opts))

    @property
    def training(self) -> bool:  # type: ignore[override]
        return self._orig_mod.training

    @training.setter
    def training(self, mode: bool) -> None:
        self._orig_mod.training = mode

    @property
    def compiled(self) -> CompiledFunction:
        """The compiled forward (its ``captures``, ``programs``...)."""
        return self.__dict__["_compiled"]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["_compiled"](*args, **kwargs)

    def train(self, mode: bool = True) -> CompiledModule:
        self._orig_mod.train(mode)
        return self

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_orig_mod"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "training":
            self._orig_mod.training = value
        else:
            setattr(self._orig_mod, name, value)

    def _get_name(self) -> str:
        return "Compiled" + self._orig_mod._get_name()

    def extra_repr(self) -> str:
        return self._orig_mod.extra_repr()


# --- signatures -------------------------------------------------------------------------------


class _NoKeyError(Exception):
    pass


_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def _key(x: Any, leaves: list[Tensor]) -> Any:
    """What a program depends on in an argument (tensor leaves are collected in order)."""
    c = x.__class__
    if isinstance(x, Tensor):
        leaves.append(x)
        d = x._data
        dev = d.device.id if d.__class__ is not np.ndarray else -1
        return (d.__class__, d.shape, d.dtype.str, d.strides, dev, x._requires_grad)
    if c in _SCALARS:
        return (c, x)
    if c is tuple or c is list:
        return (c, tuple(_key(y, leaves) for y in x))
    if c is dict:
        return (c, tuple((k, _key(y, leaves)) for k, y in x.items()))
    if isinstance(x, (tuple, list)):  # a named tuple
        return (c, tuple(_key(y, leaves) for y in x))
    if isinstance(x, (np.dtype, _dt.dtype, _dev.Device, slice)):
        return (c, x)
    if isinstance(x, np.ndarray) or is_array(x) or isinstance(x, np.generic):
        raise _NoKeyError(type(x).__name__)  # its values would be fixed by the capture
    return (c, id(x))  # a module, an optimizer, any object: by identity (what the program
    #                    reads of it, tensors and numbers, is guarded)


# --- what the call can reach: optimizers to wrap, Python values to guard ----------------------


class _Found:
    def __init__(self) -> None:
        self.optimizers: list[Any] = []
        self.guards: list[tuple[str, Any, Any, Any]] = []  # (kind, holder, name, value)


_GUARDED = (bool, int, float, str, type(None))
_SKIP_ATTRS = {"_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"}


def _reach(fn: Any, args: tuple, kwargs: dict) -> _Found:
    """The optimizers and the guarded Python values (module attributes, closure cells, the
    globals the code names) reachable from ``fn`` and its arguments, a few levels deep."""
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer

    found = _Found()
    seen: set[int] = set()

    def guard_dict(d: dict, kind: str = "dict") -> None:
        for k, v in d.items():
            if k not in _SKIP_ATTRS and type(v) in _GUARDED:
                found.guards.append((kind, d, k, v))

    def code_names(code: types.CodeType, out: set[str]) -> None:
        out.update(code.co_names)
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                code_names(c, out)

    def visit(obj: Any, depth: int) -> None:
        if depth > 4 or id(obj) in seen or isinstance(obj, (Tensor, type, types.ModuleType)):
            return
        if type(obj) in _GUARDED or isinstance(obj, np.ndarray):
            return
        seen.add(id(obj))
        if isinstance(obj, Module):
            for m in obj.modules():
                if id(m) not in seen:
                    seen.add(id(m))
                    guard_dict(m.__dict__)
                    for v in m.__dict__.values():
                        if not isinstance(v, (dict, Tensor)):
                            visit(v, depth + 1)
            return
        if isinstance(obj, Optimizer):
            found.optimizers.append(obj)
            return
        if isinstance(obj, LRScheduler):
            visit(obj.optimizer, depth + 1)
            return
        if isinstance(obj, (list, tuple, set, frozenset)):
            for y in list(obj)[:64]:
                visit(y, depth + 1)
            return
        if isinstance(obj, dict):
            for y in list(obj.values())[:64]:
                visit(y, depth + 1)
            return
        if isinstance(obj, functools.partial):
            visit(obj.func, depth + 1)
            visit(obj.args, depth + 1)
            visit(obj.keywords, depth + 1)
            return
        if isinstance(obj, types.MethodType):
            visit(obj.__self__, depth + 1)
            visit(obj.__func__, depth + 1)
            return
        if isinstance(obj, CompiledFunction):
            visit(obj._fn, depth + 1)
            return
        if isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    v = cell.cell_contents
                except ValueError:
                    continue
                if type(v) in _GUARDED:
                    found.guards.append(("cell", cell, "", v))
                else:
                    visit(v, depth + 1)
            names: set[str] = set()
            code_names(obj.__code__, names)
            g = obj.__globals__
            for nm in names:
                if nm in g:
                    v = g[nm]
                    if type(v) in _GUARDED:
                        found.guards.append(("dict", g, nm, v))
                    else:
                        visit(v, depth + 1)
            visit(obj.__defaults__, depth + 1)
            return
        d = getattr(obj, "__dict__", None)
        if isinstance(d, dict):
            guard_dict(d)
            for v in list(d.values())[:64]:
                visit(v, depth + 1)

    visit(fn, 0)
    visit(args, 1)
    visit(kwargs, 1)
    return found


# --- outputs ----------------------------------------------------------------------------------


def _template(result: Any, r: Recorder, arg_paths: dict[int, int]) -> tuple[Any, list[int], list]:
    """How to rebuild the call's result from the replay's arrays."""
    out_vids: list[int] = []
    keep: list[Any] = []

    def t(x: Any) -> Any:
        c = x.__class__
        if isinstance(x, Tensor):
            keep.append(x)
            if id(x) in arg_paths:
                return ("arg", arg_paths[id(x)])
            if not r.is_created(x):
                return ("same", x)
            d = x._data
            fn = x._grad_fn
            if fn is not None and not _spent(fn):
                r.taint("an output requires grad (its backward would run outside the call)")
            if d.__class__ not in RECS:
                r.taint("an output tensor holds data the capture did not follow")
                return ("same", x)
            out_vids.append(d.vid)
            return ("tensor", len(out_vids) - 1, x._requires_grad, fn, c)
        if c in RECS:
            out_vids.append(x.vid)
            return ("array", len(out_vids) - 1)
        if c is tuple or c is list:
            return ("seq", c, [t(y) for y in x])
        if isinstance(x, tuple) and hasattr(x, "_fields"):
            return ("named", c, [t(y) for y in x])
        if c is dict:
            return ("dict", c, {k: t(y) for k, y in x.items()})
        if is_array(x):
            r.taint("the call returns an array the capture did not follow")
        return ("lit", x)

    return t(result), out_vids, keep


def _spent(fn: Any) -> bool:
    """Whether a backward from graph node ``fn`` would raise, as it does when it reaches a
    node already released by a backward (then the graph is released, its arrays freed)."""
    stack, seen, live = [fn], set(), []
    spent = False
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or node.__class__ is _ag.AccumulateGrad:
            continue
        seen.add(id(node))
        if node.next_fns is None:
            spent = True
            continue
        live.append(node)
        stack.extend(node.next_fns)
    if spent:
        for node in live:
            node.release()
    return spent


def _check_alive(r: Recorder, keep: list[Any]) -> None:
    """A tensor made inside the call that outlives it (stored somewhere) is Python state the
    replay would not make: taint."""
    kept = {id(x) for x in keep}
    for t in r.alive_created():
        if id(t) not in kept:
            r.taint("a tensor made inside the call is kept after it (a side effect the replay "
                    "would not repeat)")
            return


def _check_python_state(r: Recorder, found: _Found) -> None:
    """The guarded Python values and the optimizers' hyperparameters must be as they were
    before the call: a call that changes them has side effects a replay would not repeat."""
    if r.watched_changed():
        r.taint("the call changes optimizer hyperparameters itself (a Python side effect the "
                "replay would not repeat)")
    for kind, holder, key, value in found.guards:
        now = holder.cell_contents if kind == "cell" else holder.get(key, _program._ABSENT)
        if now is not value and now != value:
            r.taint(f"the call changes the Python value {key or 'of a closure variable'!s} "
                    "(a side effect the replay would not repeat)")
            return


def _builder(spec: Any) -> Any:
    """``build(arrays, leaves)``: the call's result from a replay's arrays (a single tensor,
    the usual result of a step, the fast way)."""
    if spec[0] == "tensor":
        i, grad, fn = spec[1], spec[2], spec[3]
        wrap = Tensor._wrap

        def one(arrays: tuple, leaves: list[Tensor]) -> Any:
            t = wrap(arrays[i], None)
            if grad:
                t._requires_grad, t._grad_fn = True, fn
            return t
        return one
    return functools.partial(_build, spec)


def _build(spec: Any, arrays: tuple, leaves: list[Tensor]) -> Any:
    kind = spec[0]
    if kind == "tensor":
        t = Tensor._wrap(arrays[spec[1]], None)
        if spec[2]:
            t._requires_grad, t._grad_fn = True, spec[3]
        return t
    if kind == "lit":
        return spec[1]
    if kind == "same":
        return spec[1]
    if kind == "arg":
        return leaves[spec[1]]
    if kind == "array":
        return arrays[spec[1]]
    if kind == "seq":
        return spec[1](_build(s, arrays, leaves) for s in spec[2])
    if kind == "named":
        return spec[1](*[_build(s, arrays, leaves) for s in spec[2]])
    return spec[1]((k, _build(s, arrays, leaves)) for k, s in spec[2].items())


def _restore(x: Any) -> Any:
    """The capture call's own result, with any recorded array replaced by its real array."""
    c = x.__class__
    if c in RECS:
        return x.a
    if c is tuple or c is list:
        return c(_restore(y) for y in x)
    if c is dict:
        return {k: _restore(y) for k, y in x.items()}
    return x


def _device_kind(leaves: list[Tensor], r: Recorder) -> str:
    for v in r.vals:
        if v.arr is not None:
            return "cpu" if isinstance(v.arr, np.ndarray) else "cuda"
    return "cpu"
