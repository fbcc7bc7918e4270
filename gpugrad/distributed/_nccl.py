"""The NCCL backend: CUDA (CuPy) collectives through ``cupy.cuda.nccl``, bootstrapped over MPI.

Rank 0 creates NCCL's unique id, MPI broadcasts it, and every process builds its communicator on
its own GPU (the process's rank among those on its node). Collectives are queued on the current
CUDA stream, so they are ordered with the kernels around them without any host synchronisation.
"""

from __future__ import annotations

from typing import Any

from .. import _device as _dev
from ._mpi import Request


class NCCLBackend:
    """Collectives on CuPy arrays over one NCCL communicator (one GPU per process)."""

    name = "nccl"

    def __init__(self, mpi_comm: Any, rank: int, size: int, local_rank: int,
                 local_size: int) -> None:
        cp = _dev.cupy()  # a RuntimeError saying why, where CUDA is unavailable
        try:
            from cupy.cuda import nccl
        except ImportError as e:
            raise RuntimeError(f"the nccl backend needs CuPy built with NCCL ({e}); install "
                               "the nccl wheel for your CUDA (pip install nvidia-nccl-cu12)"
                               ) from None
        if not getattr(nccl, "available", False):
            raise RuntimeError("the nccl backend needs NCCL, which this CuPy cannot load; "
                               "install it (pip install nvidia-nccl-cu12)")
        n = int(cp.cuda.runtime.getDeviceCount())
        if local_size > n:
            raise RuntimeError(f"the nccl backend needs one GPU per process: {local_size} "
                               f"processes on this node, {n} GPU(s)")
        self.cp, self.nccl = cp, nccl
        self.rank, self.size = rank, size
        self.device_id = local_rank
        cp.cuda.Device(self.device_id).use()  # "cuda" now means this process's GPU
        uid = nccl.get_unique_id() if rank == 0 else None
        uid = mpi_comm.bcast(uid, root=0)
        self.comm = nccl.NcclCommunicator(size, uid, rank)

    def _dtype(self, dtype: Any) -> int:
        nc = self.nccl
        table = {("f", 2): nc.NCCL_FLOAT16, ("f", 4): nc.NCCL_FLOAT32, ("f", 8): nc.NCCL_FLOAT64,
                 ("i", 1): nc.NCCL_INT8, ("i", 4): nc.NCCL_INT32, ("i", 8): nc.NCCL_INT64,
                 ("u", 1): nc.NCCL_UINT8, ("b", 1): nc.NCCL_UINT8}
        key = (dtype.kind, dtype.itemsize)
        if key not in table:
            raise TypeError(f"the nccl backend cannot carry {dtype} tensors")
        return int(table[key])

    def _op(self, op: str, is_bool: bool) -> int:
        nc = self.nccl
        if is_bool:
            return int(nc.NCCL_MAX if op in ("sum", "max") else nc.NCCL_MIN)
        return int({"sum": nc.NCCL_SUM, "avg": nc.NCCL_SUM, "product": nc.NCCL_PROD,
                    "max": nc.NCCL_MAX, "min": nc.NCCL_MIN}[op])

    def _wire(self, a: Any) -> Any:
        if a.device.id != self.device_id:
            raise RuntimeError(f"this process's NCCL communicator is on cuda:{self.device_id}, "
                               f"but the tensor is on cuda:{a.device.id}")
        return a if a.flags.c_contiguous else self.cp.ascontiguousarray(a)

    def _stream(self) -> int:
        return int(self.cp.cuda.get_current_stream().ptr)

    def all_reduce(self, a: Any, op: str, blocking: bool) -> Request:
        buf = self._wire(a)
        with self.cp.cuda.Device(self.device_id):
            self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._dtype(buf.dtype),
                                self._op(op, buf.dtype.kind == "b"), self._stream())
            if op == "avg":
                self.cp.true_divide(buf, self.size, out=buf)
            if buf is not a:
                a[...] = buf
        return Request()

    def broadcast(self, a: Any, src: int, blocking: bool) -> Request:
        buf = self._wire(a)
        with self.cp.cuda.Device(self.device_id):
            self.comm.bcast(buf.data.ptr, buf.size, self._dtype(buf.dtype), src, self._stream())
            if buf is not a:
                a[...] = buf
        return Request()

    def all_gather(self, outs: list[Any], a: Any, blocking: bool) -> Request:
        send = self._wire(a)
        with self.cp.cuda.Device(self.device_id):
            recv = self.cp.empty((self.size, *send.shape), dtype=send.dtype)
            self.comm.allGather(send.data.ptr, recv.data.ptr, send.size,
                                self._dtype(send.dtype), self._stream())
            for out, part in zip(outs, recv):
                out[...] = part
        return Request()

    def barrier(self) -> None:
        self.cp.cuda.Device(self.device_id).synchronize()

    def close(self) -> None:
        self.comm.destroy()
