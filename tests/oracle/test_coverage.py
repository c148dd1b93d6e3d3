"""Every op of the table is exercised by the differential suite, or listed as excluded."""

from engine.ops import OPS

from .specs import EXCLUDED, canonical_names, spec_for


def test_every_op_has_an_oracle_spec():
    missing = [n for n in canonical_names() if spec_for(n) is None and n not in EXCLUDED]
    assert not missing, (
        "ops without arguments for the differential suite (tests/oracle): give them gradcheck "
        "samples in tests/engine/samples (non-differentiable ops too), a custom spec in "
        f"tests/oracle/specs.py, or an exclusion with a reason: {missing}")


def test_exclusions_name_real_ops_without_specs():
    stale = [n for n in EXCLUDED if n not in OPS or spec_for(n) is not None]
    assert not stale, f"exclusions that are not ops, or that have a spec anyway: {stale}"
