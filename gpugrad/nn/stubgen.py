"""Write the declarations of the activation layers generated from ``kernels.ACTIVATIONS``.

    python -m gpugrad.nn.stubgen          # rewrite the TYPE_CHECKING block of nn/activation.py
    python -m gpugrad.nn.stubgen --check  # exit 1 if it is stale

The layers are made at run time, one per record's ``layer``; type checkers and the API
reference read source, so ``nn/activation.py`` declares each under ``TYPE_CHECKING``: its
constructor's signature and its docstring, as generated. A test fails when the block is stale.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import textwrap
from pathlib import Path

from . import activation

PATH = Path(activation.__file__)
HEAD = ("if TYPE_CHECKING:  # written by `python -m gpugrad.nn.stubgen` from the records: "
        "do not edit")
TAIL = "else:\n    globals().update(LAYERS)\n"


def declarations() -> str:
    """The TYPE_CHECKING block: every generated layer with its signature and docstring."""
    out = [HEAD]
    for name, cls in activation.LAYERS.items():
        ps = ["self"] + [f"{p.name}: {p.annotation.__name__} = {p.default!r}".replace("'", '"')
                         for p in inspect.signature(cls).parameters.values()]
        doc = textwrap.indent(cls.__doc__ or "", " " * 8).strip()
        out += ["", f"    class {name}(ActivationLayer):", f'        """{doc}\n        """', "",
                f"        def __init__({', '.join(ps)}) -> None: ..."]
    return "\n".join(out) + "\n\n"


def generate(text: str) -> str:
    """``text`` (nn/activation.py) with its TYPE_CHECKING block rewritten."""
    head = text.index("\n" + HEAD + "\n") + 1
    tail = text.index("\n" + TAIL, head) + 1
    return text[:head] + declarations() + text[tail:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the block is stale")
    a = ap.parse_args(argv)
    text = PATH.read_text()
    new = generate(text)
    if a.check:
        if new != text:
            print(f"{PATH} is stale: run python -m gpugrad.nn.stubgen", file=sys.stderr)
            return 1
        return 0
    if new != text:
        PATH.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
