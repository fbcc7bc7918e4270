"""``DistributedDataParallel``: one model replica per process, gradients averaged across them.

How the reduction is triggered. ``DistributedDataParallel.forward`` runs the wrapped module with
each trainable parameter ``p`` replaced by ``ready(p, token)``, an identity op whose backward
runs once ``p``'s gradient for this backward is complete — the moment a post-accumulate-grad
hook would fire. There it copies the gradient into its bucket and, once a bucket is full,
starts the bucket's non-blocking all-reduce (buckets always start in the same order on every
process). ``token`` is one more identity op that every ``ready`` node takes as an input, so
autograd runs its backward after all of them: there the reducer waits for the buckets and
writes the averaged gradients into ``p.grad``. A plain ``loss.backward(); opt.step()`` loop
needs no extra call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from .. import distributed as dist
from ..autograd import Op, is_grad_enabled
from ..creation import zeros
from ..distributed import _storage
from ..dtypes import float32
from ..tensor import Tensor
from .module import Module, Parameter

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Parameters whose gradients travel in one all-reduce (one dtype, about ``cap`` bytes)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype
        self.indices: list[int] = []
        self.numel = 0


class _Reducer:
    """Averages the gradients of ``params`` across the process group, bucket by bucket."""

    def __init__(self, params: list[Parameter], cap_bytes: int, find_unused: bool) -> None:
        self.params = params
        self.find_unused = find_unused
        self.buckets: list[_Bucket] = []
        self.slot: list[tuple[int, int]] = [(0, 0)] * len(params)  # (bucket, offset)
        open_: dict[Any, int] = {}  # dtype -> the bucket being filled
        for i in reversed(range(len(params))):  # backward produces the last gradients first
            a = _storage.array(params[i])
            b = open_.get(a.dtype)
            if b is None or (self.buckets[b].numel + a.size) * a.itemsize > cap_bytes:
                b = open_[a.dtype] = len(self.buckets)
                self.buckets.append(_Bucket(a.dtype))
            bucket = self.buckets[b]
            self.slot[i] = (b, bucket.numel)
            bucket.indices.append(i)
            bucket.numel += a.size
        self._reset()

    def _reset(self) -> None:
        self.ready = [False] * len(self.params)
        self.zeros: list[Any] = [None] * len(self.params)
        self.missing = [len(b.indices) for b in self.buckets]
        self.flat: list[Any] = [None] * len(self.buckets)
        self.works: list[dist.Work | None] = [None] * len(self.buckets)
        self.launched = 0
        self.started = False

    def prepare(self) -> None:
        """Called by each synchronising forward: the previous reduction must have finished."""
        if self.started:
            self._reset()
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one: the previous backward stopped before every gradient was averaged")

    def _segment(self, i: int) -> Any:
        """Parameter ``i``'s place in its bucket's flat buffer (allocated per backward)."""
        b, off = self.slot[i]
        a = _storage.array(self.params[i])
        if self.flat[b] is None:
            xp = _storage.xp_of(a)
            self.flat[b] = xp.empty(self.buckets[b].numel, dtype=self.buckets[b].dtype)
        return self.flat[b][off:off + a.size].reshape(a.shape)

    def mark_ready(self, i: int, g: Any) -> Any:
        """Parameter ``i``'s gradient ``g`` is complete: put it (plus what ``p.grad`` already
        holds) in its bucket; start the buckets that are full. Returns the zeros that autograd
        adds into ``p.grad`` until the averaged gradient replaces them."""
        if self.ready[i]:
            raise RuntimeError(
                f"Expected to mark a variable ready only once: parameter {i} got a second "
                "gradient in one backward (was the module called twice before backward?)")
        self.started = True
        self.ready[i] = True
        p = self.params[i]
        seg = self._segment(i)
        prev = _storage.grad_array(p)
        if prev is None:
            seg[...] = g
        else:
            _storage.xp_of(seg).add(prev, g, out=seg)
        _storage.set_grad_array(p, None)
        z = self.zeros[i] = _storage.xp_of(g).zeros(g.shape, dtype=g.dtype)
        b = self.slot[i][0]
        self.missing[b] -= 1
        self._launch_full()
        return z

    def _launch_full(self) -> None:
        while self.launched < len(self.buckets) and self.missing[self.launched] == 0:
            b = self.launched
            self.works[b] = dist.all_reduce(_storage.wrap(self.flat[b]), dist.ReduceOp.AVG,
                                            async_op=True)
            self.launched += 1

    def finalize(self) -> None:
        """End of backward: wait for every bucket and write the averages into ``p.grad``."""
        unused = [i for i, r in enumerate(self.ready) if not r]
        if unused and not self.find_unused:
            self._reset()
            raise RuntimeError(
                f"DistributedDataParallel: {len(unused)} parameter(s) received no gradient in "
                f"this backward (indices {unused[:10]} in module.parameters() order); pass "
                "find_unused_parameters=True if the forward does not use every parameter")
        for i in unused:  # they take part with what they already hold, or zeros
            p = self.params[i]
            seg = self._segment(i)
            prev = _storage.grad_array(p)
            seg[...] = 0 if prev is None else prev
            _storage.set_grad_array(p, None)
            self.missing[self.slot[i][0]] -= 1
        self._launch_full()
        for work in self.works:
            assert work is not None
            work.wait()
        for i, p in enumerate(self.params):
            avg = self._segment(i)
            now = _storage.grad_array(p)
            if now is not None and now is not self.zeros[i]:
                avg = avg + now  # gradients that reached p outside the wrapped forward
            _storage.set_grad_array(p, avg)
        self._reset()


class _Token(Op):
    """Identity on a 0-d anchor; its backward runs after every ``_Ready`` node: it ends the
    reduction."""

    def forward(self, anchor: Any, *, reducer: _Reducer) -> Any:
        self.reducer = reducer
        return anchor

    def backward(self, gy: Any) -> tuple[Any]:
        self.reducer.finalize()
        return (gy * 0,)


class _Ready(Op):
    """Identity on a parameter; its backward runs when the parameter's gradient is complete."""

    is_view = True

    def forward(self, p: Any, token: Any, *, reducer: _Reducer, index: int) -> Any:
        self.reducer, self.index = reducer, index
        return p

    def backward(self, gy: Any) -> tuple[Any, Any]:
        z = self.reducer.mark_ready(self.index, gy)
        xp = _storage.xp_of(gy)
        return z, xp.zeros((), dtype=xp.float32)  # the token is a float32 scalar


class DistributedDataParallel(Module):
    """Data parallelism: wrap a model in every process; gradients are averaged across processes.

    At construction, rank 0's parameters and buffers are copied to every process. In each
    backward that follows a forward through this wrapper, the gradients are averaged across the
    processes in buckets of about ``bucket_cap_mb`` MiB, in reverse parameter order, each bucket
    starting its all-reduce as soon as its gradients are complete; when ``backward()`` returns,
    every ``p.grad`` holds the average. ``p.grad`` values accumulated before (in ``no_sync()``
    steps) take part in the average, as in PyTorch.

    Args:
        module: the model; its parameters live on one device (CPU with backend ``"mpi"``, the
            process's GPU with ``"nccl"``).
        device_ids: None, or ``[the module's CUDA device]``.
        output_device: None, or the module's CUDA device.
        broadcast_buffers: copy rank 0's buffers to every process at each forward.
        process_group: None (the default group).
        bucket_cap_mb: the size of a bucket in MiB.
        find_unused_parameters: let the forward leave parameters unused (they take part in the
            average with the gradient they hold, or zeros); otherwise that is an error.

    Gradients that reach a parameter by a path outside the wrapped forward (a penalty on
    ``model.parameters()`` added to the loss) are added to the average locally, not averaged.
    """

    module: Module
    require_backward_grad_sync: bool
    broadcast_buffers: bool

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, broadcast_buffers: bool = True,
                 process_group: dist.ProcessGroup | None = None, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a gpugrad.nn.Module, got "
                            f"{type(module).__name__}")
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        dist._group(process_group)
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        params = [p for p in module.parameters() if p.requires_grad]
        tensors = list(module.parameters()) + list(module.buffers())
        devices = {str(t.device) for t in tensors}
        if len(devices) > 1:
            raise ValueError("DistributedDataParallel needs a module on one device; its "
                             f"parameters and buffers are on {sorted(devices)}")
        device = tensors[0].device if tensors else None
        for name, ids in (("device_ids", device_ids), ("output_device", output_device)):
            if ids is None:
                continue
            want = list(ids) if name == "device_ids" and not isinstance(ids, str) else [ids]
            ok = (device is not None and device.type == "cuda" and len(want) == 1
                  and _same_cuda(want[0], device.index))
            if not ok:
                raise ValueError(f"{name}={ids!r} must be None or name the module's CUDA "
                                 f"device (the module is on {device})")
        self.module = module
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_anchor", None)
        self.require_backward_grad_sync = True
        self.broadcast_buffers = bool(broadcast_buffers)
        _check_same_shapes(module)
        with _no_grad():
            _broadcast_coalesced(tensors)
        object.__setattr__(self, "_reducer",
                           _Reducer(params, int(bucket_cap_mb * 1024 * 1024),
                                    bool(find_unused_parameters)))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Run the module; when grad is enabled and not in ``no_sync()``, the next backward
        averages the gradients across processes."""
        if self.broadcast_buffers:
            bufs = list(self.module.buffers())
            if bufs:
                with _no_grad():
                    _broadcast_coalesced(bufs)
        params: list[Parameter] = self._params
        if not (params and self.require_backward_grad_sync and is_grad_enabled()):
            return self.module(*inputs, **kwargs)
        reducer: _Reducer = self._reducer
        reducer.prepare()
        anchor = self._anchor
        if anchor is None or anchor.device != params[0].device:
            anchor = zeros((), dtype=float32, device=params[0].device, requires_grad=True)
            object.__setattr__(self, "_anchor", anchor)
        token = _Token.apply(anchor, reducer=reducer)
        proxy = {id(p): _Ready.apply(p, token, reducer=reducer, index=i)
                 for i, p in enumerate(params)}
        swapped = []
        for m in self.module.modules():
            reg = m._parameters
            for name, p in reg.items():
                if p is not None and id(p) in proxy:
                    swapped.append((reg, name, p))
                    reg[name] = proxy[id(p)]
        try:
            return self.module(*inputs, **kwargs)
        finally:
            for reg, name, p in swapped:
                reg[name] = p

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside this block, forwards and backwards accumulate gradients locally; the first
        synchronising backward after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self) -> str:
        return f"world_size={dist.get_world_size()}"


def _same_cuda(spec: Any, index: int | None) -> bool:
    if isinstance(spec, int):
        return spec == index
    from .._device import Device

    try:
        d = Device(spec)
    except (TypeError, ValueError):
        return False
    return d.type == "cuda" and d.index in (None, index)


def _no_grad() -> Any:
    from ..autograd import no_grad

    return no_grad()


def _check_same_shapes(module: Module) -> None:
    """Every process must wrap the same architecture: compare names, shapes and dtypes."""
    mine = [(n, tuple(t.shape), str(t.dtype)) for n, t in
            list(module.named_parameters()) + list(module.named_buffers())]
    pg = dist._group(None)
    everyone = pg.mpi.comm.allgather(mine)
    for r, theirs in enumerate(everyone):
        if theirs != mine:
            diff = next((f"{a} here vs {b} on rank {r}" for a, b in zip(mine, theirs) if a != b),
                        f"{len(mine)} tensors here vs {len(theirs)} on rank {r}")
            raise RuntimeError("DistributedDataParallel: the processes wrap different models "
                               f"(parameters and buffers differ: {diff})")


def _broadcast_coalesced(tensors: list[Tensor]) -> None:
    """Copy rank 0's values of ``tensors`` into every process's, one broadcast per dtype."""
    by_dtype: dict[Any, list[Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(_storage.array(t).dtype, []).append(t)
    for group in by_dtype.values():
        arrays = [_storage.array(t) for t in group]
        flat = _storage.xp_of(arrays[0]).concatenate([a.reshape(-1) for a in arrays])
        dist.broadcast(_storage.wrap(flat), src=0)
        off = 0
        for t, a in zip(group, arrays):
            a[...] = flat[off:off + a.size].reshape(a.shape)
            off += a.size
            _storage.written(t)
