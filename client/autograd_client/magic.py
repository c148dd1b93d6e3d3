"""``%%autograd``: run a notebook cell in a session of the service (IPython / Jupyter).

    %load_ext autograd_client
    %autograd_connect http://127.0.0.1:8000 --seed 0     # optional: this URL is the default
    %%autograd
    x = torch.arange(4.0, requires_grad=True)
    x

The cell's printed lines are printed (its warnings go to stderr), its value shown by its
PyTorch repr, a problem raised as :class:`AutogradError`. Cells share one session (a new
one with ``%autograd_connect``);
``AUTOGRAD_URL`` and ``AUTOGRAD_API_KEY`` give the defaults. ``autograd_session()`` in the
notebook's namespace is that session, for ``s["x"]`` and ``s.grad("x")``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

from autograd_client.client import DEFAULT_URL, Client, Session


class Shown:
    """A cell's value: IPython displays it by its repr (PyTorch's text for a tensor)."""

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text

    def __repr__(self) -> str:
        return self.text


class AutogradMagics:
    """The state behind the magics: one client and one session, made on first use."""

    def __init__(self) -> None:
        self.url = os.environ.get("AUTOGRAD_URL", DEFAULT_URL)
        self.api_key = os.environ.get("AUTOGRAD_API_KEY") or None
        self.seed: int | None = None
        self.client: Client | None = None
        self.current: Session | None = None

    def session(self) -> Session:
        if self.current is None:
            if self.client is None:
                self.client = Client(self.url, api_key=self.api_key)
            self.current = self.client.session(seed=self.seed)
        return self.current

    def connect(self, line: str) -> Session:
        parser = argparse.ArgumentParser(prog="%autograd_connect", add_help=False)
        parser.add_argument("url", nargs="?", default=self.url)
        parser.add_argument("--api-key", default=self.api_key)
        parser.add_argument("--seed", type=int, default=None)
        args = parser.parse_args(shlex.split(line))
        self.close()
        self.url, self.api_key, self.seed = args.url, args.api_key, args.seed
        return self.session()

    def cell(self, line: str, cell: str) -> Shown | None:
        result = self.session().run(cell)
        for printed in result.printed:
            print(printed)
        for warning in result.warnings:  # as Python writes a warning: to stderr
            print(f"<cell>:{warning.get('line', '?')}: {warning['category']}: "
                  f"{warning['message']}", file=sys.stderr)
        if result.raw.get("result") is None:
            return None
        text = result.repr if result.repr is not None else repr(result.value)
        return Shown(result.value, text)

    def close(self) -> None:
        if self.current is not None:
            try:
                self.current.delete()
            except Exception:  # expired or unreachable: nothing left to free
                pass
        if self.client is not None:
            self.client.close()
        self.client = self.current = None


_state: AutogradMagics | None = None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autograd_client``."""
    global _state
    _state = AutogradMagics()
    state = _state
    ipython.register_magic_function(lambda line, cell: state.cell(line, cell),
                                    magic_kind="cell", magic_name="autograd")
    ipython.register_magic_function(lambda line: state.connect(line),
                                    magic_kind="line", magic_name="autograd_connect")
    ipython.push({"autograd_session": state.session})


def unload_ipython_extension(ipython: Any) -> None:
    global _state
    if _state is not None:
        _state.close()
        _state = None
