"""The JSON form's models: validation errors with pointers, the published schema, the cache."""

from __future__ import annotations

import json

import pytest

from app.lang import (
    Environment,
    LimitExceeded,
    Limits,
    Program,
    ProgramValidationError,
    compile_source,
    interpreter,
    parse_program,
    run_program,
)

from .test_seed import CANONICAL, CELLS


@pytest.mark.parametrize("program, pointer, words", [
    ([{"assign": "x", "value": {"foo": 1}}], "#/program/0/value", "expected an expression"),
    ([{"bogus": 1}], "#/program/0", "expected a statement"),
    ([{"expr": 1}, {"if": True, "then": [{"assign": "__x", "value": 1}]}],
     "#/program/1/then/0/assign", "pattern"),
    ([{"expr": {"attr": "__dict__", "of": 1}}], "#/program/0/expr/attr", "pattern"),
    ([{"expr": {"attr": "__globals__", "of": 1}}], "#/program/0/expr/attr", "pattern"),
    ([{"assign": "x", "value": 1, "extra": 2}], "#/program/0/extra", "Extra inputs"),
    ([{"expr": {"call": "f", "args": [{"var": "x", "of": 1}]}}],
     "#/program/0/expr/args/0/of", "Extra inputs"),
    ([{"expr": {"index": {"var": "x"}, "key": [{"slice": [1]}]}}],
     "#/program/0/expr/key/0/slice", "at least 2"),
    ([{"setattr": {"var": "x"}, "attr": "__dict__", "value": 1}], "#/program/0/attr",
     "pattern"),
    ([{"expr": {"call": "f", "args": [{"star": {"var": "x"}, "of": 1}]}}],
     "#/program/0/expr/args/0/of", "Extra inputs"),
    ([{"expr": {"method": "sum", "args": []}}], "#/program/0/expr/args", "at least 1"),
    ([{"def": "__class__", "params": [], "body": []}], "#/program/0/def", "pattern"),
    ([{"expr": {"dict": [[1]]}}], "#/program/0/expr/dict/0", "Field required"),
    ([{"expr": {"float": "1.5"}}], "#/program/0/expr/float", "valid"),
    ([{"assign": {"call": "f"}, "value": 1}], "#/program/0/assign", "assignment target"),
    ([{"with": "open", "body": []}], "#/program/0/with", "'no_grad'"),
    ([{"for": "i", "in": [1], "body": {}}], "#/program/0/body", "list"),
    ([{"expr": {"and": []}}], "#/program/0/expr/and", "at least 1"),
    ({"not": "a list"}, "#/program/0", "expected a statement"),
])
def test_invalid_programs_get_one_precise_error_with_a_pointer(program, pointer, words):
    with pytest.raises(ProgramValidationError) as info:
        parse_program(program)
    err = info.value
    assert (err.code, err.status) == ("invalid_request", 422)
    assert err.extra["pointer"] == pointer
    assert words in err.detail


def test_a_json_string_is_a_string_literal_never_a_variable():
    env = Environment()
    env.variables["x"] = 5
    assert run_program([{"expr": "x"}], env).result == "x"


def test_parse_accepts_a_list_a_program_object_or_one_statement():
    for doc in ([{"expr": 1}], {"program": [{"expr": 1}]}, {"expr": 1}):
        assert isinstance(parse_program(doc), Program)
    with pytest.raises(ProgramValidationError):
        parse_program("x = 1")


def test_every_seed_cell_validates_and_round_trips():
    for (source, program, _), canonical in zip(CELLS, CANONICAL, strict=True):
        for form in (program, canonical):
            parsed = parse_program(form)
            assert json.loads(parsed.model_dump_json(by_alias=True, exclude_unset=True)) \
                == form
        assert compile_source(source) == canonical


def test_published_schema_names_every_statement_and_expression():
    schema = Program.model_json_schema()
    text = json.dumps(schema)
    for name in ("Assign", "SetItem", "SetAttr", "ExprStmt", "If", "While", "For", "Break",
                 "Continue", "Def", "Return", "With", "Var", "Call", "Attr", "Index", "And",
                 "Or", "Not", "IfExp", "SliceKey", "EllipsisKey", "Method", "Lib", "FloatLit",
                 "Lambda", "TupleLit", "SetLit", "DictLit", "ListComp", "SetComp", "DictComp",
                 "GenExp", "Star", "StarStar", "ParamDefault", "ClassDef", "Try", "Handler",
                 "Raise", "Assert", "Global", "Nonlocal", "Yield", "YieldFrom", "Delete",
                 "Import", "FromImport", "StarTarget", "Comprehension"):
        assert name in schema["$defs"], name
        assert schema["$defs"][name].get("description"), name
    assert schema["examples"] and '"torch.arange"' in text
    assert schema["$defs"]["Assign"]["additionalProperties"] is False


def test_depth_is_checked_before_pydantic():
    expr = {"var": "x"}
    for _ in range(5000):
        expr = {"not": expr}
    with pytest.raises(LimitExceeded) as info:
        parse_program([{"expr": expr}])
    assert info.value.extra["limit"] == "max_nesting_depth" and info.value.status == 413


def test_depth_between_our_limit_and_pydantics_is_still_a_limit_error():
    expr = {"var": "x"}
    for _ in range(150):
        expr = {"not": expr}
    with pytest.raises(LimitExceeded):
        parse_program([{"expr": expr}], Limits(max_nesting_depth=1000))


def test_validated_programs_and_compiled_code_are_cached_by_content():
    program = [{"assign": "cache_probe", "value": {"call": "add", "args": [1, 41]}},
               {"expr": {"var": "cache_probe"}}]
    before = interpreter.compile_count
    env = Environment()
    for _ in range(1000):
        assert run_program(json.loads(json.dumps(program)), env).result == 42
    assert interpreter.compile_count == before + 1
    assert parse_program(json.loads(json.dumps(program))) is parse_program(program)
    run_program(program + [{"expr": 1}], env)
    assert interpreter.compile_count == before + 2


def test_source_compiles_once_per_text():
    from app.lang.compiler import _compile_cached

    source = "cache_probe_2 = 1\ncache_probe_2"
    hits = _compile_cached.cache_info().hits
    for _ in range(10):
        compile_source(source)
    assert _compile_cached.cache_info().hits >= hits + 9


def test_parsed_sources_are_cached_and_still_checked_against_the_limits():
    from app.lang import SourceSyntaxError, parse_source

    source = "parse_probe = [1, 2, 3]\nparse_probe[0] + parse_probe[2]"
    first = parse_source(source)
    assert isinstance(first, Program)
    assert parse_source(source[:]) is first  # the same text: the same validated program
    assert run_program(first, Environment()).result == 4
    with pytest.raises(LimitExceeded) as info:  # a cache hit is checked like a miss
        parse_source(source, Limits(max_program_nodes=5))
    assert info.value.extra["limit"] == "max_program_nodes"
    with pytest.raises(SourceSyntaxError):
        parse_source("parse_probe = (")
    from app.lang import validation

    long_source = "x = 1\n" * 5000 + "x"  # over the cached size: not kept by its text
    assert parse_source(long_source) is not None
    assert not any(text == long_source for text, _ in validation._source_cache)
