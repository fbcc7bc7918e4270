"""``gpugrad.distributed``: process groups and collectives, with torch.distributed's names.

Processes are launched and bootstrapped by MPI (``mpiexec -n N python -m mpi4py train.py`` or
``python -m gpugrad.distributed.run -n N train.py``). Two backends carry the data:

- ``"mpi"``: CPU tensors, through mpi4py;
- ``"nccl"``: CUDA tensors, through CuPy's NCCL communicator, one GPU per process (a process's
  GPU is its rank among the processes on its node; ``init_process_group`` makes it current).

Collectives change tensors in place and return None, or a ``Work`` with ``async_op=True``.
"""

from __future__ import annotations

import enum
import importlib.util
import os
from typing import Any

from .. import _device as _dev
from ..tensor import Tensor
from . import _storage
from ._mpi import MPIBackend, Request
from .sampler import DistributedSampler

__all__ = [
    "DistributedSampler", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_reduce",
    "barrier", "broadcast", "destroy_process_group", "get_backend", "get_local_rank", "get_rank",
    "get_world_size", "init_process_group", "is_available", "is_initialized",
    "is_mpi_available", "is_nccl_available",
]

_BACKENDS = ("mpi", "nccl")


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' tensors. ``AVG`` needs floating-point tensors;
    on bool tensors ``SUM``/``MAX`` are a logical or and ``PRODUCT``/``MIN`` a logical and."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MAX = "max"
    MIN = "min"


class Work:
    """The handle of a collective started with ``async_op=True``; ``wait()`` completes it."""

    def __init__(self, request: Request, done: list[Tensor]) -> None:
        self._request = request
        self._done = done

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective has finished and its result is in the tensors."""
        if timeout is not None:
            raise NotImplementedError("Work.wait(timeout=...) is not supported")
        self._request.wait()
        self._written()
        return True

    def is_completed(self) -> bool:
        """Whether the collective has finished (its result is then in the tensors)."""
        if not self._request.test():
            return False
        self._written()
        return True

    def _written(self) -> None:
        done, self._done = self._done, []
        for t in done:
            _storage.written(t)


class ProcessGroup:
    """The processes of a job and the backends that carry their collectives."""

    backend: str
    local_rank: int
    local_size: int

    def __init__(self, backend: str, mpi: MPIBackend, nccl: Any, local_rank: int,
                 local_size: int) -> None:
        self.backend, self.mpi, self.nccl = backend, mpi, nccl
        self.local_rank, self.local_size = local_rank, local_size

    def rank(self) -> int:
        """This process's rank in the group."""
        return int(self.mpi.rank)

    def size(self) -> int:
        """The number of processes in the group."""
        return int(self.mpi.size)

    def __repr__(self) -> str:
        return (f"ProcessGroup(backend={self.backend!r}, rank={self.rank()}, "
                f"size={self.size()})")


_default: ProcessGroup | None = None

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


def is_available() -> bool:
    """Whether collectives can run here: mpi4py is importable."""
    return is_mpi_available()


def is_mpi_available() -> bool:
    """Whether the ``"mpi"`` backend can be used (mpi4py is importable)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_nccl_available() -> bool:
    """Whether the ``"nccl"`` backend can be used: CUDA is available and CuPy has NCCL."""
    if not (is_mpi_available() and _dev.cuda_is_available()):
        return False
    try:
        from cupy.cuda import nccl
    except Exception:
        return False
    return bool(getattr(nccl, "available", False))


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not destroyed)."""
    return _default is not None


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       world_size: int = -1, rank: int = -1) -> None:
    """Join this process to the default process group of the job that MPI launched.

    Args:
        backend: ``"mpi"`` (CPU tensors; the default) or ``"nccl"`` (CUDA tensors, one GPU per
            process: the process's rank on its node picks the GPU and makes it current).
        init_method: None or ``"env://"``; MPI does the rendezvous.
        world_size, rank: if given, checked against what MPI says.
    """
    global _default
    if _default is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in _BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: gpugrad.distributed has 'mpi' (CPU "
                         "tensors) and 'nccl' (CUDA tensors)")
    if init_method not in (None, "env://"):
        raise ValueError(f"init_method {init_method!r} is not supported: MPI launches and "
                         "connects the processes (leave init_method=None)")
    from . import _mpi

    MPI = _mpi.load()  # noqa: N806  (mpi4py's name)
    comm = MPI.COMM_WORLD.Dup()  # a communicator of our own: no clash with the user's MPI calls
    if world_size not in (-1, comm.Get_size()):
        raise ValueError(f"world_size={world_size}, but MPI launched {comm.Get_size()} "
                         "process(es)")
    if rank not in (-1, comm.Get_rank()):
        raise ValueError(f"rank={rank}, but MPI gave this process rank {comm.Get_rank()}")
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    local_rank, local_size = local.Get_rank(), local.Get_size()
    local.Free()
    mpi = MPIBackend(MPI, comm)
    for key, value in (("RANK", mpi.rank), ("WORLD_SIZE", mpi.size), ("LOCAL_RANK", local_rank),
                       ("LOCAL_WORLD_SIZE", local_size)):
        os.environ.setdefault(key, str(value))  # torchrun's variables, for scripts that read them
    nccl = None
    if name == "nccl":
        from ._nccl import NCCLBackend

        try:
            nccl = NCCLBackend(comm, mpi.rank, mpi.size, local_rank, local_size)
        except BaseException:
            comm.Free()
            raise
    _default = ProcessGroup(name, mpi, nccl, local_rank, local_size)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Release the default process group; ``init_process_group`` may be called again."""
    global _default
    pg = _group(group)
    if pg.nccl is not None:
        pg.nccl.close()
    pg.mpi.close()
    _default = None


def _group(group: ProcessGroup | None) -> ProcessGroup:
    if _default is None:
        raise ValueError(_NOT_INITIALIZED)
    if group is not None and group is not _default:
        raise ValueError("only the default process group is supported (pass group=None)")
    return _default


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank, 0 to world size - 1."""
    return _group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in the group."""
    return _group(group).size()


def get_local_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank among the processes on its node (torchrun's ``LOCAL_RANK``): the GPU
    index a process uses, ``device=f"cuda:{get_local_rank()}"``."""
    return _group(group).local_rank


def get_backend(group: ProcessGroup | None = None) -> str:
    """The group's backend: ``"mpi"`` or ``"nccl"``."""
    return _group(group).backend


def _backend_for(pg: ProcessGroup, t: Any, what: str) -> Any:
    """The backend that carries tensor ``t``, or a clear error for a device it cannot carry."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{what} expects a gpugrad Tensor, got {type(t).__name__}")
    on_cuda = t.device.type == "cuda"
    if pg.backend == "nccl" and on_cuda:
        return pg.nccl
    if pg.backend == "mpi" and not on_cuda:
        return pg.mpi
    want = "CUDA tensors (backend 'nccl')" if on_cuda else "CPU tensors (backend 'mpi')"
    raise RuntimeError(f"{what}: the tensor is on {t.device}, but the process group's backend "
                       f"is {pg.backend!r}, which carries "
                       f"{'CUDA' if pg.backend == 'nccl' else 'CPU'} tensors only; "
                       f"{want} need init_process_group(backend="
                       f"{'nccl' if on_cuda else 'mpi'!r})")


def _op_name(op: Any, t: Tensor) -> str:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a gpugrad.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and not t.is_floating_point():
        raise TypeError(f"ReduceOp.AVG needs a floating-point tensor, got {t.dtype}")
    return op.value


def _finish(request: Request, done: list[Tensor], async_op: bool) -> Work | None:
    work = Work(request, done)
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Combine ``tensor`` across all processes with ``op``; every process gets the result in
    place."""
    pg = _group(group)
    backend = _backend_for(pg, tensor, "all_reduce")
    name = _op_name(op, tensor)
    request = backend.all_reduce(_storage.array(tensor), name, blocking=not async_op)
    return _finish(request, [tensor], async_op)


def broadcast(tensor: Tensor, src: int = 0, group: ProcessGroup | None = None,
              async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every process."""
    pg = _group(group)
    backend = _backend_for(pg, tensor, "broadcast")
    if not isinstance(src, int) or not 0 <= src < pg.size():
        raise ValueError(f"broadcast: src must be a rank in [0, {pg.size() - 1}], got {src!r}")
    request = backend.broadcast(_storage.array(tensor), src, blocking=not async_op)
    return _finish(request, [tensor], async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[i]`` with rank i's ``tensor``, on every process.

    ``tensor_list`` holds world-size tensors of ``tensor``'s shape, dtype and device.
    """
    pg = _group(group)
    backend = _backend_for(pg, tensor, "all_gather")
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != pg.size():
        n = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list)
        raise ValueError(f"all_gather: tensor_list must be a list of {pg.size()} tensors (the "
                         f"world size), got {n}")
    for i, out in enumerate(tensor_list):
        if not isinstance(out, Tensor):
            raise TypeError(f"all_gather: tensor_list[{i}] is a {type(out).__name__}, "
                            "not a Tensor")
        if (out.shape, out.dtype, out.device) != (tensor.shape, tensor.dtype, tensor.device):
            raise ValueError(
                f"all_gather: tensor_list[{i}] is {list(out.shape)} {out.dtype} on "
                f"{out.device}; the input is {list(tensor.shape)} {tensor.dtype} on "
                f"{tensor.device}")
    outs = [_storage.array(t) for t in tensor_list]
    request = backend.all_gather(outs, _storage.array(tensor), blocking=not async_op)
    return _finish(request, list(tensor_list), async_op)


def barrier(group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Wait until every process of the group has reached this call."""
    pg = _group(group)
    if pg.nccl is not None:
        pg.nccl.barrier()  # finish this GPU's queued collectives first
    pg.mpi.barrier()
    return _finish(Request(), [], async_op)
