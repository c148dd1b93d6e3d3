"""Suite-wide fixtures and markers."""

import sys

import pytest


def _cuda_available() -> bool:
    try:
        import cupy
    except Exception:
        return False
    try:
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


CUDA = _cuda_available()


def pytest_collection_modifyitems(config, items):
    if CUDA:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU with CuPy (cupy.cuda.is_available() is false)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _torch_distribution_validation():
    """Running ``torch.compile`` in torch (the oracle side of the compile tests) turns off
    ``torch.distributions``' default argument validation for the whole process (dynamo does):
    later comparisons with torch must see torch's default again."""
    yield
    distributions = sys.modules.get("torch.distributions")
    if distributions is not None and distributions.Distribution._validate_args is not __debug__:
        distributions.Distribution.set_default_validate_args(__debug__)
