"""Ops on which the differential suite still finds disagreements with torch (one line each:
the first class of problem found). Their programs run as expected failures, unshrunk. The list
only shrinks; see docs/oracle.md."""

import os

KNOWN: dict[str, str] = {
    "addbmm": "disagrees with torch (found by the suite; to fix)",
    "addbmm_": "error text differs from torch's",
    "addmv": "disagrees with torch (found by the suite; to fix)",
    "addmv_": "error text differs from torch's",
    "bilinear": "grad(loss, x3, create_graph=True): grad_fn: engine 'EinsumBackward0', torch 'Tril",
    "cdist": "step 2: engine raised RuntimeError: expected scalar type Half but found Float,",
    "clamp": "disagrees with torch (found by the suite; to fix)",
    "convolution": "argument checks: torch raises TypeError",
    "cosine_similarity": "engine raised where torch did not: RuntimeError: linalg.vector_norm: Exp",
    "kron": "disagrees with torch (found by the suite; to fix)",
    "linalg.matrix_exp": "step 0 result: infinities differ at (0, 0): engine np.float64(1.41015625",
    "linalg.pinv": "step 0: engine raised NotImplementedError: 'linalg_svd_cpu' not implemented fo",
    "linalg.qr": "grad(loss, x1, create_graph=True): values differ at (0, 0): engine np.float64(",
    "linalg.slogdet": "step 1: engine raised NotImplementedError: 'lu_cpu' not implemented for 'Ha",
    "linalg.solve": "grad(loss, x4, create_graph=True): grad_fn: engine 'LinalgSolveExBackward0',",
    "linalg.solve_triangular": "step 2 result: NaN where the other is not, at (0, 1): engine np.fl",
    "linalg.svd": "step 0 result: item 0: values differ at (0, 1): engine np.float64(-0.169243185",
    "linalg.svdvals": "step 2: error texts differ: engine: linalg.svd: The algorithm failed to con",
    "linear": "step 0: error texts differ: engine: expected m1 and m2 to have the same dtype, but",
    "logdet": "step 2: engine raised NotImplementedError: 'lu_cpu' not implemented for 'Half'",
    "matrix_exp": "grad(loss, x1, create_graph=True): infinities differ at (0, 1): engine np.floa",
    "pinverse": "step 1: engine raised NotImplementedError: 'linalg_svd_cpu' not implemented fo",
    "prod": "grad(loss, x1, create_graph=True): requires_grad: engine True, torch False engine: te",
    "slogdet": "step 0 result: item 0: values differ at (): engine np.float64(1.0), torch np.f",
    "softshrink": "grad(loss, x1, create_graph=True): requires_grad: engine False, torch True engi",
    "svd": "engine raised where torch did not: RuntimeError: linalg.svd: The algorithm fai",
}
if os.environ.get("ORACLE_IGNORE_KNOWN"):  # to find out which ops still disagree
    KNOWN = {}
