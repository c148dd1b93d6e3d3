"""Just enough pytree for ``torch.func``: tuples, lists, dicts (and namedtuples) of leaves."""

from __future__ import annotations


class TreeSpec:
    __slots__ = ("kind", "meta", "children")

    def __init__(self, kind, meta=None, children=()):
        self.kind, self.meta, self.children = kind, meta, children

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)


LEAF = TreeSpec("leaf")


def tree_flatten(x) -> tuple[list, TreeSpec]:
    leaves: list = []
    spec = _flatten(x, leaves)
    return leaves, spec


def _flatten(x, leaves: list) -> TreeSpec:
    t = type(x)
    if t is tuple or t is list:
        return TreeSpec(t, None, tuple(_flatten(e, leaves) for e in x))
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return TreeSpec("namedtuple", t, tuple(_flatten(e, leaves) for e in x))
    if t is dict:
        keys = list(x)
        return TreeSpec(dict, keys, tuple(_flatten(x[k], leaves) for k in keys))
    leaves.append(x)
    return LEAF


def tree_unflatten(leaves, spec: TreeSpec):
    it = iter(leaves)
    return _build(spec, it)


def _build(spec: TreeSpec, it):
    if spec.kind == "leaf":
        return next(it)
    items = [_build(c, it) for c in spec.children]
    if spec.kind is dict:
        return dict(zip(spec.meta, items))
    if spec.kind == "namedtuple":
        return spec.meta(*items)
    return spec.kind(items)


def tree_map(fn, x):
    leaves, spec = tree_flatten(x)
    return tree_unflatten([fn(v) for v in leaves], spec)


def broadcast_prefix(prefix, full, what: str = "in_dims") -> list:
    """Leaves of ``prefix`` repeated over the leaves of ``full`` below them (as torch matches
    ``in_dims`` against the inputs): returns one prefix value per leaf of ``full``."""
    out: list = []
    _broadcast(prefix, full, out, what)
    return out


def _broadcast(prefix, full, out: list, what: str) -> None:
    if not isinstance(prefix, (tuple, list, dict)):
        out.extend([prefix] * tree_flatten(full)[1].num_leaves)
        return
    if isinstance(prefix, dict):
        if not isinstance(full, dict) or set(prefix) != set(full):
            raise ValueError(f"{what} does not match the structure of the inputs")
        for k in full:
            _broadcast(prefix[k], full[k], out, what)
        return
    if not isinstance(full, (tuple, list)) or len(prefix) != len(full):
        raise ValueError(f"{what} does not match the structure of the inputs")
    for p, f in zip(prefix, full):
        _broadcast(p, f, out, what)
