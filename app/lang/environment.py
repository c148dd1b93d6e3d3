"""A session's state between runs: variables, generator, device."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import engine

from .filestore import FileStore


@dataclass(eq=False)
class Environment:
    """What one run leaves for the next run of the same session (notebook semantics).

    ``variables`` maps names to values: tensors, numbers, strings, lists, dicts, and the
    functions, classes, objects and generators a program made (a ``def`` binds a variable, as
    in Python); ``generator`` is the session's own random generator (``manual_seed`` seeds
    it).
    """

    variables: dict[str, Any] = field(default_factory=dict)
    generator: Any = None
    device: str = "cpu"
    print_options: Any = None
    """``torch.set_printoptions`` as the session's programs left them (None: torch's defaults)."""
    deterministic: tuple[bool, bool] = (False, False)
    """``torch.use_deterministic_algorithms``'s mode and warn_only as the programs left them."""
    cudnn: tuple[bool, ...] = (True, False, False, True)
    """``torch.backends.cudnn``'s enabled, benchmark, deterministic and allow_tf32."""
    cpu: tuple = (None, None, False, "highest")
    """``torch.set_num_threads`` / ``set_num_interop_threads`` (and whether it was called) /
    ``set_float32_matmul_precision`` as the programs left them (:mod:`engine.backends`)."""
    default_dtype: str = "float32"
    """``torch.set_default_dtype`` as the programs left it (the dtype's name)."""
    numpy_random: Any = None
    """``np.random``'s global ``RandomState`` for the session's programs (None: not used yet;
    made from the session's seed on first use, see :mod:`app.lang.npmod`)."""
    python_random: Any = None
    """Python's ``random`` module's generator for the session's programs (None: not used
    yet; made from the session's seed on first use, see :mod:`app.lang.pyrandom`)."""
    python_random_unseeded: int = 0
    """How many generators the programs seeded without a seed (``random.seed()``,
    ``random.Random()``): the next one's seed is the session's plus that many ``2**64``."""
    files: FileStore = field(default_factory=FileStore, repr=False)
    """The session's virtual file store (``torch.save``, ``os``: :mod:`app.lang.filestore`)."""
    warning_filters: tuple | None = None
    """``warnings.filterwarnings``/``simplefilter`` as the programs left them, newest first:
    (action, message, category, module, lineno), the category a Warning class's name or a
    program's class (None: Python's defaults; :mod:`app.lang.run_warnings`)."""
    logging: Any = field(default=None, repr=False)
    """The session's ``logging`` loggers and configuration (None: not used yet;
    :mod:`app.lang.pylogging`)."""
    held_bytes_estimate: int = field(default=0, repr=False)
    """An upper estimate of :meth:`memory_bytes` kept by the interpreter between runs."""

    def __post_init__(self) -> None:
        if self.generator is None:  # the session's default generator: a fresh seed, as a
            self.generator = engine.Generator(device=self.device)  # new torch process's
            self.generator.seed()

    def memory_bytes(self) -> int:
        """Bytes held by the session's tensors: variables (and what their objects, closures
        and generators hold), their ``.grad``, saved graph buffers; and its files."""
        from .memory import reachable

        return engine.held_bytes(reachable([self.variables, self.files]))
