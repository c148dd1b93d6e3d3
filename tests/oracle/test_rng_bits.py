"""A seeded program draws torch's numbers bit for bit: the engine's CPU generator is torch's
mt19937, and each sampler turns its words into numbers by torch's rule. Every case seeds both
libraries alike, draws, and compares the values (bits, dtype, shape) and the generator's state
bytes after the draw (so the count of words drawn is torch's too)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import engine  # noqa: E402
from engine.utils import data as edata  # noqa: E402

SEEDS = (0, 7, 2 ** 40 + 3)
SIZES = (0, 1, 15, 16, 17, 1000)
FLOATS = ("float32", "float64", "float16")


def _np(t):
    return np.asarray(t.detach().numpy())


def _same(draw, seed):
    """``draw(lib)`` in torch and in the engine from the same seed: the same bits and the same
    generator state after."""
    torch.manual_seed(seed)
    engine.manual_seed(seed)
    theirs, ours = draw(torch), draw(engine)
    if isinstance(theirs, torch.Tensor):
        a, b = _np(theirs), _np(ours)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes(), np.flatnonzero(a != b)[:10]
    else:
        assert theirs == ours
    assert bytes(_np(torch.get_rng_state())) == bytes(_np(engine.get_rng_state()))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_continuous_draws(seed, n, dtype):
    for draw in (
        lambda m: m.rand(n, dtype=getattr(m, dtype)),
        lambda m: m.randn(n, dtype=getattr(m, dtype)),
        lambda m: m.randn(3, n, dtype=getattr(m, dtype)),
        lambda m: m.rand_like(m.zeros(n, dtype=getattr(m, dtype))),
        lambda m: m.randn_like(m.zeros(n, 2, dtype=getattr(m, dtype))),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).uniform_(-2.5, 3.25),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).normal_(0.5, 2.0),
        lambda m: m.normal(1.0, 3.0, size=(n,), dtype=getattr(m, dtype)),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).exponential_(1.5),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).cauchy_(0.5, 2.0),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).log_normal_(0.5, 0.7),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).geometric_(0.3),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).bernoulli_(0.25),
        lambda m: m.bernoulli(m.full((n,), 0.6, dtype=getattr(m, dtype))),
        lambda m: m.multinomial(m.arange(1.0, n + 2.0, dtype=getattr(m, dtype)), 1),
        lambda m: m.nn.functional.dropout(m.ones(n, dtype=getattr(m, dtype)), 0.3),
    ):
        _same(draw, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_integer_draws(seed, n):
    for dtype in ("int64", "int32", "int16", "int8", "uint8", "bool", "float32", "float64"):
        _same(lambda m, dt=dtype: m.zeros(n, dtype=getattr(m, dt)).random_(), seed)
        _same(lambda m, dt=dtype: m.zeros(n, dtype=getattr(m, dt)).random_(2), seed)
        if dtype not in ("bool", "uint8"):
            _same(lambda m, dt=dtype: m.randint(-3, 10, (n,), dtype=getattr(m, dt)), seed)
    _same(lambda m: m.randint(0, 2 ** 40, (n,)), seed)  # 64-bit words for a wide range
    _same(lambda m: m.randint(5, (n, 2)), seed)
    _same(lambda m: m.randperm(n), seed)
    _same(lambda m: m.randperm(n, dtype=m.int32), seed)


def test_normal_with_tensor_arguments_and_probabilities():
    for n in SIZES:
        _same(lambda m, n=n: m.normal(m.zeros(n), m.ones(n)), 3)
        _same(lambda m, n=n: m.normal(m.arange(n, dtype=m.float64), 2.0), 3)
        for dt in ("float32", "float64"):
            p = np.linspace(0, 1, n)
            _same(lambda m, p=p, dt=dt: m.bernoulli(m.tensor(p, dtype=getattr(m, dt))), 5)
            _same(lambda m, n=n, p=p, dt=dt: m.zeros(n).bernoulli_(
                m.tensor(p, dtype=getattr(m, dt))), 5)


@pytest.mark.parametrize("seed", SEEDS)
def test_multinomial(seed):
    p = np.random.default_rng(seed % 1000).random((4, 30))
    p[:, 3] = 0
    for dt in ("float32", "float64"):
        for shape in ((30,), (4, 30)):
            probs = p.reshape(-1)[:30] if len(shape) == 1 else p
            for k, replacement in ((1, False), (5, False), (29, False), (1, True), (7, True),
                                   (100, True)):
                _same(lambda m, probs=probs, dt=dt, k=k, r=replacement: m.multinomial(
                    m.tensor(probs, dtype=getattr(m, dt)), k, replacement=r), seed)


def test_a_long_program_stays_in_step():
    """Draws of every kind one after another (the cached normal sample carried between the
    scalar normal draws), then the state round-trips through both libraries."""
    def program(m):
        out = [m.randn(3), m.rand(5), m.randn(1), m.randint(0, 7, (4,)), m.randn(20),
               m.randn(1, dtype=m.float64), m.zeros(9).log_normal_(), m.randperm(6),
               m.randn(2)]
        return m.cat([t.double() for t in out])

    _same(program, 11)
    torch.manual_seed(5)
    torch.randn(1)  # a cached normal sample in the state
    state = engine.tensor(_np(torch.get_rng_state()))
    engine.set_rng_state(state)
    assert _np(engine.get_rng_state()).tobytes() == _np(torch.get_rng_state()).tobytes()
    assert _np(engine.randn(5)).tobytes() == _np(torch.randn(5)).tobytes()
    torch.set_rng_state(torch.from_numpy(_np(engine.get_rng_state()).copy()))
    assert _np(engine.rand(4)).tobytes() == _np(torch.rand(4)).tobytes()


@pytest.mark.parametrize("seed", (0, 1, 42, 2 ** 32 + 5, 2 ** 63 - 1, -1))
def test_seeds_and_states(seed):
    torch.manual_seed(seed)
    engine.manual_seed(seed)
    assert torch.initial_seed() == engine.Generator().manual_seed(seed).initial_seed()
    assert bytes(_np(torch.get_rng_state())) == bytes(_np(engine.get_rng_state()))
    g, h = torch.Generator(), engine.Generator()
    assert g.initial_seed() == h.initial_seed()
    assert bytes(_np(g.get_state())) == bytes(_np(h.get_state()))
    assert _np(torch.rand(3, generator=g)).tobytes() == _np(engine.rand(3, generator=h)).tobytes()


@pytest.mark.parametrize("shape", ((1, 1), (3, 5), (16, 1), (33, 17), (64, 64)))
def test_nn_init_and_layers(shape):
    for draw in (
        lambda m: m.nn.init.uniform_(m.empty(*shape), -0.5, 2.0),
        lambda m: m.nn.init.normal_(m.empty(*shape), 0.1, 0.02),
        lambda m: m.nn.init.kaiming_uniform_(m.empty(*shape), a=5 ** 0.5),
        lambda m: m.nn.init.kaiming_normal_(m.empty(*shape)),
        lambda m: m.nn.init.xavier_uniform_(m.empty(*shape)),
        lambda m: m.nn.init.xavier_normal_(m.empty(*shape, dtype=m.float64)),
        lambda m: m.nn.init.trunc_normal_(m.empty(*shape), 0.0, 0.02),
        lambda m: m.nn.init.trunc_normal_(m.empty(*shape), 0.1, 0.5, -0.3, 0.9),
        lambda m: m.nn.init.trunc_normal_(m.empty(*shape), 0.0, 1.0, 1.5, 3.0),
        lambda m: m.nn.init.sparse_(m.empty(*shape), 0.3),
        lambda m: m.nn.Linear(*shape).weight,
        lambda m: m.nn.Conv2d(shape[0], shape[1], 3).bias,
        lambda m: m.nn.Embedding(*shape).weight,
        lambda m: m.nn.LSTM(shape[0], shape[1]).weight_hh_l0,
    ):
        _same(draw, 2)


def test_data_samplers():
    def epochs(m, generator=None, **kw):
        data = m.utils.data.TensorDataset(m.arange(23.0))
        loader = m.utils.data.DataLoader(data, batch_size=5, shuffle=True, generator=generator,
                                         **kw)
        return [b[0].tolist() for _ in range(2) for b in loader] + [m.randn(2).tolist()]

    _same(epochs, 4)
    _same(lambda m: epochs(m, m.Generator().manual_seed(9)), 4)
    _same(lambda m: epochs(m, drop_last=True), 4)
    _same(lambda m: [s.indices for s in m.utils.data.random_split(range(10), [3, 7])], 4)
    _same(lambda m: [s.indices for s in m.utils.data.random_split(range(11), [0.5, 0.5])], 4)
    _same(lambda m: list(m.utils.data.RandomSampler(range(9), replacement=True,
                                                    num_samples=40)), 4)
    _same(lambda m: list(m.utils.data.SubsetRandomSampler([3, 1, 4, 1, 5])), 4)
    assert edata  # (the engine's module under test)


def test_old_states_refused_as_torch_refuses():
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        engine.set_rng_state(engine.zeros(5056, dtype=engine.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        torch.set_rng_state(torch.zeros(5056, dtype=torch.uint8))


@pytest.mark.parametrize("dtype", FLOATS)
def test_large_draws(dtype):
    """Sizes past the samplers' vectorised steps: the float32 Box-Muller's chunks of 2,048
    blocks (and its exact recomputation of double-rounded lanes), glibc's float64 functions
    through NumPy, randperm's swaps without a loop (n >= 512)."""
    n = 2048 * 16 * 2 + 21
    for draw in (
        lambda m: m.randn(n, dtype=getattr(m, dtype)),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).normal_(-0.75, 3.5),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).uniform_(-0.0625, 0.0625),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).exponential_(0.5),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).cauchy_(-1.0, 0.25),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).log_normal_(0.25, 1.5),
        lambda m: m.zeros(n, dtype=getattr(m, dtype)).geometric_(0.05),
    ):
        _same(draw, 13)
    for size in (511, 512, 513, 4097, 60000, 100003):
        _same(lambda m, size=size: m.randperm(size), 13)


_LAYOUTS = (
    lambda m, dt: m.zeros(5, 7, dtype=dt).t(),
    lambda m, dt: m.zeros(3, 4, dtype=dt).t(),
    lambda m, dt: m.zeros(2, 3, 4, dtype=dt).permute(2, 0, 1),
    lambda m, dt: m.zeros(6, 8, dtype=dt)[:, ::2],
    lambda m, dt: m.zeros(8, 6, dtype=dt)[::2].t(),
    lambda m, dt: m.zeros(20, 3, dtype=dt)[:, 1],
    lambda m, dt: m.zeros(1, 40, dtype=dt).t(),
    lambda m, dt: m.zeros(40, 33, dtype=dt).t(),
)


def _init(x, name, *args):
    """``nn.init.<name>`` of torch or the engine (fans need two dimensions: else normal_)."""
    lib = engine if isinstance(x, engine.Tensor) else torch
    return getattr(lib.nn.init, name)(x, *args) if x.dim() >= 2 else x.normal_()


@pytest.mark.parametrize("layout", range(len(_LAYOUTS)))
@pytest.mark.parametrize("dtype", FLOATS)
def test_in_place_draws_on_views(layout, dtype):
    """In-place samplers on non-contiguous tensors draw in memory order (torch's
    TensorIterator), and normal_ takes the scalar path there whatever the size."""
    for fill in (
        lambda x: x.normal_(0.5, 2.0),
        lambda x: x.uniform_(-1.0, 2.0),
        lambda x: x.bernoulli_(0.3),
        lambda x: x.bernoulli_(x.new_full(x.shape, 0.4)),
        lambda x: x.exponential_(),
        lambda x: x.cauchy_(),
        lambda x: x.log_normal_(),
        lambda x: x.geometric_(0.2),
        lambda x: x.random_(0, 100),
        lambda x: x.random_(),
        lambda x: _init(x, "normal_", 0.1, 2.0),
        lambda x: _init(x, "kaiming_uniform_"),
        lambda x: _init(x, "xavier_normal_"),
    ):
        def draw(m, fill=fill):
            x = _LAYOUTS[layout](m, getattr(m, dtype))
            fill(x)
            return x.contiguous()

        _same(draw, 3)


_SOURCES = (*_LAYOUTS,
            lambda m, dt: m.zeros(4, dtype=dt).expand(3, 4),
            lambda m, dt: m.zeros(2, 1, 4, dtype=dt).expand(2, 3, 4))


@pytest.mark.parametrize("layout", range(len(_SOURCES)))
@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_fresh_draws_from_views(layout, dtype):
    """Samplers that make a new tensor from a view: ``torch.bernoulli`` (a legacy-contiguous
    result, drawn row-major), dropout's noise (``empty_like``: the input's memory order when
    it is dense, else row-major; feature dropout's (N, C, 1...) noise row-major),
    multinomial's exponential keys (``empty_like``) and gumbel_softmax's (legacy-contiguous)
    draw torch's numbers in torch's order; the results have torch's strides."""
    def probs(m):
        x = _SOURCES[layout](m, getattr(m, dtype))
        idx = m.arange(x.numel(), dtype=getattr(m, dtype)).reshape(x.shape)
        return x + (idx % 7 + 1) / 9  # distinct values in (0, 1), the view's layout kept

    draws = [
        lambda m: m.bernoulli(probs(m)),
        lambda m: m.bernoulli(probs(m), 0.3),
        lambda m: m.nn.functional.dropout(probs(m), 0.4),
        lambda m: m.nn.functional.alpha_dropout(probs(m), 0.4, True),
    ]
    ndim = _SOURCES[layout](torch, torch.float32).dim()
    if ndim >= 2:
        draws.append(lambda m: m.nn.functional.feature_alpha_dropout(probs(m), 0.4, True))
    if ndim in (2, 3):
        draws.append(lambda m: m.nn.functional.dropout1d(probs(m), 0.4))
    if ndim == 2:
        k = min(2, _SOURCES[layout](torch, torch.float32).shape[-1])
        draws += [lambda m: m.multinomial(probs(m), k), lambda m: m.multinomial(probs(m), 1)]
    for draw in draws:
        _same(draw, 3)
        torch.manual_seed(3)
        engine.manual_seed(3)
        assert draw(torch).stride() == draw(engine).stride()
    # gumbel_softmax: its noise in torch's order (the softmax then agrees to rounding)
    torch.manual_seed(3)
    engine.manual_seed(3)
    a, b = (_np(m.nn.functional.gumbel_softmax(probs(m), tau=0.5)) for m in (torch, engine))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


@pytest.mark.filterwarnings("ignore:.*out of bounds")
def test_wide_integer_ranges():
    """A range of 2**28 or more draws 64-bit words (for every dtype); a float dtype first moves
    bounds it cannot hold inward (torch's update_from/update_to), then casts."""
    for lo, hi in ((0, 2 ** 28 - 1), (0, 2 ** 28), (-2 ** 30, 2 ** 30), (0, 2 ** 33),
                   (3, 2 ** 40 + 7), (-2 ** 35 - 1, 2 ** 35 + 3)):
        for dtype in ("int64", "int32", "float32", "float64"):
            if dtype == "int32" and (lo < -2 ** 31 or hi > 2 ** 31):
                continue
            _same(lambda m, dt=dtype, lo=lo, hi=hi: m.randint(lo, hi, (40,),
                                                              dtype=getattr(m, dt)), 3)
            _same(lambda m, dt=dtype, lo=lo, hi=hi: m.zeros(40, dtype=getattr(m, dt)).random_(
                lo, hi), 3)
    _same(lambda m: m.zeros(40, dtype=m.float16).random_(-2049, 2051), 3)


@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_rrelu_training(dtype):
    """rrelu's slopes: a double uniform per x <= 0, ``u * (to - from) + from`` unfused, the
    bounds as opmath (float32 for float32 input) first."""
    x = np.random.default_rng(0).standard_normal(3000).astype(dtype)
    for lower, upper in ((1.0 / 8, 1.0 / 3), (0.1, 0.7)):
        _same(lambda m, lo=lower, hi=upper: m.nn.functional.rrelu(
            m.tensor(x), lo, hi, training=True), 2)
        _same(lambda m, lo=lower, hi=upper: m.nn.RReLU(lo, hi)(m.tensor(x)), 2)


def _seeded(m, seed=11):
    return m.Generator().manual_seed(seed)


def test_generator_arguments():
    """Every sampler's ``generator=`` draws from that generator (the default one untouched)."""
    for draw in (
        lambda m: m.rand(5, generator=_seeded(m)),
        lambda m: m.randn(5, 3, generator=_seeded(m)),
        lambda m: m.randint(0, 9, (7,), generator=_seeded(m)),
        lambda m: m.randint(2 ** 40, (3,), generator=_seeded(m)),
        lambda m: m.randperm(9, generator=_seeded(m)),
        lambda m: m.randperm(600, generator=_seeded(m)),
        lambda m: m.normal(m.zeros(4), m.ones(4), generator=_seeded(m)),
        lambda m: m.normal(0.0, 2.0, (20,), generator=_seeded(m)),
        lambda m: m.bernoulli(m.full((6,), 0.5), generator=_seeded(m)),
        lambda m: m.multinomial(m.ones(5), 3, generator=_seeded(m)),
        lambda m: m.zeros(5).uniform_(generator=_seeded(m)),
        lambda m: m.zeros(5).normal_(generator=_seeded(m)),
        lambda m: m.zeros(5).exponential_(generator=_seeded(m)),
        lambda m: m.zeros(5).cauchy_(generator=_seeded(m)),
        lambda m: m.zeros(5).log_normal_(generator=_seeded(m)),
        lambda m: m.zeros(5).geometric_(0.4, generator=_seeded(m)),
        lambda m: m.zeros(5).random_(0, 10, generator=_seeded(m)),
        lambda m: m.zeros(5).bernoulli_(0.5, generator=_seeded(m)),
        lambda m: m.nn.init.uniform_(m.empty(3), generator=_seeded(m)),
        lambda m: m.nn.init.normal_(m.empty(3), generator=_seeded(m)),
        lambda m: m.nn.init.kaiming_uniform_(m.empty(3, 4), generator=_seeded(m)),
        lambda m: m.nn.init.xavier_uniform_(m.empty(3, 4), generator=_seeded(m)),
        lambda m: m.nn.init.trunc_normal_(m.empty(3, 4), generator=_seeded(m)),
        lambda m: list(m.utils.data.RandomSampler(range(9), generator=_seeded(m))),
        lambda m: [s.indices for s in m.utils.data.random_split(range(10), [3, 7],
                                                                generator=_seeded(m))],
    ):
        _same(draw, 6)


def test_other_forms_programs_call():
    """Forms beyond the samplers' own: normal's argument mixes, bernoulli's ``p``, the
    methods, every dropout, rrelu's noise, fractional pooling's samples, weighted sampling,
    gumbel_softmax's hard one-hot."""
    def f(m, name):
        return getattr(m.nn.functional, name)

    for draw in (
        lambda m: m.normal(1.0, m.arange(1.0, 5.0)),
        lambda m: m.normal(m.zeros(3, 1), m.ones(4)),
        lambda m: m.normal(0.0, 1.0, (3,), out=m.empty(3)),
        lambda m: m.bernoulli(m.zeros(6), 0.3),
        lambda m: m.ones(3).multinomial(2),
        lambda m: m.full((4,), 0.5).bernoulli(),
        lambda m: m.full((4,), 0.5).bernoulli(0.2),
        lambda m: m.rand_like(m.zeros(3), dtype=m.float64),
        lambda m: m.randn(size=(2, 2)),
        lambda m: f(m, "dropout1d")(m.ones(2, 3, 4), 0.5),
        lambda m: f(m, "dropout2d")(m.ones(2, 3, 4, 4), 0.5),
        lambda m: f(m, "dropout3d")(m.ones(2, 3, 2, 2, 2), 0.5),
        lambda m: f(m, "alpha_dropout")(m.ones(20), 0.5, True),
        lambda m: f(m, "feature_alpha_dropout")(m.ones(2, 3, 4), 0.5, True),
        lambda m: m.dropout(m.ones(20), 0.5, True),
        lambda m: f(m, "dropout")(m.ones(20), 0.5, inplace=True),
        lambda m: m.nn.Dropout2d(0.3)(m.ones(2, 3, 4, 4)),
        lambda m: f(m, "rrelu")(m.linspace(-2, 2, 10), training=True),
        lambda m: f(m, "rrelu_")(m.linspace(-2, 2, 10), training=True),
        lambda m: m.nn.RReLU()(m.linspace(-2, 2, 10)),
        lambda m: f(m, "gumbel_softmax")(m.zeros(3, 4), hard=True),
        lambda m: f(m, "fractional_max_pool2d")(m.arange(64.0).reshape(1, 1, 8, 8), 2,
                                                output_size=4),
        lambda m: list(m.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4], 10)),
        lambda m: list(m.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4], 2,
                                                          replacement=False)),
        lambda m: m.nn.init.sparse_(m.empty(4, 3), 0.5),
    ):
        _same(draw, 8)


def test_distribution_samples():
    """``torch.distributions`` whose ``sample``/``rsample`` are the samplers above."""
    import engine.distributions  # noqa: F401  (the engine's torch.distributions)

    for draw in (
        lambda m: m.distributions.Normal(m.zeros(3), m.ones(3)).sample(),
        lambda m: m.distributions.Normal(m.zeros(3), m.ones(3)).rsample((2,)),
        lambda m: m.distributions.Uniform(0.0, 2.0).sample((4,)),
        lambda m: m.distributions.Bernoulli(m.full((5,), 0.3)).sample(),
        lambda m: m.distributions.Categorical(m.ones(4)).sample((6,)),
        lambda m: m.distributions.Exponential(m.ones(3)).sample(),
        lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)).sample((3,)),
        lambda m: m.distributions.Cauchy(0.0, 1.0).sample((4,)),
        lambda m: m.distributions.OneHotCategorical(m.ones(4)).sample(),
        lambda m: m.distributions.Multinomial(5, m.ones(4)).sample(),
        lambda m: m.distributions.Geometric(m.full((3,), 0.3)).sample(),
        lambda m: m.distributions.HalfNormal(m.tensor(1.0)).sample((4,)),
        lambda m: m.distributions.Weibull(m.tensor(1.0), m.tensor(2.0)).sample((4,)),
        lambda m: m.distributions.VonMises(m.tensor(1.0), m.tensor(2.0)).sample((4,)),
        lambda m: m.distributions.FisherSnedecor(m.tensor(3.0), m.tensor(5.0)).sample((4,)),
        lambda m: m.distributions.InverseGamma(m.tensor(3.0), m.tensor(5.0)).sample((4,)),
        lambda m: m.distributions.NegativeBinomial(m.tensor(3.0), m.tensor(0.4)).sample((4,)),
        lambda m: m.distributions.LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1),
                                                            m.ones(2)).sample((3,)),
        lambda m: m.distributions.MixtureSameFamily(
            m.distributions.Categorical(m.ones(2)),
            m.distributions.Normal(m.zeros(2), m.ones(2))).sample((4,)),
    ):
        _same(draw, 9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", ("float32", "float64"))
def test_gamma_poisson_and_binomial_kernels(seed, dtype):
    """torch's per-element kernels: gamma (so Gamma, Chi2, StudentT, and Beta and Dirichlet
    through the Dirichlet kernel's double gammas), with alphas below 1 (boosted), tiny and 0;
    Poisson on both sides of rate 10 and out of int64's range; binomial."""
    import engine.distributions  # noqa: F401  (the engine's torch.distributions)

    def t(m, values):
        return m.tensor(values, dtype=getattr(m, dtype))

    alphas = [[0.5, 1.0, 2.5], [3.0, 0.25, 7.5]]
    for draw in (
        lambda m: m.distributions.Gamma(t(m, alphas), 1.5).sample((30,)),
        lambda m: m.distributions.Gamma(t(m, [0.01, 1e-4, 0.0]), 2.0,
                                        validate_args=False).sample((20,)),
        lambda m: m.distributions.Gamma(t(m, [2.0]).requires_grad_(), 1.0).rsample((5,)),
        lambda m: m.distributions.Beta(t(m, [0.5, 2.0]), t(m, [3.0, 0.2])).sample((30,)),
        lambda m: m.distributions.Dirichlet(t(m, [0.5, 2.0, 1.0, 4.0])).sample((30,)),
        lambda m: m.distributions.Chi2(t(m, [1.0, 3.0])).sample((30,)),
        lambda m: m.distributions.StudentT(t(m, [1.0, 3.0])).sample((30,)),
        lambda m: m.distributions.Poisson(t(m, [0.0, 0.5, 3.5, 9.99, 10.0, 12.0, 100.0, 1e6])
                                          ).sample((30,)),
        lambda m: m.distributions.Poisson(t(m, [float("inf"), 1e30]),
                                          validate_args=False).sample(),
        lambda m: m.cat([m.randn(1, dtype=m.float64),
                         m.distributions.Gamma(t(m, [1.0, 1.0]), 1.0).sample().double(),
                         m.randn(3, dtype=m.float64)]),
    ):
        _same(draw, seed)
    counts = [1, 5, 10, 20, 50, 100, 1000, 1e6, 0, -3] * 7
    probs = [p for p in (0.01, 0.1, 0.3, 0.5, 0.7, 0.95, 0.999) for _ in range(10)]
    for draw in (  # both sides of count * p = 10 and of p = 1/2: BTRS and the inversion
        lambda m: m.distributions.Binomial(t(m, counts * 3), t(m, probs * 3),
                                           validate_args=False).sample(),
        lambda m: m.distributions.Binomial(t(m, [10.0, 40.0, 3.0]),
                                           t(m, [0.2, 0.6, 0.5])).sample((40,)),
        lambda m: m.distributions.Binomial(t(m, [float("inf"), 20.0, float("inf"), 1e30]),
                                           t(m, [0.3, float("nan"), 0.7, 0.3]),
                                           validate_args=False).sample(),
    ):
        _same(draw, seed)
    with pytest.raises(RuntimeError, match="a count is NaN"):  # torch's loop never ends
        engine.distributions.Binomial(engine.tensor([float("nan")]), engine.tensor([0.3]),
                                      validate_args=False).sample()
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        engine.distributions.Poisson(engine.tensor([float("nan")]),
                                     validate_args=False).sample()
