import pytest
from pydantic import ValidationError

from app.core.config import Settings, device_allowed


def test_defaults_bind_loopback_and_cpu(monkeypatch):
    for name in ("AUTOGRAD_HOST", "AUTOGRAD_DEVICE", "AUTOGRAD_API_KEYS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.host == "127.0.0.1"
    assert settings.device == "cpu"
    assert settings.api_keys == [] and not settings.auth_enabled


def test_environment_variables_are_read_with_prefix(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_API_KEYS", "alpha, beta")
    monkeypatch.setenv("AUTOGRAD_ALLOWED_DEVICES", '["cpu"]')
    monkeypatch.setenv("AUTOGRAD_MAX_SESSIONS", "7")
    monkeypatch.setenv("AUTOGRAD_RUN_TIMEOUT_S", "2.5")
    monkeypatch.setenv("AUTOGRAD_MAX_BODY_BYTES", "4096")
    settings = Settings(_env_file=None)
    assert settings.api_keys == ["alpha", "beta"]
    assert settings.allowed_devices == ["cpu"]
    assert settings.max_sessions == 7
    assert settings.run_timeout_s == 2.5
    assert settings.max_body_bytes == 4096


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOGRAD_MAX_STEPS", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("AUTOGRAD_MAX_STEPS=1234\n")
    assert Settings(_env_file=env_file).max_steps == 1234


@pytest.mark.parametrize("device", ["npu", "cuda:", "cuda:x", "tpu:0", ""])
def test_malformed_device_is_rejected(device):
    with pytest.raises(ValidationError):
        Settings(_env_file=None, device=device)


def test_default_device_must_be_allowed():
    with pytest.raises(ValidationError):
        Settings(_env_file=None, device="cuda:1", allowed_devices=["cpu"])


def test_api_keys_are_not_in_repr():
    assert "sekrit" not in repr(Settings(_env_file=None, api_keys=["sekrit"]))


@pytest.mark.parametrize(("device", "allowed", "ok"), [
    ("cpu", ["cpu"], True),
    ("cuda:3", ["cpu", "cuda"], True),
    ("cuda", ["cuda:0"], True),
    ("cuda:1", ["cuda:0"], False),
    ("cuda", ["cpu"], False),
])
def test_device_allow_list(device, allowed, ok):
    assert device_allowed(device, allowed) is ok


@pytest.mark.parametrize(("value", "logged"), [(None, False), ("true", True), ("false", False)])
def test_access_log_of_python_m_app_follows_the_setting(monkeypatch, value, logged):
    """``python -m app`` hands ``AUTOGRAD_ACCESS_LOG`` (default off) to uvicorn, whose access
    logger then has handlers (a line per request) or none (uvicorn's protocols skip it)."""
    import logging
    import runpy

    import uvicorn

    from app.core import config as config_module

    if value is None:
        monkeypatch.delenv("AUTOGRAD_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("AUTOGRAD_ACCESS_LOG", value)
    monkeypatch.setenv("AUTOGRAD_LOG_LEVEL", "info")
    config_module.get_settings.cache_clear()
    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kwargs: seen.update(kwargs))
    access = logging.getLogger("uvicorn.access")
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    kept = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    try:
        runpy.run_module("app", run_name="__main__")
        assert seen["access_log"] is logged
        uvicorn.Config("app.main:app", log_level=seen["log_level"],
                       access_log=seen["access_log"])  # configures uvicorn's loggers
        assert access.hasHandlers() is logged
    finally:
        config_module.get_settings.cache_clear()
        for lg, handlers, level, propagate in kept:  # as uvicorn's logging config found them
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
