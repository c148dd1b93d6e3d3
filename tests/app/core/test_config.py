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
