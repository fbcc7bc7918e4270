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

from .. import _device as _dev
from .. import autograd as _ag
from .. import dtypes as _dt
from ..nn.module import Module
from ..tensor import Tensor
from . import _hooks, _outputs, _program, _reach
from ._array import CaptureError, DeviceRec, HostRec, active
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
      attributes of the modules and objects it reaches) are guarded: a change recaptures.
      Optimizer hyperparameters are read at replay time (a changed learning rate is used at
      once); a scheduler stepped inside is replayed as it is.
    - random numbers (dropout, ``randn``) are drawn anew on every replay, in eager's order.
    - a tensor value read into Python as a bool or an integer (``if loss > 1:``) is
      re-checked on replay before anything changes: when it differs, that call runs eagerly
      and the next recaptures. A floating value read into Python (``loss.item()``),
      ``tolist``, ``numpy()``, printing, an output whose graph leads out of the call, a
      tensor kept after it: the signature runs eagerly, with one warning.
    - a parameter's storage rebound (``p.data = ...``, ``.to()``): recaptured.

    ``cache_size_limit`` (8) programs are kept, the least recently used goes; a signature is
    recaptured at most ``recapture_limit`` (8) times. See the README's *Compile* section.

    Args:
        fn: the function or Module.
        mode: ``"default"`` (a flat replay), ``"reduce-overhead"`` (on CUDA, the replay as
            CUDA graphs; the same as default on the CPU), ``"max-autotune"`` (as
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
    _compiled_fn = True

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
        self._unstable: set[str] = set()  # sites whose floating value changed on a replay
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
                key += (_reach.key(args, leaves),)
            if kwargs:
                key += (_reach.key(kwargs, leaves),)
        except _reach.NoKeyError as e:
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
                    self._unstable.update(prog.failed)
                    prog.failed.clear()
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
            found = _reach.reach(self._fn, args, kwargs)
            arg_paths: dict[int, int] = {}
            for i, t in enumerate(leaves):
                arg_paths.setdefault(id(t), i)
            r = Recorder(self.fullgraph, arg_paths)
            r.unstable = self._unstable
            r.watch(found.optimizers)
            rng = _outputs.rng_snapshot()
            saved = _hooks.install(r, found.optimizers)
            try:
                result = self._fn(*args, **kwargs)
                outputs, out_vids, keep = _outputs.template(result, r, arg_paths)
                _outputs.check_alive(r, keep)
                _outputs.check_python_state(r, found, rng)
            finally:
                _hooks.uninstall(r, saved)
            try:
                prog = _program.build(r, outputs, out_vids, found.guards,
                                      _outputs.device_kind(leaves, r))
                if self.mode in ("reduce-overhead", "max-autotune"):
                    from ._cuda import attach_graph
                    attach_graph(prog)
            except CaptureError as e:
                if self.fullgraph:
                    raise
                entry.state, entry.program = "eager", None
                entry.reason = str(e)
                self._warn(str(e))
                return _outputs.restore(result)
        prog.build = _outputs.builder(prog.outputs)
        entry.state, entry.program = "compiled", prog
        self.captures += 1
        return _outputs.restore(result)


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
