import pytest

from app.core.errors import Unauthorized
from app.core.security import ANONYMOUS, authenticate, owner_of, presented_key


def test_no_keys_configured_means_anonymous_access():
    assert authenticate(None, []) == ANONYMOUS


def test_valid_key_gives_a_stable_owner_tag_that_is_not_the_key():
    owner = authenticate("k1", ["k0", "k1"])
    assert owner == owner_of("k1") != "k1"
    assert owner != owner_of("k0")


@pytest.mark.parametrize("key", [None, "", "k2", "k1 "])
def test_missing_or_wrong_key_is_unauthorized(key):
    with pytest.raises(Unauthorized) as info:
        authenticate(key or None, ["k1"])
    assert "WWW-Authenticate" in info.value.headers


@pytest.mark.parametrize(("x_api_key", "authorization", "expected"), [
    ("a", None, "a"),
    (None, "Bearer b", "b"),
    (None, "bearer  c ", "c"),
    (None, "Basic dXNlcg==", None),
    (None, "Bearer ", None),
    (None, None, None),
])
def test_presented_key(x_api_key, authorization, expected):
    assert presented_key(x_api_key, authorization) == expected
