"""A Python client for autograd-service: ``Client(url, api_key=...)``, sessions as context
managers, tensors as NumPy arrays, problems as typed exceptions; ``%load_ext autograd_client``
adds the ``%%autograd`` cell magic for IPython and Jupyter.

    from autograd_client import Client

    with Client("http://127.0.0.1:8000") as client, client.session(seed=0) as s:
        s.run("x = torch.arange(4.0, requires_grad=True)\\ny = 2 * torch.dot(x, x)")
        s.run("y.backward()")
        s.grad("x")                      # array([ 0.,  4.,  8., 12.], dtype=float32)
"""

from autograd_client.client import DEFAULT_URL, Client, RunResult, Session
from autograd_client.errors import (
    AutogradError,
    DeviceUnavailable,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    ProgramError,
    ProgramSyntaxError,
    ServerBusy,
    TooManySessions,
    Unauthorized,
)
from autograd_client.magic import load_ipython_extension, unload_ipython_extension

__all__ = [
    "DEFAULT_URL", "AutogradError", "Client", "DeviceUnavailable", "InvalidRequest",
    "LimitExceeded", "NotFound", "ProgramError", "ProgramSyntaxError", "RunResult", "ServerBusy",
    "Session", "TooManySessions", "Unauthorized", "load_ipython_extension",
    "unload_ipython_extension",
]
