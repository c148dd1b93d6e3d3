"""The dtype utilities of engine/ops/dtype_utils.py (not differentiable: their calls run
through the differential suite)."""

import numpy as np

import engine

from . import Sample, samples

rng = np.random.default_rng(41)

samples("result_type", Sample((rng.uniform(-1, 1, (2,)), 2)),
        Sample((engine.tensor([1]), 2.5), name="int-float"), Sample((2, 2.5), name="numbers"),
        Sample((engine.tensor(1.0, dtype=engine.float64), engine.tensor([1], dtype=engine.int32)),
               name="0-d"))
samples("promote_types", Sample((engine.int32, engine.float16)),
        Sample((engine.bool_, engine.int64), name="bool-int"),
        Sample((engine.float64, engine.float32), name="floats"))
samples("can_cast", Sample((engine.float64, engine.int32)),
        Sample((engine.int32, engine.float16), name="int-float"),
        Sample((engine.int64, engine.bool_), name="int-bool"),
        Sample((engine.bool_, engine.int32), name="bool-int"))
samples("get_default_dtype", Sample(()))
samples("set_default_dtype", Sample((engine.float32,)))
samples("is_complex", Sample((rng.uniform(-1, 1, (2,)),)))
samples("is_signed", Sample((rng.uniform(-1, 1, (2,)),)),
        Sample((engine.tensor([True]),), name="bool"))
samples("is_nonzero", Sample((rng.uniform(-1, 1, (1,)),)),
        Sample((engine.tensor(0),), name="zero"), Sample((engine.tensor([1, 2]),), name="two"))
samples("is_same_size", Sample((rng.uniform(-1, 1, (2,)), engine.ones(2))),
        Sample((rng.uniform(-1, 1, (2,)), engine.ones(2, 1)), name="differ"))
