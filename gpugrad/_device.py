"""Devices: where a tensor's storage lives, and the array module that computes on it.

This is the only module that imports CuPy. It does so lazily, on the first question about CUDA,
and treats every failure (CuPy missing, no driver, no device) as "CUDA unavailable": importing
gpugrad never raises because of CUDA. Where NumPy and CuPy differ, the difference lives here.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any, cast

import numpy as np

_INSTALL_HINT = (
    "install CuPy for your CUDA version on a machine with an NVIDIA GPU and driver: "
    'pip install "gpugrad[cuda12]" (or "gpugrad[cuda13]"); from a source checkout, '
    'pip install ".[cuda12]" (or ".[cuda13]")'
)


class Device:
    """A device: ``Device("cpu")``, ``Device("cuda")``, ``Device("cuda:1")``, ``Device("cuda", 1)``.

    ``"cuda"`` without an index means the current CUDA device; tensors always report a concrete
    index. A malformed name raises RuntimeError (as PyTorch's ``torch.device``).
    """

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, spec: str | Device = "cpu", index: int | None = None) -> None:
        if isinstance(spec, Device):
            kind, idx = spec.type, spec.index
        elif isinstance(spec, str):
            kind, _, rest = spec.strip().partition(":")
            idx = None
            if rest:
                if not rest.isdigit():
                    raise RuntimeError(f"invalid device {spec!r}: the index must be a number")
                idx = int(rest)
        else:
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {spec!r}")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"unknown device type {kind!r} in {spec!r}: expected 'cpu' or "
                               "'cuda'")
        if index is not None:
            if idx is not None and idx != index:
                raise RuntimeError(f"device {spec!r} given with a different index {index}")
            idx = int(index)
        if kind == "cpu" and idx not in (None, 0):
            raise RuntimeError(f"the cpu device has no index {idx}")
        self.type = kind
        self.index = None if kind == "cpu" else idx

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = Device("cpu")

# ---------------------------------------------------------------------------------------------
# CuPy, loaded once on demand.

_cupy = None
_cupy_error: str | None = None
_cupy_checked = False


def _load_cupy():
    global _cupy, _cupy_error, _cupy_checked
    if _cupy_checked:
        return _cupy
    _cupy_checked = True
    try:
        import cupy

        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            raise RuntimeError("the CUDA driver reports no device")
        _cupy = cupy
    except Exception as e:  # ImportError, CUDARuntimeError, driver errors: all mean unavailable
        _cupy_error = f"{type(e).__name__}: {e}".strip()
        _cupy = None
        return None
    try:
        _on_cupy_loaded(_cupy)
    except Exception as e:  # settings and statistics must never make CUDA unusable
        warnings.warn(f"gpugrad: CUDA works, but applying its settings failed ({e!r}); "
                      "allow_tf32 and max_memory_allocated may not take effect", stacklevel=2)
    return _cupy


def cuda_is_available() -> bool:
    """True only when CuPy imports and at least one CUDA device answers. Never raises."""
    return _load_cupy() is not None


def cuda_device_count() -> int:
    """The number of CUDA devices CuPy sees; 0 when CUDA is unavailable. Never raises."""
    cp = _load_cupy()
    if cp is None:
        return 0
    try:
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def _on_cupy_loaded(cp) -> None:
    """Apply the settings made before CuPy was loaded, and count peak memory."""
    if _tf32 is not None:
        _apply_tf32(cp)
    pool = cp.get_default_memory_pool()
    if cp.cuda.get_allocator() != pool.malloc:
        return  # the user installed an allocator: leave it (peaks then read 0)

    def malloc(size):
        mem = pool.malloc(size)
        used = pool.used_bytes()
        if used > _peak.get(mem.device_id, 0):
            _peak[mem.device_id] = used
        return mem

    cp.cuda.set_allocator(malloc)


def cupy():
    """The CuPy module, or a RuntimeError saying why CUDA is unavailable and how to fix it."""
    cp = _load_cupy()
    if cp is None:
        raise RuntimeError(f"CUDA is not available ({_cupy_error}); {_INSTALL_HINT}")
    return cp


def _check_cuda_index(index: int) -> None:
    n = cuda_device_count()
    if index >= n:
        raise RuntimeError(f"CUDA device {index} requested, but only {n} CUDA device(s) exist")


def resolve(device) -> Device:
    """A concrete Device (CUDA with its index); raises if CUDA is asked for and absent."""
    d = device if isinstance(device, Device) else Device(device)
    if d.type == "cuda":
        cp = cupy()
        if d.index is None:
            d = Device("cuda", cp.cuda.runtime.getDevice())
        else:
            _check_cuda_index(d.index)
    return d


def _spec(device) -> Device:
    """A Device from a string, a Device, or an int (a CUDA index)."""
    if isinstance(device, int) and not isinstance(device, bool):
        return Device("cuda", device)
    return device if isinstance(device, Device) else Device(device)


# The device of factories called without device= (None: not set, the CPU).
_default_device: Device | None = None


def set_default_device(device) -> None:
    """Set (or, with None, clear) the device factories use when given none. CUDA is checked
    now: asking for it where it is unavailable raises."""
    global _default_device
    if device is None:
        _default_device = None
        return
    d = _spec(device)
    resolve(d)
    _default_device = d


def get_default_device() -> Device:
    """The device factories use when given none, with its index for CUDA."""
    return resolve(_default_device) if _default_device is not None else CPU


def factory_device(device):
    """``device`` if given, else the default device once one is set, else None (``tensor()``
    then keeps the data's own device)."""
    if device is not None:
        return _spec(device)
    return _default_device


def target_device(device) -> Device:
    """The concrete device a factory builds on: ``device``, else the default device."""
    if device is None:
        return CPU if _default_device is None else resolve(_default_device)
    return resolve(_spec(device))


# Array types that stand in for NumPy or CuPy arrays (gpugrad.compile's recording arrays):
# each names its array module in ``xp``; those registered as host arrays count as NumPy's.
_proxies: dict[type, bool] = {}
#: The two common floating dtypes: hot paths test ``dt is F32 or dt is F64`` before the
#: costlier ``dt.kind == "f"``.
F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
_HOST: tuple[type[Any], ...] = (np.ndarray, np.generic)
_HOST_ARRAYS: tuple[type[Any], ...] = (np.ndarray,)


def register_array_proxy(cls: type, host: bool) -> None:
    """Let instances of ``cls`` stand in for arrays: ``array_module`` answers their ``xp``,
    and with ``host`` they count as host (NumPy) arrays in every device question."""
    global _HOST, _HOST_ARRAYS
    _proxies[cls] = host
    if host and cls not in _HOST:
        _HOST, _HOST_ARRAYS = _HOST + (cls,), _HOST_ARRAYS + (cls,)


def array_module(array):
    """NumPy for host arrays, CuPy for device arrays (a proxy array's own ``xp``)."""
    if isinstance(array, np.ndarray):
        return np
    if array.__class__ in _proxies:
        return array.xp
    return cupy()


def device_of(array) -> Device:
    if isinstance(array, _HOST):
        return CPU
    return Device("cuda", array.device.id)


def xp_of(device: Device):
    return np if device.type == "cpu" else cupy()


def to_device(array, device: Device):
    """``array`` (NumPy, CuPy, or anything array-like) on ``device``; no copy if already there."""
    if device.type == "cpu":
        if isinstance(array, _HOST_ARRAYS):
            return array
        if hasattr(array, "get") and not isinstance(array, np.generic):
            return array.get()
        return np.asarray(array)
    cp = cupy()
    if array.__class__ in _proxies and cast(Any, array).device.id == device.index:
        return array
    with cp.cuda.Device(device.index):
        if isinstance(array, cp.ndarray) and array.device.id != device.index:
            return cp.array(array, copy=True)  # a peer copy to this device
        return cp.asarray(array)


def synchronize(device=None) -> None:
    """Wait for all work on the CUDA device to finish (a no-op without CUDA work)."""
    cp = cupy()
    d = resolve(device if device is not None else "cuda")
    with cp.cuda.Device(d.index):
        cp.cuda.Device().synchronize()


def same_device_or_raise(a, b) -> None:
    """Raise, naming both devices, unless the arrays ``a`` and ``b`` live on one device."""
    host = _HOST
    host_a, host_b = isinstance(a, host), isinstance(b, host)
    if host_a and host_b or not (host_a or host_b) and a.device.id == b.device.id:
        return
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{device_of(a)} and {device_of(b)}!"
    )


# ---------------------------------------------------------------------------------------------
# Where NumPy and CuPy differ.


def fix_scalar(x):
    """NumPy turns 0-d results into scalars (``np.tanh(0-d array)``, ``a.sum()``): make them
    0-d arrays again. Everything else passes through unchanged."""
    if x.__class__ is not np.ndarray and isinstance(x, np.generic):
        return np.asarray(x)
    return x


def constant(a, like):
    """A non-Tensor op argument as something the array module of ``like`` takes: a Python
    number, or an array on ``like``'s device. A floating constant never promotes a floating
    tensor (it takes the tensor's dtype)."""
    if isinstance(a, np.generic):
        return a.item()
    if isinstance(a, (int, float, bool)):
        return a
    xp = array_module(like)
    arr = xp.asarray(a) if xp is np else to_device(a, device_of(like))
    if arr.dtype.kind == "f" and like.dtype.kind == "f":
        arr = arr.astype(like.dtype, copy=False)
    return arr


def to_host(array) -> np.ndarray:
    """A NumPy array with ``array``'s values: the array itself on the CPU, a copy from a GPU."""
    if isinstance(array, np.ndarray):
        return array
    return array.get()


def on_device(device: Device):
    """A context manager making ``device`` current for CuPy allocations (a no-op on the CPU)."""
    if device.type == "cpu":
        return _NO_CONTEXT
    return cupy().cuda.Device(device.index)


_NO_CONTEXT = contextlib.nullcontext()  # reusable: it holds no state


def call_on(device: Device, fn, *args):
    """``fn(xp, *args)`` with ``device`` current, ``xp`` its array module (the factories' one
    path: the CPU's needs no context)."""
    if device.type == "cpu":
        return fn(np, *args)
    with on_device(device):
        return fn(cupy(), *args)


def scatter_add(target, index, values) -> None:
    """``target[index] += values`` with repeated indices accumulated (NumPy's ``add.at``)."""
    if isinstance(target, _HOST_ARRAYS):
        np.add.at(target, index, values)
    elif target.__class__ in _proxies:
        cast(Any, target).xp.scatter_add(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


def scatter_reduce(target, index, values, how: str) -> None:
    """``target[index] = how(target[index], values)`` with every repeated index applied
    (NumPy's ``maximum.at`` / ``minimum.at`` / ``multiply.at``); ``how``: max, min or mul."""
    if isinstance(target, np.ndarray):
        {"max": np.maximum, "min": np.minimum, "mul": np.multiply}[how].at(target, index, values)
        return
    import cupyx

    if how == "mul":  # CuPy has no multiply.at
        scatter_multiply_rounds(cupy(), target, index, values)
    else:
        (cupyx.scatter_max if how == "max" else cupyx.scatter_min)(target, index, values)


def scatter_multiply_rounds(xp, target, index, values) -> None:
    """``multiply.at`` from plain array ops (``index``: a tuple of integer arrays): round k
    multiplies in the k-th value sent to each place, so no round writes a place twice."""
    *keys, vals = xp.broadcast_arrays(*index, xp.asarray(values, target.dtype))
    shape = target.shape
    pos = xp.ravel_multi_index(tuple(k % n for k, n in zip(keys, shape)), shape).reshape(-1)
    if not pos.size:
        return
    order = xp.argsort(pos, kind="stable")
    pos, vals = pos[order], vals.reshape(-1)[order]
    start = xp.ones(pos.size, bool)
    start[1:] = pos[1:] != pos[:-1]
    rank = xp.arange(pos.size) - xp.flatnonzero(start)[xp.cumsum(start) - 1]
    flat = target.reshape(-1).copy()
    for k in range(int(rank.max()) + 1):
        sel = rank == k
        flat[pos[sel]] *= vals[sel]
    target[...] = flat.reshape(shape)


def erf(x, out=None):
    """The error function, elementwise, on either device."""
    if isinstance(x, _HOST_ARRAYS):
        from scipy.special import erf as _erf
    elif x.__class__ in _proxies:
        return x.xp.erf(x, out=out)
    else:
        from cupyx.scipy.special import erf as _erf
    return _erf(x) if out is None else _erf(x, out=out)


def erfc(x):
    """The complementary error function ``1 - erf(x)`` (accurate where erf is near 1)."""
    if isinstance(x, np.ndarray):
        from scipy.special import erfc as _erfc
    else:
        from cupyx.scipy.special import erfc as _erfc
    return _erfc(x)


# ---------------------------------------------------------------------------------------------
# Random numbers. A RandomEngine is the state behind one ``gpugrad.Generator``: on the CPU a NumPy
# Generator (PCG64, its state read and restored exactly); on CUDA a CuPy RandomState (Philox) that
# is reseeded before every draw from (seed, number of draws so far), so that those two integers
# are the whole state. Each device has a default engine; ``gpugrad.manual_seed`` seeds them all.

#: The seed of a new ``gpugrad.Generator`` (PyTorch's default_rng_seed_val).
DEFAULT_SEED = 67280421310721
_U64 = (1 << 64) - 1
_STATE_MAGIC = 0x6767_7267_0000_0000  # the first word of a state; the low bits name the kind
_PCG64, _PHILOX = 1, 2


def normalize_seed(seed) -> int:
    """``seed`` as an unsigned 64-bit integer, as PyTorch takes it: ``int(seed)`` within
    ``[-2**63, 2**64 - 1]``, negative values wrapped modulo ``2**64``."""
    try:
        value = int(seed)
    except (TypeError, ValueError):
        raise TypeError(f"seed must be an integer, got {seed!r}") from None
    if not -(1 << 63) <= value <= _U64:
        raise ValueError(f"seed must be within [-2**63, 2**64 - 1], got {value}")
    return value & _U64


def nondeterministic_seed() -> int:
    """A fresh 64-bit seed from the operating system's entropy."""
    return int.from_bytes(os.urandom(8), "little")


def _as_i64(u: int) -> int:
    """An unsigned 64-bit integer stored in a signed int64 word (two's complement)."""
    return u - (1 << 64) if u >> 63 else u


class RandomEngine:
    """The state of one generator on one device (see the section comment above)."""

    __slots__ = ("device", "_seed", "_rng", "_draws")
    _rng: Any  # numpy.random.Generator (CPU) or cupy.random.RandomState (CUDA, made lazily)

    def __init__(self, device: Device, seed: int = DEFAULT_SEED) -> None:
        self.device = device
        self._rng = None  # a CuPy RandomState, made on first use (CUDA only)
        self.manual_seed(seed)

    def manual_seed(self, seed) -> None:
        """Restart from ``seed``."""
        self._seed = normalize_seed(seed)
        self._draws = 0
        if self.device.type == "cpu":
            self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def initial_seed(self) -> int:
        """The seed this engine last started from."""
        return self._seed

    def draw(self, on_host, on_cuda):
        """``on_host(numpy Generator)`` on the CPU; on CUDA ``on_cuda(cupy RandomState)`` on
        the engine's device, with the RandomState reseeded for this draw. Recorded while
        ``gpugrad.compile`` captures a call (``sample_hook``)."""
        if sample_hook is not None:
            return sample_hook(self, on_host, on_cuda)
        return self.raw_draw(on_host, on_cuda)

    def raw_draw(self, on_host, on_cuda):
        """``draw`` itself, never recorded."""
        if self.device.type == "cpu":
            return on_host(self._rng)
        cp = cupy()
        with cp.cuda.Device(self.device.index):
            if self._rng is None:
                self._rng = cp.random.RandomState(
                    0, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
            key = np.random.SeedSequence([self._seed, self._draws]).generate_state(1, np.uint64)
            self._rng.seed(int(key[0]))
            self._draws += 1
            return on_cuda(self._rng)

    def get_state(self) -> np.ndarray:
        """The whole state as int64 words: a kind tag, the seed, then the generator's words."""
        if self.device.type == "cpu":
            st = self._rng.bit_generator.state
            s, inc = st["state"]["state"], st["state"]["inc"]
            words = [_STATE_MAGIC | _PCG64, self._seed, s >> 64, s & _U64, inc >> 64, inc & _U64,
                     st["has_uint32"], st["uinteger"]]
        else:
            words = [_STATE_MAGIC | _PHILOX, self._seed, self._draws]
        return np.array([_as_i64(w) for w in words], dtype=np.int64)

    def set_state(self, words: np.ndarray) -> None:
        """Restore a state from ``get_state`` (of an engine of the same device type)."""
        kind = _PCG64 if self.device.type == "cpu" else _PHILOX
        size = 8 if kind == _PCG64 else 3
        w = [int(x) & _U64 for x in np.asarray(words).reshape(-1)]
        if len(w) != size or w[0] != _STATE_MAGIC | kind:
            raise RuntimeError(f"not a {self.device.type} generator state: expected the "
                               f"{size} int64 words that get_state() of a {self.device.type} "
                               f"Generator returns, got {len(w)} word(s)"
                               + ("" if len(w) != size else " with another tag"))
        if kind == _PCG64:
            bits = np.random.PCG64()
            bits.state = {"bit_generator": "PCG64",
                          "state": {"state": (w[2] << 64) | w[3], "inc": (w[4] << 64) | w[5]},
                          "has_uint32": w[6], "uinteger": w[7]}
            self._rng = np.random.Generator(bits)
        else:
            self._draws = w[2]
        self._seed = w[1]


_engines: dict[Device, RandomEngine] = {}
# Seeds given to CUDA default engines before they exist (key: device index; None: every device).
_pending_cuda_seeds: dict[int | None, int] = {}


def default_engine(device: Device) -> RandomEngine:
    """The default generator state of ``device`` (a concrete device: CUDA with its index)."""
    e = _engines.get(device)
    if e is None:
        seed: int | None = None
        if device.type == "cuda":
            seed = _pending_cuda_seeds.get(device.index, _pending_cuda_seeds.get(None))
        if seed is None:
            seed = nondeterministic_seed()
        e = _engines[device] = RandomEngine(device, seed)
    return e


def seed_cuda(seed, index: int | None = None) -> None:
    """Seed CUDA device ``index``'s default generator, or every CUDA device's (``None``), now
    or, for devices not used yet, when they are first used. Never raises for lack of CUDA."""
    seed = normalize_seed(seed)
    if index is None:
        _pending_cuda_seeds.clear()
    _pending_cuda_seeds[index] = seed
    for dev, e in _engines.items():
        if dev.type == "cuda" and (index is None or dev.index == index):
            e.manual_seed(seed)


def manual_seed(seed) -> None:
    """Seed the default generator of every device (CUDA devices included, even future ones)."""
    seed = normalize_seed(seed)
    default_engine(CPU).manual_seed(seed)
    seed_cuda(seed)


def cuda_engines() -> list[RandomEngine]:
    """The CUDA default engines made so far."""
    return [e for d, e in _engines.items() if d.type == "cuda"]


def engine(generator, device: Device) -> RandomEngine:
    """The state to draw from for ``device``: ``generator``'s (a ``gpugrad.Generator`` or a
    RandomEngine), or the device's default when it is None."""
    if generator is None:
        return default_engine(device)
    e = generator if isinstance(generator, RandomEngine) else getattr(generator, "_engine", None)
    if not isinstance(e, RandomEngine):
        raise TypeError(f"generator must be a gpugrad.Generator, not {type(generator).__name__}")
    if e.device.type != device.type:
        raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                           f"'{e.device.type}'")
    if e.device != device:
        raise RuntimeError(f"the generator lives on {e.device}, but the tensor is drawn on "
                           f"{device}")
    return e


def _float_kind(dtype):
    dtype = np.dtype(dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


#: While gpugrad.compile records a call, every draw goes through this (and is recorded).
sample_hook = None


def draw(engine, on_host, on_cuda):
    """A draw from a ``RandomEngine`` that is never recorded (what a compiled replay calls)."""
    return engine.raw_draw(on_host, on_cuda)


def random_normal(device: Device, shape, dtype, generator=None):
    """Standard normal samples of ``dtype`` (float16 drawn as float32)."""
    kind = _float_kind(dtype)

    def draw(g):
        return g.standard_normal(shape, dtype=kind)

    return engine(generator, device).draw(draw, draw).astype(dtype, copy=False)


def random_uniform(device: Device, shape, dtype, generator=None):
    """Uniform on [0, 1)."""
    kind = _float_kind(dtype)
    out = engine(generator, device).draw(lambda g: g.random(shape, dtype=kind),
                                         lambda g: g.random_sample(shape, dtype=kind))
    return out.astype(dtype, copy=False)


def random_integers(device: Device, low: int, high: int, shape, dtype, generator=None):
    """Integers uniform on [low, high) (int64 bounds)."""
    out = engine(generator, device).draw(
        lambda g: g.integers(low, high, size=shape, dtype=np.int64),
        lambda g: g.randint(low, high, size=shape, dtype=np.int64))
    return out.astype(dtype, copy=False)


def random_permutation(device: Device, n: int, generator=None):
    """A random permutation of ``0 .. n-1`` (int64)."""
    def draw(g):
        return g.permutation(n)

    return engine(generator, device).draw(draw, draw).astype(np.int64, copy=False)


# ---------------------------------------------------------------------------------------------
# CUDA queries and settings (gpugrad.cuda, gpugrad.backends).

_tf32: bool | None = None  # None: CuPy's own default (CUPY_TF32)
_peak: dict[int, int] = {}  # device index -> the most bytes allocated at once


def _apply_tf32(cp) -> None:
    from cupy._core import _routines_linalg as linalg

    kind = linalg.COMPUTE_TYPE_TF32 if _tf32 else linalg.COMPUTE_TYPE_FP32
    with warnings.catch_warnings():  # before compute capability 8.0 CuPy warns and ignores TF32,
        warnings.simplefilter("ignore")  # where PyTorch ignores it silently
        cp._core.set_compute_type(np.float32, kind)


def set_tf32(flag: bool) -> None:
    """Let float32 matrix products on CUDA use TF32 tensor cores (now, or once CuPy loads)."""
    global _tf32
    _tf32 = bool(flag)
    if _cupy is not None:
        _apply_tf32(_cupy)


def cuda_index(device=None) -> int:
    """The CUDA device index meant by ``device`` (None: the current one); raises without
    CUDA."""
    cp = cupy()
    if device is None:
        return int(cp.cuda.runtime.getDevice())
    d = _spec(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return resolve(d).index  # type: ignore[return-value]


def cuda_set_device(index: int) -> None:
    """Make CUDA device ``index`` current for this thread."""
    _check_cuda_index(index)
    cupy().cuda.Device(index).use()


def cuda_properties(index: int) -> dict:
    """CUDA's properties of device ``index`` (names as in cudaDeviceProp)."""
    _check_cuda_index(index)
    return cupy().cuda.runtime.getDeviceProperties(index)


def cuda_memory(index: int) -> tuple[int, int, int]:
    """(bytes in use by arrays, bytes held by the memory pool, peak bytes in use) on device
    ``index``; zeros where CuPy was never loaded."""
    if _cupy is None:
        return 0, 0, 0
    pool = _cupy.get_default_memory_pool()
    with _cupy.cuda.Device(index):
        return int(pool.used_bytes()), int(pool.total_bytes()), _peak.get(index, 0)


def cuda_reset_peak(index: int) -> None:
    """Restart the peak count of device ``index`` from the bytes in use now."""
    _peak[index] = cuda_memory(index)[0]


def cuda_empty_cache() -> None:
    """Give the memory pool's unused blocks back to the driver (a no-op without CuPy)."""
    if _cupy is not None:
        _cupy.get_default_memory_pool().free_all_blocks()
        _cupy.get_default_pinned_memory_pool().free_all_blocks()


def cuda_is_initialized() -> bool:
    """Whether gpugrad has loaded CuPy and found a device (without trying to)."""
    return _cupy is not None


# --- deterministic algorithms ----------------------------------------------------------------

_deterministic = [False, False]  # (mode, warn_only)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record whether ops must be deterministic, as ``torch.use_deterministic_algorithms``
    (``mode`` and ``warn_only`` must be bools: TypeError otherwise). gpugrad records the
    setting for ``are_deterministic_algorithms_enabled``; its ops do not consult it (on the CPU
    they are deterministic; on CUDA, scatter-adds such as ``index_add`` and the backward of
    indexing sum floating values with atomics, in an order that can vary)."""
    for name, v in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(v, bool):
            raise TypeError(f"use_deterministic_algorithms(): argument '{name}' must be bool, "
                            f"not {type(v).__name__}")
    _deterministic[0] = mode
    _deterministic[1] = warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True, warn_only=True)`` is in force."""
    return _deterministic[1]
