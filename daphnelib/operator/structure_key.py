"""A node's structural key, built with the node, so ``compute()`` on a rebuilt graph finds
its compiled program without lowering the graph again.

A node whose sub-DAG is a tree (no node reached twice) of at most :data:`MAX_NODES` nodes
with plain constants (numbers, strings, literal ranges) and input data carries
``(key, data, leaves, size)``:

- ``key``: ``(op, kind, *argument keys)`` where a node argument's key is its own key, a
  constant's is ``engine.structure.literal_key`` (1, 1.0 and True differ) and a data
  argument's its kind. For a tree, lowering is a function of the key alone: equal keys, the
  same program apart from its input buffers.
- ``data``: the input buffers in the order lowering reads them (each argument's sub-tree in
  turn, then the node's own buffers), the order the compiled program takes them in.
- ``leaves``: one token per leaf node of the sub-DAG. Two sub-DAGs that share a node share
  its leaves, so disjoint leaf sets make the union a tree again; otherwise (``X + X``,
  ``X * 2 + X``) the node has no key and is lowered as before.
- ``size``: the number of nodes (keys stay small: hashing them is part of every compute()).

Nodes without a key (shared sub-DAGs, control flow, big graphs) take the generic path:
lowering and the executor's cache keyed by the lowered program.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from daphnelib.engine.structure import DATA, data_key, literal_key

if TYPE_CHECKING:
    from daphnelib.engine.program import Kind

#: (key, data, leaves, size), see the module docstring.
Tree = tuple[tuple[Any, ...], tuple[Any, ...], frozenset[int], int]

#: Sub-DAGs of more nodes get no key: their lowering is cheap next to their run anyway.
MAX_NODES = 64

_tokens = itertools.count()


def tree_of(op: str, kind: Kind, args: tuple[Any, ...]) -> Tree | None:
    """The tree of a node ``op(args)`` of ``kind``, or None (see the module docstring)."""
    parts: list[Any] = [op, kind._value_]
    data: tuple[Any, ...] = ()
    own: list[Any] = []
    leaves: frozenset[int] | None = None
    size = 1
    for a in args:
        t = type(a)
        if t is float or t is int or t is str:
            parts.append((t, repr(a)))
            continue
        if isinstance(a, DATA):
            parts.append(data_key(a))
            own.append(a)
            continue
        sub = getattr(a, "_tree", False)
        if sub is None:  # a node without a key
            return None
        if sub is not False:
            if leaves is None:
                leaves = sub[2]
            elif leaves.isdisjoint(sub[2]):
                leaves = leaves | sub[2]
            else:
                return None  # a shared node: lowering emits it once
            parts.append(sub[0])
            data += sub[1]
            size += sub[3]
        else:
            try:
                parts.append(literal_key(a))
            except TypeError:
                return None
    if size > MAX_NODES:
        return None
    if own:
        data += tuple(own)
    return tuple(parts), data, frozenset((next(_tokens),)) if leaves is None else leaves, size
