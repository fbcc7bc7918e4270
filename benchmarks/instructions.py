"""Instructions per call of gpugrad's hot paths, counted by Valgrind (callgrind): a
deterministic A/B of two checkouts, for machines too noisy to time 100-nanosecond changes.

    python -m benchmarks.instructions [--against REV] [--set ops|mlp|all] [-n 1000]

Each statement of the set runs ``-n`` times in one process under ``valgrind --tool=callgrind``,
once with this checkout's gpugrad and once with ``REV``'s (a temporary ``git worktree``); the
count of each loop is cut out of the run by a callgrind dump at every ``exec`` (the loops are
``exec``-ed one after the other, after every import). Prints instructions per call and the
ratio, and writes ``results/instructions_cpu.json``. Needs ``valgrind`` on the PATH; Linux only.

Instruction counts are not times (a cache miss costs more than an add), but on one machine they
move with the Python work per call, which is what per-op overhead is, and they repeat exactly.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import harness as H

ROOT = Path(__file__).resolve().parent.parent

SETUPS = {
    "ops": """
import numpy as np, gpugrad as gg
rng = np.random.default_rng(0)
a = rng.uniform(0.5, 2, (16, 16)).astype(np.float32)
b = rng.uniform(0.5, 2, (16, 16)).astype(np.float32)
ta, tb = gg.tensor(a), gg.tensor(b)
wa = gg.tensor(a, requires_grad=True)
def fb(f):
    f().backward(gg.ones(16, 16)); wa.grad = None
def fbs():
    wa.sum().backward(); wa.grad = None
""",
    "mlp": """
from benchmarks.mlp import gpugrad_step, SIZES
tiny = gpugrad_step(*SIZES["tiny"], "cpu", fused=True)
tiny_seq = gpugrad_step(*SIZES["tiny"], "cpu", fused=False)
small = gpugrad_step(*SIZES["small"], "cpu", fused=True)
""",
}

STATEMENTS = {
    "ops": [s for op in ("wa + tb", "wa * tb", "wa.tanh()", "wa.exp()", "wa @ tb")
            for s in (op.replace("wa", "ta"), op, f"fb(lambda: {op})")]
    + ["ta.sum()", "wa.sum()", "fbs()", "gg.ones(16, 16)"],
    "mlp": ["tiny()", "tiny_seq()", "small()"],
}

# Runs inside valgrind: the setup, one warm-up call of each statement, then each loop exec-ed
# right after an exec of "pass" (so that every loop is one dump of its own).
_RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
setup, stmts, n = json.loads(sys.argv[2])
import gpugrad
assert gpugrad.__file__.startswith(sys.argv[1]), (gpugrad.__file__, sys.argv[1])
g = {}
exec(setup, g)
loops = [compile(f"for _ in range({n}):\\n    {s}", "<loop>", "exec") for s in stmts]
for s in stmts:
    eval(s, g)
marker = compile("pass", "<marker>", "exec")
for loop in loops:
    exec(marker, g)
    exec(loop, g)
exec(marker, g)
"""


def _totals(files: list[Path]) -> list[int]:
    out = []
    for f in sorted(files, key=lambda p: int(p.name.rsplit(".", 1)[1])):
        for line in f.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                out.append(int(line.split()[1]))
                break
    return out


def count(tree: Path, setup: str, stmts: list[str], n: int) -> list[float]:
    """Instructions per call of each statement, with the gpugrad of checkout ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cg.%p"
        subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=builtin_exec",
                        f"--callgrind-out-file={out}", sys.executable, "-c", _RUNNER,
                        str(tree), json.dumps([setup, stmts, n])],
                       cwd=tree, check=True, capture_output=True)
        totals = _totals(list(Path(tmp).glob("cg.*")))
    return [c / n for c in loop_counts(totals, len(stmts))]


def loop_counts(totals: list[int], k: int) -> list[int]:
    """The counts of the ``k`` loops among a run's dumps. A dump is written before each
    ``exec`` and holds what ran since the one before, so the run ends with: (marker), loop,
    (marker), loop, ..., (marker), then the dump at exit."""
    if len(totals) < 2 * k + 1:
        raise RuntimeError(f"callgrind wrote {len(totals)} dumps, fewer than the {2 * k + 1} "
                           f"that {k} statements need")
    return totals[-(2 * k + 1):-1][1::2]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="instructions per call, this checkout vs REV")
    ap.add_argument("--against", default=None, help="a git revision to compare with")
    ap.add_argument("--set", default="all", choices=["ops", "mlp", "all"])
    ap.add_argument("-n", type=int, default=1000, help="calls per statement (mlp: n / 10)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("benchmarks.instructions needs valgrind (apt install valgrind)")
    sets = ["ops", "mlp"] if a.set == "all" else [a.set]
    trees = {"this": ROOT}
    tmp = None
    if a.against:
        tmp = tempfile.mkdtemp()
        subprocess.run(["git", "worktree", "add", "--detach", tmp, a.against], cwd=ROOT,
                       check=True, capture_output=True)
        trees = {a.against: Path(tmp), "this": ROOT}
    results: dict = {}
    try:
        for name in sets:
            n = a.n if name == "ops" else max(a.n // 10, 10)
            counts = {label: count(tree, SETUPS[name], STATEMENTS[name], n)
                      for label, tree in trees.items()}
            print(f"{'statement':28}" + "".join(f"{label:>14}" for label in trees)
                  + ("     ratio" if len(trees) == 2 else ""))
            for i, s in enumerate(STATEMENTS[name]):
                row = [counts[label][i] for label in trees]
                ratio = f"{row[-1] / row[0]:10.3f}" if len(row) == 2 else ""
                print(f"{s:28}" + "".join(f"{c:14.0f}" for c in row) + ratio)
                results[s] = dict(zip(trees, row))
    finally:
        if tmp:
            subprocess.run(["git", "worktree", "remove", "--force", tmp], cwd=ROOT,
                           capture_output=True)
    path = H.write_json(Path(a.out) if a.out else H.RESULTS / "instructions_cpu.json", {
        "benchmark": "instructions", "against": a.against, "machine": H.machine("cpu"),
        "versions": H.versions(), "results": results})
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
