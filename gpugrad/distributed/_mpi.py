"""The MPI backend: CPU (NumPy) collectives over mpi4py, and the bootstrap of every group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

INSTALL_HINT = ('install them with pip install "gpugrad[dist]" (mpi4py and the MPICH wheel), then '
                "launch with mpiexec -n N python -m mpi4py script.py or "
                "python -m gpugrad.distributed.run -n N script.py")


def load() -> Any:
    """The ``mpi4py.MPI`` module (importing it initialises MPI), or a RuntimeError saying how to
    get it."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(f"gpugrad.distributed needs mpi4py and an MPI library ({e}); "
                           f"{INSTALL_HINT}") from None
    return MPI


class Request:
    """A started collective: ``wait()`` completes it and runs its finishing steps in order."""

    def __init__(self, pending: Any = None, then: list[Callable[[], None]] | None = None) -> None:
        self.pending = pending
        self.then = then or []

    def wait(self) -> None:
        if self.pending is not None:
            self.pending.Wait()
            self.pending = None
        then, self.then = self.then, []
        for step in then:
            step()

    def test(self) -> bool:
        """Whether the collective has finished; if so, its finishing steps have run."""
        if self.pending is not None and not self.pending.Test():
            return False
        self.wait()
        return True


def _wire(a: np.ndarray) -> tuple[np.ndarray, list[Callable[[], None]]]:
    """A contiguous buffer for ``a`` and the steps that copy a result back into ``a``."""
    if a.flags.c_contiguous:
        buf = a
        back: list[Callable[[], None]] = []
    else:
        buf = np.ascontiguousarray(a)
        back = [lambda: a.__setitem__(Ellipsis, buf)]
    if buf.dtype == np.bool_:  # MPI has no reductions on C bool: carry bytes
        buf = buf.view(np.uint8)
    return buf, back


class MPIBackend:
    """Collectives on NumPy arrays over one MPI communicator."""

    name = "mpi"

    def __init__(self, MPI: Any, comm: Any) -> None:  # noqa: N803  (mpi4py's module name)
        self.MPI, self.comm = MPI, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()

    def _op(self, op: str, is_bool: bool) -> Any:
        mpi = self.MPI
        if is_bool:  # logical: any for SUM and MAX, all for PRODUCT and MIN
            return mpi.MAX if op in ("sum", "max") else mpi.MIN
        return {"sum": mpi.SUM, "avg": mpi.SUM, "product": mpi.PROD, "max": mpi.MAX,
                "min": mpi.MIN}[op]

    def all_reduce(self, a: np.ndarray, op: str, blocking: bool) -> Request:
        buf, back = _wire(a)
        mop = self._op(op, a.dtype == np.bool_)
        then = []
        if op == "avg":
            size = self.size
            then.append(lambda: np.true_divide(buf, size, out=buf))
        then += back
        if blocking:
            self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=mop)
            return Request(None, then)
        return Request(self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=mop), then)

    def broadcast(self, a: np.ndarray, src: int, blocking: bool) -> Request:
        buf, back = _wire(a)
        if blocking:
            self.comm.Bcast(buf, root=src)
            return Request(None, back)
        return Request(self.comm.Ibcast(buf, root=src), back)

    def all_gather(self, outs: list[np.ndarray], a: np.ndarray, blocking: bool) -> Request:
        send, _ = _wire(a)
        recv = np.empty((self.size, *send.shape), dtype=send.dtype)

        def scatter_back() -> None:
            for out, part in zip(outs, recv):
                out[...] = part.view(np.bool_) if out.dtype == np.bool_ else part

        if blocking:
            self.comm.Allgather(send, recv)
            return Request(None, [scatter_back])
        return Request(self.comm.Iallgather(send, recv), [scatter_back])

    def barrier(self) -> None:
        self.comm.Barrier()

    def close(self) -> None:
        self.comm.Free()
