"""Service settings: one pydantic-settings class, from ``AUTOGRAD_*`` variables and ``.env``."""

from __future__ import annotations

import json
import os
import re
import socket
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVICE_PATTERN = re.compile(r"^(cpu|cuda(:\d+)?)$")


def _split_list(value: object) -> object:
    """``"a,b"`` (or a JSON list) from the environment becomes ``["a", "b"]``."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the service can be configured with (SPEC §6)."""

    model_config = SettingsConfigDict(
        env_prefix="AUTOGRAD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = Field("127.0.0.1", description="Bind address of `python -m app`.")
    port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = Field(False, description="uvicorn's access log of `python -m app`: a line "
                             "per request at the info level. Off by default (gunicorn's default; "
                             "a proxy, an ingress and /metrics see every request): it costs "
                             "~33-38 us of the serving process's CPU per request, written before "
                             "the reply (benchmarks/README.md); `make run` turns it on.")

    device: str = Field("cpu", description="Default device of new sessions: cpu, cuda, cuda:N.")
    allowed_devices: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["cpu", "cuda"],
        description="Devices a session may ask for; `cuda` allows every `cuda:N`.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        repr=False,
        description="Accepted API keys; empty means no authentication.",
    )

    max_sessions: int = Field(1000, ge=1, description="Sessions alive at once, all keys.")
    session_ttl_s: float = Field(1800.0, gt=0, description="Idle time after which a session ends.")
    max_session_ttl_s: float = Field(86400.0, gt=0, description="Largest ttl_s a client may ask.")
    cull_interval_s: float = Field(30.0, gt=0, description="How often expired sessions are freed.")

    max_steps: int = Field(1_000_000, ge=1)
    run_timeout_s: float = Field(30.0, gt=0)
    max_tensor_elements: int = Field(50_000_000, ge=1)
    max_session_bytes: int = Field(1 << 30, ge=1)
    max_recursion_depth: int = Field(200, ge=1)
    max_loop_iterations: int = Field(1_000_000, ge=1)
    max_program_nodes: int = Field(100_000, ge=1)
    max_nesting_depth: int = Field(100, ge=1)
    max_store_bytes: int = Field(1 << 28, ge=0, description="Bytes of a session's virtual files "
                                 "(torch.save); they count in max_session_bytes too.")
    max_store_files: int = Field(1000, ge=0, description="Files, directories and objects saved "
                                 "whole in a session's virtual file store.")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest request body.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins a browser page may call the API from (CORS), e.g. "
                    "`https://app.example.com`; `*` allows any; empty (the default): none.",
    )

    hosts: int = Field(0, ge=0, description="Most session hosts (worker processes) alive at "
                       "once; 0: four times the CPUs, at least 8.")
    hosts_warm: int = Field(1, ge=0, description="Hosts started with the service.")
    run_grace_s: float = Field(5.0, gt=0, description="A run still going this long after its "
                               "timeout has its host killed.")
    demote_after_ms: float = Field(2.0, ge=0, description="A request that has used this much "
                                   "CPU time runs at the lowest CPU priority (SCHED_IDLE) "
                                   "while another request is short, so short requests go "
                                   "first; 0: never (also where hosts could not take their "
                                   "priority back: no RLIMIT_NICE).")
    state_dir: str = Field("autograd-state", description="Folder of the durable session store "
                           "(SQLite); relative to the working directory.")
    shutdown_grace_s: float = Field(10.0, ge=0, description="On shutdown, how long requests "
                                    "in flight may finish before their hosts are ended.")
    memory_budget: int = Field(0, ge=0, description="Bytes all hosts and the serving process "
                               "may use together; 0: 75% of the tightest of the cgroup limit, "
                               "RLIMIT_AS and the physical memory.")
    host_memory_max: int = Field(0, ge=0, description="Memory one session host may use (its "
                                 "own memory cgroup, where the machine lets the service make "
                                 "one; past it the kernel ends that host only); 0: the memory "
                                 "budget.")
    max_reply_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest reply body "
                                 "(a larger one is refused with a hint to use base64).")
    max_run_cost: float = Field(1e11, gt=0, description="Cost units (about a nanosecond of "
                                "work each) the costly ops of one run may add up to; each is "
                                "estimated from its shapes before it runs.")
    cost_rate: float = Field(1e9, gt=0, description="Cost units this machine does per second: "
                             "an op whose estimate cannot finish in the run's time left is "
                             "refused before it starts.")
    key_max_sessions: int = Field(0, ge=0, description="Sessions one API key may hold; 0: a "
                                  "quarter of max_sessions with API keys, all without.")
    key_max_runs: int = Field(0, ge=0, description="Requests one API key may have running or "
                              "waiting for a host at once; 0: twice the hosts with API keys, "
                              "eight times without.")
    key_max_memory: int = Field(0, ge=0, description="Bytes the sessions of one API key may "
                                "hold; 0: half the memory budget with API keys, all without.")
    max_connections: int = Field(1000, ge=1, description="Open connections (`python -m app`); "
                                 "one more is answered 503 and closed.")
    max_header_bytes: int = Field(32 * 1024, ge=1024, description="Largest request line and "
                                  "headers (431).")
    header_timeout_s: float = Field(10.0, gt=0, description="Time to send a request's headers "
                                    "(408).")
    body_timeout_s: float = Field(30.0, gt=0, description="Longest pause while sending a body "
                                  "(the connection is closed).")
    idle_timeout_s: float = Field(5.0, gt=0, description="Idle time after which a kept-alive "
                                  "connection is closed.")
    snapshot_every: int = Field(64, ge=0, description="Log entries after which a session's "
                                "state is snapshotted (when it is plain values: tensors without "
                                "graphs, numbers, lists...) and the log before it dropped; "
                                "0: never.")
    state_sync: Literal["normal", "full"] = Field(
        "normal", description="normal: a 200 survives the crash of any process; full: also a "
        "power cut (an fsync per request).")

    # -- many replicas (README, "Scale out")
    state_url: str = Field("", description="A shared session store for replicas on many "
                           "machines: redis://[:password@]host:6379/0 (or rediss://, unix://); "
                           "empty: SQLite in state_dir (one machine).")
    lease_s: float = Field(10.0, gt=0, description="How long a replica's hold on a session "
                           "outlives its last request (renewed while requests run); another "
                           "replica may take the session over after it.")
    lease_wait_s: float = Field(15.0, ge=0, description="How long a request for a session held "
                                "by another replica waits for its lease before a 503.")
    session_id_header: str = Field("", description="A request header through which a trusted "
                                   "proxy proposes the id of a session being created (the id it "
                                   "hashed to pick this replica), e.g. X-Autograd-Session-Id; "
                                   "empty: ids are drawn here. Set only behind such a proxy.")
    replica: str = Field("", description="This replica's name, for a deployment of many: "
                         "every metric gets a `replica` label with it; `auto`: the host name "
                         "(a container's or a pod's). The X-Autograd-Replica header of every "
                         "reply names it (empty: the host name, and no metric label).")

    @field_validator("allowed_devices", "api_keys", "cors_origins", mode="before")
    @classmethod
    def _lists_from_env(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("state_url")
    @classmethod
    def _state_url_scheme(cls, value: str) -> str:
        value = value.strip()
        if value and value.partition("://")[0].lower() not in ("redis", "rediss", "unix"):
            raise ValueError("state_url must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("device")
    @classmethod
    def _device_format(cls, value: str) -> str:
        value = value.strip().lower()
        if not DEVICE_PATTERN.match(value):
            raise ValueError(f"device must be cpu, cuda or cuda:N, not {value!r}")
        return value

    @field_validator("allowed_devices")
    @classmethod
    def _allowed_format(cls, value: list[str]) -> list[str]:
        devices = [v.strip().lower() for v in value]
        for device in devices:
            if not DEVICE_PATTERN.match(device):
                raise ValueError(f"allowed device must be cpu, cuda or cuda:N, not {device!r}")
        return devices

    @model_validator(mode="after")
    def _default_device_allowed(self) -> Settings:
        if not device_allowed(self.device, self.allowed_devices):
            raise ValueError(f"device {self.device!r} is not in allowed_devices")
        return self

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    @property
    def replica_name(self) -> str:
        """``replica``, or the host name (a container's or a pod's own)."""
        return self.replica if self.replica not in ("", "auto") else socket.gethostname()

    @property
    def host_count(self) -> int:
        """``hosts``, or its default for this machine."""
        return self.hosts or min(64, max(8, 4 * (os.cpu_count() or 1)))

    @property
    def memory_budget_bytes(self) -> int:
        """``memory_budget``, or its default for this machine."""
        from app.services.memory import default_budget

        return self.memory_budget or default_budget()

    @property
    def key_session_quota(self) -> int:
        if self.key_max_sessions:
            return self.key_max_sessions
        return max(1, self.max_sessions // 4) if self.auth_enabled else self.max_sessions

    @property
    def key_run_quota(self) -> int:
        return self.key_max_runs or (2 if self.auth_enabled else 8) * self.host_count

    @property
    def key_memory_quota(self) -> int:
        if self.key_max_memory:
            return self.key_max_memory
        budget = self.memory_budget_bytes
        return budget // 2 if self.auth_enabled else budget


def device_allowed(device: str, allowed: list[str]) -> bool:
    """``cuda`` in the allow-list admits every ``cuda:N``; ``cuda:0`` admits itself and ``cuda``."""
    if device in allowed:
        return True
    if device.startswith("cuda:") and "cuda" in allowed:
        return True
    return device == "cuda" and "cuda:0" in allowed


@lru_cache
def get_settings() -> Settings:
    return Settings()
