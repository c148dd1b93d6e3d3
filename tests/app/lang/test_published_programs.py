"""Issue 11's headline: 25 published programs (the d2l book's from-scratch chapters and
PyTorch's autograd tutorials, in ``programs/``), and ten tried later from outside the tests
(d2l's builders' guide, convolutions, modern CNNs, RNN and attention chapters, PyTorch's "Learn
the Basics" and 60-minute blitz networks, its torch.func per-sample-gradient and ensembling
tutorials and double backward with custom Functions, "What is torch.nn really?", Karpathy's
makemore bigram model), ten more in session 7 (Karpathy's micrograd, makemore parts 2-5 and
GPT from scratch; d2l's modern RNNs; PyTorch's NLP word-embedding and LSTM-tagger tutorials and
its nn.TransformerEncoder language model), three in session 8 (PyTorch's DCGAN tutorial and its
neural style transfer with L-BFGS; Karpathy's nanoGPT model.py with its dataclass config;
pytorch/examples' time-sequence prediction: LSTMCells in float64 trained with L-BFGS; its VAE,
word language model, MNIST classifier and REINFORCE with torch.distributions), and from
session 9 more of pytorch/examples (``ex_*``: polynomial regression, graph attention network,
forward-forward training, sub-pixel super-resolution, an LSTM over MNIST rows; from session 10
its actor-critic; from session 15 its graph convolutional network on sparse COO tensors), of
PyTorch's tutorials (``tut_*``: knowledge distillation, the video series' autograd and
model-building chapters, the blitz's CIFAR-10 classifier, visualizing gradients with module
and tensor hooks, fusing conv and batch norm in a custom Function; from session 10 its spatial
transformer network with affine_grid and grid_sample, and the NLP-from-scratch name generator
(character RNN) and sequence-to-sequence translation with attention; from session 11 the video
series' tensors chapter, the recipes defining a network, state_dict and zeroing gradients, and
the checkpointing recipes with torch.save / torch.load; from session 12 the parametrizations
tutorial (register_parametrization, cached, right_inverse), the pruning tutorial and the
NLP-from-scratch name classifier (nn.RNN, random_split, np.array_split))
and d2l's batch
normalization from scratch (8.5) and attention scoring / multi-head attention (11.3, 11.5),
and from session 16 twenty programs written in the style of well-known published kinds not
covered before (``like_*``: DQN with a replay buffer, toy DDPM diffusion, RealNVP, a Neural ODE
through a hand RK4, word2vec skip-gram with negative sampling, Siamese/triplet networks, a
mixture density network, a tiny ViT, LoRA adapters, mixture-of-experts routing, FGSM, a
Fourier-feature PINN, RoPE attention with scaled_dot_product_attention, a KAN spline layer,
schedulers with hooks and checkpoints, WGAN-GP, MAML through torch.func, a U-Net with Dice
loss, the torchtext-style EmbeddingBag text classifier, CleanRL-style PPO and SAC), and from
session 17 more of those kinds (the BiLSTM-CRF tutorial's forward algorithm and Viterbi, d2l's
seq2seq with Bahdanau attention, beam search through heapq, packed padded sequences, a TCN
with weight_norm, mixup/CutMix with label smoothing, gradient accumulation with early
stopping, custom autograd Functions (gradient reversal, straight-through, once_differentiable),
Hessian-vector products and Newton-CG, nn.init schemes, an LR range test, EMA and SWA,
SimCLR's NT-Xent and SupCon losses, Gumbel-softmax and a categorical VAE, VQ-VAE with its EMA
codebook, planar normalizing flows, GCN/SAGE/GIN message passing with index_add and scatter,
attention masks through nn.MultiheadAttention and nn.Transformer, MobileNetV2's inverted
residuals with squeeze-and-excitation, and an SN-GAN with spectral_norm and a focal loss), and
from session 18 more (Gaussian-process regression through Cholesky, k-means++ and PCA with
torch ops, OneCycleLR / warmup-cosine / warm restarts with gradient clipping, Dataset /
IterableDataset / Sampler subclasses with a collate_fn, NumPy interop sharing memory, the
Annotated Transformer, Optimizer subclasses (Lion, AdamW by hand, Lookahead, SAM), an
energy-based model sampled by Langevin dynamics, a Hamiltonian neural network, NeRF's volume
rendering with searchsorted, Sinkhorn optimal transport, an RBM trained by contrastive
divergence, matrix factorisation with sparse embedding gradients and SparseAdam, then BPR,
EM for a Gaussian mixture and MixtureSameFamily by gradient descent, Bayes by Backprop and MC
dropout, saliency / SmoothGrad / Integrated Gradients / Grad-CAM through hooks, prototypical
networks, a sparse autoencoder with unit-norm decoder columns, Glow's ActNorm, LU-decomposed
invertible 1x1 convolutions and affine couplings, and ArcFace / CosFace heads with a center
loss), and from session 20 two training scripts configured with argparse and enum, with
contextmanager helpers, send-driven coroutine meters, ``__slots__`` and positional-only
parameters, and from session 21 four more: coroutine training utilities with ``total +=
(yield avg)`` and chained attribute resets, a command-line script with argparse sub-commands,
an ``enum.Flag`` of what to log and a ``StrEnum`` with ``_missing_``, the 50-line 1-D GAN
with two optimizers, and temperature scaling with its ECE loss fitted by LBFGS), pasted
into a session cell by cell print what torch 2.13 prints for the same
cells, both drawing the same random numbers (``published.py``).

Each program is as published except where its first lines say: data loading (generated data)
and plotting (a print) replaced, long loops shortened. Those that differ from torch because of the
engine, not the language, are marked below with the cause; they are expected to fail until the
engine is fixed, and fail loudly (strict) once it is.
"""

from __future__ import annotations

import pytest

from app.lang import Limits

from . import published
from .published import PROGRAMS, cells_of, run_ours, run_torch, same_lines, torch_varies

pytest.importorskip("engine.nn")

#: Found when the engine's generator became torch's (session 13, rng): the programs now get
#: torch's own seeded inputs instead of inputs both runs were fed, and these ones print float32
#: arithmetic differences those inputs show (not random numbers: both runs draw the same bits).
ENGINE_DIFFERENCES = {
    # `torch.allclose(xbow, xbow3)` (a loop of means vs softmax weights @ x): torch's MKL bmm
    # rounds differently from the engine's matmul on torch.randn(4, 8, 2) of seed 1337, and
    # torch's values differ beyond allclose's 1e-5 (it prints False; the engine True)
    "km_05_gpt_from_scratch": "float32 bmm rounding: torch's allclose(xbow, xbow3) is False",
    # L-BFGS style transfer on torch.rand images of seed 0: the convolutions' last bits (BLAS
    # here, oneDNN in torch) grow to 4e-3 relative by the 50th evaluation (2e-3 allowed)
    "pt_21_neural_style": "float32 conv rounding grown by L-BFGS on torch's seeded images",
    # since random.shuffle is CPython's (session 15, rng) the words are shuffled as in Python;
    # on that data torch's fused F.cross_entropy and the hand-written chain differ by under
    # 1e-6 or not at all (see NOT_STRICT): every other of the 41 lines agrees
    "km_04_backprop_ninja": "float32 rounding: torch's fused cross_entropy vs the manual chain",
}
#: Differences that depend on the CPU: on session 15's AMD EPYC torch's convolutions take
#: ATen's kernels, and the style transfer agrees there (an XPASS); on Intel it does not.
#: km_04: torch's "diff" (fused cross_entropy minus the manual chain, under 1e-6 or exactly 0)
#: came out True alone on this host and False in train 115's whole-suite run: its float32
#: rounding depends on what ran before in the process, so either outcome is torch's.
NOT_STRICT = {"pt_21_neural_style", "km_04_backprop_ninja"}
#: RMSprop at lr=1e-3 ends oscillating by about lr around the optimum: float32 summation-order
#: noise (NumPy's and torch's sums) sets the phase, so late values agree only to that size.
#: Style transfer: float32 convolutions round differently (BLAS here, oneDNN in torch) in the
#: last bits; a style weight of 1e6 and L-BFGS's curvature pairs grow that to ~3e-4 relative
#: over 20 closure evaluations (the first evaluations agree to 1e-5).
#: like_12's last line prints mu.grad (5.50e-4, a difference of terms of ~1e2 after 30 Adam
#: steps) to 4 decimals. On the Intel host (session 18) the session's value is 5.49993e-4 and
#: torch's 5.50229e-4 (the losses agree to 1e-7 relative: float32 transcendental rounding, AVX512
#: in torch), either side of 0.00055, so one prints 0.0005 and the other 0.0006: one unit of the
#: printed last digit is allowed (on AMD both printed 0.0005).
TOLERANCES = {"pt_07_lpwe_optim": {"rtol": 2e-2, "atol": 2e-3},
              "like_12_pinn_fourier": {"rtol": 2e-4, "atol": 1.0001e-4},
              "pt_21_neural_style": {"rtol": 2e-3, "atol": 1e-6}}
#: The Hessians cell computes three 32x512x512 Hessians (about 2 s of CPU): a loaded machine
#: must not fail it on the default 30 s run deadline.
LIMITS = {"pt_11_jacobians_hessians": Limits(timeout_s=600),
          # ~50 closure evaluations of a 39-step, two-layer LSTMCell model: ~4 s quiet
          "pt_22_time_sequence_prediction": Limits(timeout_s=600),
          # ~280 products of 64x784 by 784x500 (~1 s quiet; 28 s at a load of 14 on two
          # cores, where BLAS threads wait on each other)
          "ex_03_forward_forward": Limits(timeout_s=600),
          # three CIFAR-sized CNN trainings (2 epochs of 32 images): ~10 s quiet
          "tut_01_knowledge_distillation": Limits(timeout_s=600),
          # two MNIST-sized conv nets (32 and 64 channels on 28x28) trained 2 epochs each
          "tut_06_fused_conv_bn": Limits(timeout_s=600),
          # a localization CNN + classifier over 64 28x28 images, 2 epochs: ~2 s quiet
          "tut_07_spatial_transformer": Limits(timeout_s=600),
          # 40 seq2seq iterations (a GRU encoder and attention decoder, word by word): ~3 s
          "tut_09_seq2seq_translation": Limits(timeout_s=600),
          # two conv nets on 28x28 images: ~3 s quiet, past 30 s once at a load of 14
          "ex_04_super_resolution": Limits(timeout_s=600), "pt_25_mnist": Limits(timeout_s=600),
          # a 1.7M-parameter transformer net (128 channels) on 16x16 images, two Adam steps
          "ex_07_fast_neural_style": Limits(timeout_s=600),
          # a char-RNN trained name by name: past 30 s at a load of 16 on two cores
          "tut_08_char_rnn_generation": Limits(timeout_s=600),
          # ~2-5 s of CPU each (the CRF's loops over tags, a GRU seq2seq decoded word by
          # word, a GRU trained 80 steps, an LSTM over packed batches): past 30 s at a load
          # of 13 on two cores
          **{name: Limits(timeout_s=600) for name in (
              "like_21_bilstm_crf", "like_22_seq2seq_bahdanau", "like_23_beam_search",
              "like_24_packed_sequences", "like_30_init_schemes", "like_35_vqvae",
              "like_36_planar_flows")},
          # 2-15 s of CPU quiet (a two-layer encoder-decoder trained 24 steps, 25 Sinkhorn
          # solves of 50 iterations, NeRF's rays, RK4 through autograd.grad, GRUs over packed
          # batches, CD-k sampling, EM with MultivariateNormal, two Glow flow steps): past 30 s
          # under a load of 13 on two cores
          **{name: Limits(timeout_s=600) for name in (
              "like_44_dataset_collate_fn", "like_46_transformer_from_scratch",
              "like_48_ebm_langevin", "like_49_hamiltonian_nn",
              "like_50_nerf_volume_rendering", "like_51_sinkhorn_ot",
              "like_52_rbm_contrastive_divergence", "like_53_matrix_factorization_bpr",
              "like_54_gmm_em", "like_55_bayes_by_backprop", "like_56_attribution_gradcam",
              "like_57_prototypical_networks", "like_58_sparse_autoencoder",
              "like_59_glow_invertible_conv", "like_60_arcface_cosface")},
          # 640 small steps of two three-layer nets: ~4 s quiet, 13 s at a load of 7
          "like_65_gan_1d_two_optimizers": Limits(timeout_s=600)}

NAMES = sorted(p.name.removesuffix(".py.txt") for p in PROGRAMS.glob("*.py.txt"))


def test_there_are_the_144_programs():
    assert len(NAMES) == 144
    assert sum(n.startswith("like_") for n in NAMES) == 66
    assert sum(n.startswith("ex_") for n in NAMES) == 8
    assert sum(n.startswith("tut_") for n in NAMES) == 15
    assert sum(n.startswith("d2l_") for n in NAMES) == 21
    assert sum(n.startswith("km_") for n in NAMES) == 8


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=n not in NOT_STRICT,
                                            reason=ENGINE_DIFFERENCES[n]))
    if n in ENGINE_DIFFERENCES else n for n in NAMES])
def test_program_prints_what_torch_prints(name):
    pytest.importorskip("torch")
    cells = cells_of(PROGRAMS / f"{name}.py.txt")
    assert len(cells) >= 1
    theirs = run_torch(cells)
    ours = run_ours(cells, LIMITS.get(name))
    difference = same_lines(ours, theirs, **TOLERANCES.get(name, {}))
    if name not in NOT_STRICT and (difference is None) == (name in ENGINE_DIFFERENCES):
        # the outcome fails the test: torch runs the program again, so that a line torch
        # itself prints differently from run to run is never taken for the engine's
        varies = torch_varies(cells, theirs)
        if varies is not None:
            pytest.skip(f"torch's own nondeterminism: its runs print differently: {varies}")
    assert difference is None, difference


def test_the_twin_draws_cover_random_sample_and_dropout_in_train_mode():
    """The torch run draws what the session draws: Python's ``random.sample`` (with the
    session's size checks) and dropout masks in train mode (``nn.Dropout``, ``F.dropout``,
    in place too); eval mode is the identity in both."""
    pytest.importorskip("torch")
    cells = cells_of_text(
        "import random\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
        "torch.manual_seed(3)\nprint(random.sample(range(100), 5), random.sample('abcdef', k=2))\n"
        "# %%\nnet = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.4), nn.Linear(6, 2))\n"
        "x = torch.randn(5, 4)\ny = net(x)\nprint(y)\ny.sum().backward()\n"
        "print(net[0].weight.grad)\n"
        "# %%\nz = torch.ones(3, 4, dtype=torch.float64)\nprint(F.dropout(z, 0.5))\n"
        "F.dropout(z, 0.25, inplace=True)\nprint(z)\n"
        "net.eval()\nprint(torch.equal(net(x), net(x)), F.dropout(x, 0.5, training=False).sum())\n")
    theirs = run_torch(cells)
    assert same_lines(run_ours(cells), theirs) is None
    masked = "\n".join(theirs)
    assert "0., 2." in masked or "2., 0." in masked, masked  # the masks drop and keep some
    assert theirs[-1].startswith("True")


def test_a_torch_run_keeps_its_settings_to_itself():
    """A program's torch.set_default_dtype is its session's; in the torch run it is the
    process's, and must not reach the next program's torch run (like_29 sets float64)."""
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    assert run_torch(["import torch\ntorch.set_default_dtype(torch.float64)\n"
                      "print(torch.ones(1).dtype)\n"]) == ["torch.float64"]
    assert torch.get_default_dtype() is before


def cells_of_text(text):
    import re

    return [c.strip("\n") + "\n" for c in re.split(r"^# %%.*$", text, flags=re.M) if c.strip()]


def test_a_program_torch_prints_differently_from_run_to_run_is_torchs_coin(monkeypatch):
    """(torch_varies) a rerun of torch printing other lines, or other digits, is torch's own
    nondeterminism; the same lines every time are torch's answer."""
    runs = iter([["a 1.0"], ["a 1.0"], ["a 1.0000001"]])
    monkeypatch.setattr(published, "run_torch", lambda cells: next(runs))
    assert torch_varies(["cell"], ["a 1.0"], asks=2) is None
    assert torch_varies(["cell"], ["a 1.0"], asks=1) is not None
    runs = iter([["b"]])
    assert "line 0" in torch_varies(["cell"], ["a"], asks=1)
