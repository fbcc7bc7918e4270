"""The README's API table rows for nn, optim, lr_scheduler, data and checkpoints against the
code: every name listed exists (and every argument listed in ``Name(args)`` is a parameter of
it), and every public name of those modules is listed."""

import inspect
import re
import types
from pathlib import Path

import numpy as np
import pytest

import gpugrad as gg
import gpugrad.nn as nn
import gpugrad.nn.functional as F
import gpugrad.optim as optim
import gpugrad.optim.lr_scheduler as L
import gpugrad.utils.data as D

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()

# row title -> (the module its names come from, other objects whose attributes it lists,
#               backticked words that are not names: literals and types)
ROWS = {
    "`gpugrad.nn`": (nn, [nn.Module, nn.Embedding], {"reduction"}),
    "`nn.functional`": (F, [], set()),
    "`nn.utils`": (nn.utils, [], set()),
    "`nn.init`": (nn.init, [], {"generator", "numpy.random.Generator", "gpugrad.Generator"}),
    "`gpugrad.optim`": (optim, [optim.Optimizer], {"maximize"}),
    "`optim.lr_scheduler`": (L, [L.StepLR(optim.SGD([gg.zeros(1, requires_grad=True)]), 1)],
                             {"initial_lr"}),
    "checkpoints": (gg, [], set()),
    "data": (D, [], {"utils.data", "fork", "generator", "numpy.random.Generator",
                     "gpugrad.Generator"}),
}


def _row(title: str) -> str:
    m = re.search(rf"^\| {re.escape(title)} \| (.+) \|$", README, flags=re.M)
    assert m, f"no README API row {title}"
    return m.group(1)


def _resolve(name: str, owners: list):
    for owner in owners:
        obj = owner
        try:
            for part in name.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    if name.endswith("_"):  # a family such as named_* or register_*
        for owner in owners:
            if any(a.startswith(name) for a in dir(owner)):
                return owner
    raise AssertionError(f"README lists {name!r}, which does not exist")


@pytest.mark.parametrize("title", list(ROWS))
def test_every_listed_name_exists_with_its_listed_arguments(title):
    module, others, words = ROWS[title]
    owners = [module, *others]
    row = _row(title)
    for span in re.findall(r"`([^`]+)`", row):
        m = re.match(r"([A-Za-z_][\w.]*)(?:\((.*)\))?", span)
        if not m or m.group(1) in words:
            continue
        obj = _resolve(m.group(1), owners)
        if m.group(2) and title != "checkpoints":  # the checkpoint row describes, not names
            params = set(inspect.signature(obj).parameters)
            for arg in m.group(2).split(","):
                a = re.match(r"\s*([A-Za-z_]\w*)", arg)
                if a:
                    assert a.group(1) in params, f"{m.group(1)} has no parameter {a.group(1)}"


@pytest.mark.parametrize("title", list(ROWS))
def test_every_public_name_is_listed(title):
    module, _, _ = ROWS[title]
    if module is gg:
        public = ["save", "load", "serialization.CheckpointError"]
    else:
        public = getattr(module, "__all__", None) or [
            n for n, v in vars(module).items() if not n.startswith("_")
            and getattr(v, "__module__", "").startswith(module.__name__)]
    row = _row(title)
    listed = {m.group(1) for m in re.finditer(r"`([A-Za-z_][\w.]*)", row)}
    listed |= {n.split(".")[-1] for n in listed}
    missing = [n for n in public if n not in listed
               and not isinstance(getattr(module, n, None), types.ModuleType)]
    assert not missing, f"README row {title} does not list {missing}"


def test_cross_entropy_takes_class_weights_and_probability_targets():
    """What the README now says of cross_entropy: class weights, probability targets."""
    x = gg.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 0.3]], dtype=gg.float64)
    w = gg.tensor([0.5, 1.0, 2.0], dtype=gg.float64)
    loss = F.cross_entropy(x, gg.tensor([1, 2]), weight=w)
    logp = x.numpy() - np.log(np.exp(x.numpy()).sum(1))[:, None]
    want = -(1.0 * logp[0, 1] + 2.0 * logp[1, 2]) / 3.0
    assert loss.item() == pytest.approx(want, rel=1e-12)
    p = gg.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], dtype=gg.float64)
    assert F.cross_entropy(x, p).item() == pytest.approx(
        -(p.numpy() * logp).sum(1).mean(), rel=1e-12)
