"""einsum: Einstein summation over any number of operands, differentiable.

The equation is first made explicit (``...`` and an implicit output replaced by letters, and
dimensions of size 1 that broadcast against a larger size dropped from their operand), so the
op itself sees only ``"ab,bc->ac"``-style equations. The gradient of each operand is one more
einsum: the output gradient and the other operands contracted to that operand's subscripts,
with a ones vector for each letter only it has and an identity matrix for each repeated letter
(a diagonal); on Tensors (second derivatives) the same einsum is run differentiably.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..autograd import Op
from ..tensor import Tensor
from .unary import torch_type_name

__all__ = ["einsum"]

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's label order


class Einsum(Op):
    """An explicit einsum ``terms[0],terms[1],...->out`` (no ``...``, sizes already matched)."""

    def forward(self, *operands, terms, out):
        self.terms, self.out = terms, out
        self.sizes = {c: n for t, a in zip(terms, operands) for c, n in zip(t, a.shape)}
        for i, a in enumerate(operands):  # each input saved as itself (Tensors in a graph pass)
            setattr(self, f"x{i}", a)
        self.dtype, self.ar = operands[0].dtype, self.xp  # constants are built with ar
        eq = ",".join(terms) + "->" + out
        return self.xp.einsum(eq, *operands, optimize=len(operands) > 2)

    def _grads(self, gy, contract):
        """The gradient of every operand that needs one, contracting with ``contract``."""
        xs = [getattr(self, f"x{i}") for i in range(len(self.terms))]
        grads = []
        for i, term in enumerate(self.terms):
            if not self.needs[i]:
                grads.append(None)
                continue
            spec = [self.out] + [t for j, t in enumerate(self.terms) if j != i]
            args = [gy] + [x for j, x in enumerate(xs) if j != i]
            have = set("".join(spec))
            free = iter(c for c in _LETTERS if c not in set("".join(self.terms) + self.out))
            target = []
            for c in term:
                if c in target:  # a repeated letter: a diagonal, through an identity matrix
                    f = next(free)
                    spec.append(c + f)
                    args.append(self.ar.eye(self.sizes[c], dtype=self.dtype))
                    target.append(f)
                else:
                    if c not in have:  # a letter only this operand has: broadcast by ones
                        spec.append(c)
                        args.append(self.ar.ones(self.sizes[c], dtype=self.dtype))
                        have.add(c)
                    target.append(c)
            grads.append(contract(",".join(spec) + "->" + "".join(target), args))
        return tuple(grads)

    def backward(self, gy):
        xp = self.xp
        return self._grads(gy, lambda eq, args: xp.einsum(eq, *args, optimize=len(args) > 2))

    def graph_backward(self, gy):
        return self._grads(gy, lambda eq, args: _apply(eq, args))


_CLASSES: dict[int, type[Einsum]] = {}


def _einsum_class(n: int) -> type[Einsum]:
    """The Einsum op for ``n`` operands (its ``saved_inputs`` name them all)."""
    cls = _CLASSES.get(n)
    if cls is None:
        cls = _CLASSES[n] = type("Einsum", (Einsum,), {"saved_inputs": tuple(range(n)),
                                                       "__module__": __name__})
    return cls


def _apply(eq: str, operands: list[Any]) -> Tensor:
    """An explicit equation on Tensors (and constant arrays), differentiably."""
    lhs, out = eq.split("->")
    terms = lhs.split(",")
    return _einsum_class(len(operands)).apply(*operands, terms=terms, out=out)


def _error(msg: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {msg}")


def _parse(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[list[str]], str]:
    """Per operand its letters (``...`` expanded into fresh letters) and the output letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    if "->" in rhs:
        raise _error(f"invalid subscript given at index {eq.index('->') + 2 + rhs.index('-')} in "
                     "the equation string, subscripts must be in [a-zA-Z]")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise _error("fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise _error("more operands were provided than specified in the equation")
    pos = 0
    parsed: list[tuple[list[str], int | None]] = []  # letters, index of '...' among them
    for i, term in enumerate(terms):
        letters: list[str] = []
        ell = None
        k = 0
        while k < len(term):
            c = term[k]
            if c == ".":
                if term[k:k + 3] != "..." or ell is not None:
                    raise _error(f"found '.' for operand {i} that is not part of any ellipsis")
                ell = len(letters)
                k += 3
                continue
            if c not in _LETTERS:
                raise _error(f"invalid subscript given at index {pos + k} in the equation "
                             "string, subscripts must be in [a-zA-Z]")
            letters.append(c)
            k += 1
        pos += len(term) + 1
        ndim = len(shapes[i])
        if ell is None and len(letters) != ndim:
            raise _error(f"the number of subscripts in the equation ({len(letters)}) does not "
                         f"match the number of dimensions ({ndim}) for operand {i} and no "
                         "ellipsis was given")
        if ell is not None and len(letters) > ndim:
            raise _error(f"the number of subscripts in the equation ({len(letters)}) is more "
                         f"than the number of dimensions ({ndim}) for operand {i}")
        parsed.append((letters, ell))
    used = set(lhs + rhs)
    fresh = [c for c in _LETTERS if c not in used]
    n_ell = max((len(shapes[i]) - len(ls) for i, (ls, e) in enumerate(parsed) if e is not None),
                default=0)
    if n_ell > len(fresh):
        raise _error("too many dimensions under '...'")
    ell_letters = fresh[:n_ell]
    full = []
    for i, (ls, e) in enumerate(parsed):
        if e is None:
            full.append(ls)
        else:
            k = len(shapes[i]) - len(ls)
            full.append(ls[:e] + ell_letters[n_ell - k:] + ls[e:])
    if not arrow:
        counts: dict[str, int] = {}
        for ls, _ in parsed:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out = "".join(ell_letters) + "".join(sorted((c for c, n in counts.items() if n == 1),
                                                    key=_LETTERS.index))
        return full, out
    out_letters: list[str] = []
    k = 0
    while k < len(rhs):
        c = rhs[k]
        if c == ".":
            if rhs[k:k + 3] != "...":
                raise _error("found '.' for output but an ellipsis (...) was already found")
            out_letters.extend(ell_letters)
            k += 3
            continue
        if c not in _LETTERS:
            raise _error(f"invalid subscript given at index {len(lhs) + 2 + k} in the equation "
                         "string, subscripts must be in [a-zA-Z]")
        if c in out_letters:
            raise _error(f"output subscript {c} appears more than once in the output")
        if not any(c in ls for ls in full):
            raise _error(f"output subscript {c} does not appear in the equation for any input "
                         "operand")
        out_letters.append(c)
        k += 1
    return full, "".join(out_letters)


def _from_sublists(args: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """``einsum(op0, [0, 1], op1, [1, 2], [0, 2])``: the equation and the operands."""
    if len(args) % 2:
        ops, subs, out = list(args[0:-1:2]), list(args[1:-1:2]), args[-1]
    else:
        ops, subs, out = list(args[0::2]), list(args[1::2]), None

    def letters(sub: Any) -> str:
        s = ""
        for v in sub:
            if v is Ellipsis:
                s += "..."
            elif isinstance(v, (int, np.integer)) and 0 <= v < 52:
                s += _LETTERS[v]
            else:
                raise ValueError(f"einsum(): expected subscript to be within [0, 52) but got {v}")
        return s

    eq = ",".join(letters(s) for s in subs)
    if out is not None:
        eq += "->" + letters(out)
    return eq, ops


def einsum(*args: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``. Letters a-z and A-Z,
    ``...`` for the dimensions not named, an implicit output (the letters seen once, sorted)
    when there is no ``->``; operands may be given as one list, or in the sublist format
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. All operands must have one dtype; dimensions of
    size 1 broadcast."""
    if not args:
        raise TypeError("einsum() missing 1 required positional argument: 'equation'")
    if isinstance(args[0], str):
        equation, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    else:
        equation, ops = _from_sublists(args)
    if not ops:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    for i, t in enumerate(ops):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(t).__name__}")
    for t in ops[1:]:
        if t._data.dtype != ops[0]._data.dtype:
            raise RuntimeError(f"expected scalar type {torch_type_name(ops[0]._data.dtype)} but "
                               f"found {torch_type_name(t._data.dtype)}")
    full, out = _parse(equation, [t.shape for t in ops])
    sizes: dict[str, int] = {}
    for i, (ls, t) in enumerate(zip(full, ops)):
        seen: dict[str, int] = {}
        for c, n in zip(ls, t.shape):
            if c in seen and seen[c] != n:
                raise _error(f"subscript {c} is repeated for operand {i} but the sizes don't "
                             f"match, {seen[c]} != {n}")
            seen[c] = n
            if n != 1 and sizes.get(c, 1) not in (1, n):
                raise _error(f"subscript {c} has size {n} for operand {i} which does not "
                             f"broadcast with previously seen size {sizes[c]}")
            if n != 1 or c not in sizes:
                sizes[c] = n
    # dimensions of size 1 against a larger size broadcast: drop them from their operand
    terms, arrays = [], []
    for ls, t in zip(full, ops):
        keep = [k for k, c in enumerate(ls) if not (t.shape[k] == 1 and sizes[c] != 1)]
        if len(keep) != len(ls):
            t = t.reshape(tuple(t.shape[k] for k in keep))
        terms.append("".join(ls[k] for k in keep))
        arrays.append(t)
    return _einsum_class(len(arrays)).apply(*arrays, terms=terms, out=out)
