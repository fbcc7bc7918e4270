"""Launch a training script on N processes: ``python -m gpugrad.distributed.run -n N train.py``.

It runs ``mpiexec -n N python -m mpi4py train.py [args]`` with the ``mpiexec`` that sits beside
this Python (the MPICH wheel's, matching mpi4py's MPI library), falling back to the one on PATH.
``python -m mpi4py`` makes an uncaught exception in any process abort them all, so one failing
rank ends the job within seconds with a non-zero status. The workers import the same gpugrad as
the launcher (run from a checkout, it is put on their PYTHONPATH). Options after the script name
go to the script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ._mpi import INSTALL_HINT


def find_mpiexec() -> str:
    """The ``mpiexec`` beside ``sys.executable`` or on PATH; a RuntimeError if there is none."""
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("mpiexec")
    if found is None:
        raise RuntimeError(f"no mpiexec beside {sys.executable} or on PATH; {INSTALL_HINT}")
    return found


def command(nproc: int, script: str, args: list[str], mpiexec: str | None = None) -> list[str]:
    """The command line that runs ``script args`` on ``nproc`` processes."""
    if nproc < 1:
        raise ValueError(f"the number of processes must be positive, got {nproc}")
    return [mpiexec or find_mpiexec(), "-n", str(nproc), sys.executable, "-m", "mpi4py",
            script, *args]


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and replace this process with ``mpiexec``."""
    ap = argparse.ArgumentParser(
        prog="python -m gpugrad.distributed.run",
        description="Run a script on N processes (MPI), for gpugrad.distributed.")
    ap.add_argument("-n", "--nproc-per-node", "--nproc_per_node", dest="nproc", type=int,
                    default=1, help="number of processes (default 1)")
    ap.add_argument("--mpiexec", default=None, help="the mpiexec to use (default: the one "
                    "beside this Python, else the one on PATH)")
    ap.add_argument("script", help="the Python script to run")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    a = ap.parse_args(argv)
    try:
        cmd = command(a.nproc, a.script, a.args, a.mpiexec)
    except (RuntimeError, ValueError) as e:
        ap.error(str(e))
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[2]  # the directory holding this gpugrad
    if root.name not in ("site-packages", "dist-packages"):  # a checkout: workers need it too
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH")) if p)
    sys.stdout.flush()
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
