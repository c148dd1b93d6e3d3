"""Bounds on an untrusted run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Every bound a run is held to; each overrun is a ``limit_exceeded`` naming the field."""

    max_steps: int = 1_000_000
    """Statements executed plus calls made (ops, builtins, user functions)."""
    timeout_s: float = 30.0
    """Wall-clock deadline of one run, checked between steps."""
    max_tensor_elements: int = 50_000_000
    """Largest tensor an op may create (checked by the engine before allocating)."""
    max_session_bytes: int = 1 << 30
    """Bytes a session may hold in tensors (variables, grads, saved graph buffers)."""
    max_recursion_depth: int = 200
    """Depth of nested user-function calls."""
    max_loop_iterations: int = 1_000_000
    """Iterations of any one loop statement (for one execution of it)."""
    max_program_nodes: int = 100_000
    """Statements and expressions in one program."""
    max_nesting_depth: int = 200
    """Nesting of the program: JSON depth of the JSON form, syntax-tree depth of the source."""
    max_value_elements: int = 10_000_000
    """Longest Python string or list a program may build (and total printed characters)."""
    max_int_bits: int = 100_000
    """Largest Python integer (in bits) a program may build (``10**10**10`` is stopped)."""
    max_store_bytes: int = 1 << 28
    """Bytes of the session's virtual files (``torch.save``; they count in
    ``max_session_bytes`` too)."""
    max_store_files: int = 1000
    """Files, directories and objects saved whole in the session's virtual file store."""


DEFAULT_LIMITS = Limits()
