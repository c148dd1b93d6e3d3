"""The autograd graph behind a tensor, as nodes and edges (or Graphviz DOT)."""

from __future__ import annotations

from typing import Any

import engine


def _shape(node: Any) -> list[int] | None:
    shapes = node.output_shapes
    return list(shapes[0]) if shapes else None


def build_graph(tensor: engine.Tensor, root_name: str, env_variables: dict[str, Any],
                max_nodes: int = 10_000) -> dict[str, Any]:
    """Walk ``grad_fn.next_functions`` iteratively (graphs built by loops are long). Leaves are
    named after the session variable that holds them, where one does."""
    names = {id(v): k for k, v in env_variables.items() if isinstance(v, engine.Tensor)}
    if tensor.grad_fn is None:
        node_id = "n0"
        kind = "leaf"
        return {"root": node_id, "nodes": [{"id": node_id, "kind": kind, "name": root_name,
                                            "shape": list(tensor.shape)}], "edges": []}
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
            nodes.append({"id": node_id, "kind": "leaf",
                          "name": names.get(id(variable), "leaf"),
                          "shape": list(variable.shape)})
        else:
            nodes.append({"id": node_id, "kind": "op", "name": node.name(),
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
    def quote(text: str) -> str:  # a DOT string; a newline in text becomes DOT's \n
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return '"' + escaped + '"'

    lines = [f"digraph {quote(title)} {{", "  rankdir=BT;",
             "  node [fontname=\"Helvetica\", fontsize=10];"]
    for node in graph["nodes"]:
        shape = node["shape"]
        label = node["name"] + (f"\n{tuple(shape)}" if shape is not None else "")
        style = "shape=box, style=filled, fillcolor=lightblue" if node["kind"] == "leaf" \
            else "shape=box"
        lines.append(f"  {node['id']} [label={quote(label)}, {style}];")
    for edge in graph["edges"]:
        lines.append(f"  {edge['target']} -> {edge['source']};")
    lines.append("}")
    return "\n".join(lines) + "\n"
