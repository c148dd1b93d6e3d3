"""``torch.use_deterministic_algorithms`` and its two queries, against torch 2.13: values,
the per-context scope (like grad mode) and the argument checks' texts; ``set_default_device``."""

from __future__ import annotations

import contextvars

import pytest

import engine

torch = pytest.importorskip("torch")


def test_flags_round_trip_as_torch():
    def run(lib):
        seen = [(lib.are_deterministic_algorithms_enabled(),
                 lib.is_deterministic_algorithms_warn_only_enabled())]
        for mode, warn in ((True, False), (True, True), (False, False)):
            assert lib.use_deterministic_algorithms(mode, warn_only=warn) is None
            seen.append((lib.are_deterministic_algorithms_enabled(),
                         lib.is_deterministic_algorithms_warn_only_enabled()))
        return seen

    assert contextvars.copy_context().run(run, engine) == run(torch)


def test_a_setting_stays_in_its_context():
    def inner():
        engine.use_deterministic_algorithms(True)
        return engine.are_deterministic_algorithms_enabled()

    assert contextvars.copy_context().run(inner) is True
    assert engine.are_deterministic_algorithms_enabled() is False


@pytest.mark.parametrize("args", [(1,), ("yes",), (None,)])
def test_mode_must_be_bool(args):
    texts = []
    for lib in (engine, torch):
        with pytest.raises(TypeError) as info:
            lib.use_deterministic_algorithms(*args)
        texts.append(str(info.value))
    assert texts[0] == texts[1]


def test_warn_only_must_be_bool():
    texts = []
    for lib in (engine, torch):
        with pytest.raises(TypeError) as info:
            lib.use_deterministic_algorithms(True, warn_only=1)
        texts.append(str(info.value))
    assert texts[0] == texts[1]


def test_default_device_is_the_sessions():
    assert repr(engine.get_default_device()) == repr(torch.get_default_device())
    engine.set_default_device("cpu")
    engine.set_default_device(None)
    engine.set_default_device(engine.device("cpu"))
    with pytest.raises(engine.errors.NotSupported, match="default device is 'cpu'"):
        engine.set_default_device("cuda")
