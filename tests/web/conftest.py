"""The service fixtures (an app per test) for the playground's tests."""

from tests.app.conftest import client, make_app, make_client  # noqa: F401
