"""Bodies of ``POST /v1/sessions/{id}/run``, ``/v1/evaluate`` and ``/v1/compile``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from app.models.examples import SEED_SIMPLE_PROGRAM, SEED_SIMPLE_SOURCE, X_GRAD_REPLY
from app.models.values import Encoding, WireValue

NAME_PATTERN = r"^(?:[A-Za-z][A-Za-z0-9_]*|_(?:[A-Za-z0-9][A-Za-z0-9_]*)?)$"
"""A Python identifier that does not start with two underscores."""

VariableName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=128)]

def _encodable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("source must be valid Unicode text (it has a lone surrogate)") from exc
    return text


SourceText = Annotated[str, AfterValidator(_encodable)]

ProgramJson = Annotated[
    list[Any],  # checked by app.lang.parse_program: its size/depth walk runs before pydantic
    WithJsonSchema({"$ref": "#/components/schemas/Program"}),
    Field(description="The program in the JSON form (`GET /v1/schema`)."),
]


class RunRequest(BaseModel):
    """A program (exactly one of ``source`` and ``program``) and what to bind and return."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "oneOf": [{"required": ["source"]}, {"required": ["program"]}]})

    source: SourceText | None = Field(None, description="The program as (a safe subset of) Python.",
                               examples=[SEED_SIMPLE_SOURCE])
    program: ProgramJson | None = None
    inputs: dict[VariableName, WireValue] = Field(
        default_factory=dict,
        description="Variables bound before the run; a tensor may carry `requires_grad`.",
    )
    outputs: list[VariableName] = Field(
        default_factory=list, description="Variables whose values the reply carries too.",
    )
    encoding: Encoding = Field("json", description="How reply tensors carry their data.")

    @model_validator(mode="after")
    def _one_form(self) -> RunRequest:
        if (self.source is None) == (self.program is None):
            raise ValueError("give exactly one of 'source' and 'program'")
        return self


class EvaluateRequest(RunRequest):
    gradients: list[VariableName] = Field(
        default_factory=list,
        description="Inputs whose `.grad` the reply carries under `gradients` after the run.",
    )


class RunStats(BaseModel):
    steps: int = Field(description="Statements executed plus calls made.")
    elapsed_ms: float


class RunWarning(BaseModel):
    """A warning the run issued, as Python would write it to stderr (``<file>:5: UserWarning:
    ...``): torch's (the engine's, with torch's text) or the program's own
    ``warnings.warn``, filtered as Python's filters do (the session's ``warnings.filterwarnings``
    / ``simplefilter`` apply; by default a warning shows once per statement and run)."""

    category: str = Field(description="The warning's class: `UserWarning`, `DeprecationWarning` "
                                      "... or a program's own Warning subclass.")
    message: str
    pointer: str | None = Field(default=None, description="The statement that issued it (JSON "
                                "pointer into the program), when it is in this run's program.")
    line: int | None = Field(default=None, description="Its line, when the run has a source.")


class RunReply(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"result": X_GRAD_REPLY, "outputs": {}, "printed": [],
         "stats": {"steps": 9, "elapsed_ms": 0.21}}
    ]})

    result: Any = Field(description="The value of the last statement when it is an expression.")
    outputs: dict[str, Any] = Field(default_factory=dict)
    printed: list[str] = Field(default_factory=list)
    stats: RunStats
    warnings: list[RunWarning] | None = Field(
        default=None, description="The warnings the run issued, in order (at most 100); absent "
        "when there are none. Python writes them to stderr, so they are never in `printed`.")


class EvaluateReply(RunReply):
    gradients: dict[str, Any] = Field(default_factory=dict,
                                      description="`.grad` of each named input (or null).")


class CompileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"source": SEED_SIMPLE_SOURCE}]})

    source: SourceText


class CompileReply(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"program": SEED_SIMPLE_PROGRAM}]})

    program: list[dict[str, Any]]
