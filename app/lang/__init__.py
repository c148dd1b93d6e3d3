"""The program language: the JSON form (schema), the source compiler and the interpreter.

SPEC §2 is the contract. ``app/`` uses only what this module exports.
"""

from .compiler import compile_source
from .environment import Environment
from .errors import (
    LangError,
    LimitExceeded,
    ProgramError,
    ProgramValidationError,
    SourceSyntaxError,
)
from .interpreter import RunResult, run_program
from .limits import Limits
from .schema import Program
from .validation import parse_program, parse_source

__all__ = [
    "compile_source",
    "parse_program",
    "parse_source",
    "Program",
    "Environment",
    "Limits",
    "RunResult",
    "run_program",
    "LangError",
    "SourceSyntaxError",
    "ProgramValidationError",
    "ProgramError",
    "LimitExceeded",
]
