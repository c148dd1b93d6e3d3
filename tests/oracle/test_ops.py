"""Each op of the table, called on generated inputs (dtypes, shapes, layouts, values with NaN,
infinities and ties, function/method/operator forms), then differentiated to first or second
order: the engine must agree with torch on everything observable."""

import pytest

pytest.importorskip("torch")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .budget import budget  # noqa: E402
from .build import op_program  # noqa: E402
from .compare import check  # noqa: E402
from .known import KNOWN  # noqa: E402
from .specs import canonical_names, spec_for  # noqa: E402

NAMES = [n for n in canonical_names() if spec_for(n) is not None]


@pytest.mark.parametrize("name", [n for n in NAMES if n not in KNOWN])
@budget(12)
@given(data=st.data())
def test_op_agrees_with_torch(name, data):
    check(op_program(name, data.draw))


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=False))
    for n in NAMES if n in KNOWN])
@budget(12, shrink=False)
@given(data=st.data())
def test_known_disagreement(name, data):
    check(op_program(name, data.draw))


def test_known_disagreements_are_ops():
    assert not [n for n in KNOWN if n not in NAMES]
