"""The autograd graph behind a tensor, as nodes and edges (or Graphviz DOT)."""

from __future__ import annotations

from typing import Any

import engine


def _shape(node: Any) -> list[int] | None:
    shapes = node.output_shapes
    return list(shapes[0]) if shapes else None


def short_repr(tensor: engine.Tensor | None) -> str | None:
    """A tensor's ``repr`` up to 16 elements, else its shape (a ``.grad`` in a list or label)."""
    if tensor is None:
        return None
    if tensor.numel() <= 16:
        return repr(tensor)
    return f"tensor of shape {tuple(tensor.shape)}"


def _leaf(node_id: str, name: str, tensor: Any) -> dict[str, Any]:
    """A leaf node; with the short ``repr`` of its ``.grad`` when it has one."""
    leaf = {"id": node_id, "kind": "leaf", "name": name, "shape": list(tensor.shape)}
    if tensor.grad is not None:
        leaf["grad"] = short_repr(tensor.grad)
    return leaf


def build_graph(tensor: engine.Tensor, root_name: str, env_variables: dict[str, Any],
                max_nodes: int = 10_000) -> dict[str, Any]:
    """Walk ``grad_fn.next_functions`` iteratively (graphs built by loops are long). Leaves are
    named after the session variable that holds them, where one does."""
    names = {id(v): k for k, v in env_variables.items() if isinstance(v, engine.Tensor)}
    if tensor.grad_fn is None:
        return {"root": "n0", "nodes": [_leaf("n0", root_name, tensor)], "edges": []}
    ids: dict[int, str] = {}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []

    def visit(node: Any) -> tuple[str, bool]:
        key = id(node)
        if key in ids:
            return ids[key], False
        node_id = f"n{len(ids)}"
        ids[key] = node_id
        variable = getattr(node, "variable", None)
        if variable is not None:  # AccumulateGrad: the sink of a leaf
            nodes.append(_leaf(node_id, names.get(id(variable), "leaf"), variable))
        else:
            nodes.append({"id": node_id, "kind": "op", "name": engine.autograd.display_name(node),
                          "shape": _shape(node)})
        return node_id, True

    root_id, _ = visit(tensor.grad_fn)
    nodes[0]["shape"] = list(tensor.shape)
    stack = [tensor.grad_fn]
    truncated = False
    while stack:
        node = stack.pop()
        source = ids[id(node)]
        for child, _index in node.next_functions:
            if child is None:
                continue
            if len(ids) >= max_nodes and id(child) not in ids:
                truncated = True
                continue
            target, new = visit(child)
            edges.append({"source": source, "target": target})
            if new:
                stack.append(child)
    graph: dict[str, Any] = {"root": root_id, "nodes": nodes, "edges": edges}
    if truncated:
        graph["extra"] = {"truncated": True, "max_nodes": max_nodes}
    return graph


def to_dot(graph: dict[str, Any], title: str) -> str:
    """Graphviz DOT of :func:`build_graph`'s graph: an edge ``a -> b`` is the JSON edge
    ``{"source": a, "target": b}`` (the gradient flows from a to b), so the root is on top and
    the leaves (filled; with their ``.grad`` when they have one) at the bottom."""
    def quote(text: str) -> str:  # a DOT string; a newline in text becomes DOT's \n
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return '"' + escaped + '"'

    lines = [f"digraph {quote(title)} {{", "  rankdir=TB;",
             "  node [fontname=\"Helvetica\", fontsize=10];"]
    for node in graph["nodes"]:
        shape = node["shape"]
        label = node["name"] + (f"\n{tuple(shape)}" if shape is not None else "")
        if node["kind"] == "leaf":
            if "grad" in node:
                label += f"\ngrad = {node['grad']}"
            style = "shape=box, style=\"rounded,filled\", fillcolor=lightblue"
        else:
            style = "shape=box"
        if node["id"] == graph["root"]:
            style += ", penwidth=2"
        lines.append(f"  {node['id']} [label={quote(label)}, {style}];")
    for edge in graph["edges"]:
        lines.append(f"  {edge['source']} -> {edge['target']};")
    lines.append("}")
    return "\n".join(lines) + "\n"
