"""Plot time per step against size for each contender, and write the README's results table.

    python -m benchmarks.plot [--readme README.md]

Reads every ``results/mlp_*.json``; writes ``results/mlp.png`` and replaces the text between
the markers ``<!-- bench:start -->`` and ``<!-- bench:end -->`` in the README with a table
generated from the same files.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from .harness import RESULTS

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def load() -> dict:
    return {p.stem.removeprefix("mlp_"): json.loads(p.read_text())
            for p in sorted(RESULTS.glob("mlp_*.json"))}


ORDER = ["gpugrad", "gpugrad-compiled", "gpugrad-seq", "floor", "torch", "torch-graph",
         "micrograd"]


def table(runs: dict) -> str:
    """One Markdown table per results file: ms per step of every contender that ran, and
    gpugrad's ratio to the floor and to PyTorch eager."""
    lines = []
    for kind, run in runs.items():
        m = run["machine"]
        where = m["gpu"] or f"{m['cpu']}, {run['threads']['requested']} thread(s)"
        names = [n for n in ORDER if any(n in r["median_s"] for r in run["results"].values())]
        names += sorted({n for r in run["results"].values() for n in r["median_s"]} - set(names))
        lines += [f"**{kind}** ({where}; median of {run['rounds']} interleaved rounds; "
                  f"ms per training step, lower is better)", "",
                  "| size | batch | " + " | ".join(names)
                  + " | gpugrad / floor | gpugrad / torch |",
                  "|---|---|" + "---|" * (len(names) + 2)]
        for size, r in run["results"].items():
            med = r["median_s"]
            cells = [f"{med[n] * 1e3:.3f}" if n in med else "-" for n in names]
            vs_t = f"{med['gpugrad'] / med['torch']:.2f}" if "torch" in med else "-"
            lines.append(f"| {size} {r['layers']} | {r['batch']} | " + " | ".join(cells)
                         + f" | {med['gpugrad'] / med['floor']:.2f} | {vs_t} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def plot(runs: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4.5), squeeze=False)
    for ax, (kind, run) in zip(axes[0], runs.items()):
        sizes = list(run["results"])
        names = sorted({n for r in run["results"].values() for n in r["median_s"]})
        for n in names:
            xs = [i for i, s in enumerate(sizes) if n in run["results"][s]["median_s"]]
            ys = [run["results"][sizes[i]]["median_s"][n] * 1e3 for i in xs]
            ax.plot(xs, ys, marker="o", label=n)
        ax.set(xticks=range(len(sizes)), xticklabels=sizes, yscale="log",
               ylabel="ms per training step", title=f"MLP training step: {kind}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def update_readme(readme: Path, text: str) -> None:
    src = readme.read_text()
    if START not in src or END not in src:
        raise SystemExit(f"{readme} has no {START} ... {END} markers")
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), START + "\n" + text + END, src,
                 flags=re.S)
    readme.write_text(new)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readme", default=str(Path(__file__).resolve().parent.parent / "README.md"))
    a = ap.parse_args(argv)
    runs = load()
    if not runs:
        raise SystemExit(f"no results in {RESULTS}: run python -m benchmarks.mlp first")
    print(f"wrote {plot(runs, RESULTS / 'mlp.png')}")
    text = table(runs)
    update_readme(Path(a.readme), text)
    print(text)


if __name__ == "__main__":
    main()
