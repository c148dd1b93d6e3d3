"""The program caches of a host are bounded in bytes (program nodes), not only in entries: a
few huge programs cannot pin hundreds of MB (issue 15, "the compile cache is bounded in
bytes")."""

from __future__ import annotations

from app.lang import compile_source, compiler, interpreter, parse_program, run_program, validation
from app.services.execution import new_environment


def test_bounded_cache_evicts_by_nodes_first_in_first_out():
    cache = validation.BoundedCache(size=10, max_nodes=100)
    for key, nodes in (("a", 40), ("b", 40), ("c", 40)):
        cache.put(key, key.upper(), nodes)
    assert list(cache) == ["b", "c"] and cache.nodes == 80
    cache.put("huge", "H", 500)  # alone over the bound: kept (the newest), all else goes
    assert list(cache) == ["huge"] and cache.nodes == 500
    for i in range(20):
        cache.put(i, i, 1)
    assert len(cache) == 10 and cache.nodes == 10
    cache.put(19, "again", 1)  # already there: nothing changes
    assert cache[19] == 19 and cache.nodes == 10
    cache.clear()
    assert cache.nodes == 0 and not cache


def test_the_hosts_program_caches_count_nodes():
    program = [{"assign": f"v{i}", "value": i} for i in range(300)]
    parsed = parse_program(program)
    key = validation.raw_of(parsed)[1]
    assert validation.nodes_of(parsed) >= 600
    assert validation._cache._weights[key] == validation.nodes_of(parsed)
    run_program(program + [{"expr": {"var": "v7"}}], new_environment("cpu", 0))
    latest = next(reversed(interpreter._code_cache))
    assert interpreter._code_cache._weights[latest] >= 600
    for cache in (validation._cache, validation._source_cache, interpreter._code_cache):
        assert cache.nodes == sum(cache._weights.values())
        assert cache.nodes <= validation.CACHE_MAX_NODES or len(cache) == 1


def test_long_sources_are_not_kept_compiled():
    source = "x = 1\n" * (compiler.CACHED_SOURCE_CHARS // 6 + 10)
    assert len(source) > compiler.CACHED_SOURCE_CHARS
    size = compiler._compile_cached.cache_info().currsize
    assert compile_source(source) == compile_source(source)
    assert compiler._compile_cached.cache_info().currsize == size
    short = "y = 2\n"
    compile_source(short)
    assert compiler._compile_cached.cache_info().currsize in (size, size + 1)
