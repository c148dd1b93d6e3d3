"""The training sweep: whole training programs, engine against torch, step by step.

The differential suite checks op calls and short compositions; users paste training loops.
Here a seeded generator (``plan(seed)``: plain choices, no library in it) draws a small
program of that kind and ``execute(plan, lib, dtype)`` runs it with ``lib`` = ``engine`` or
``torch``: a model of ``nn`` modules (Linear, Bilinear, Conv1d/2d, ConvTranspose2d, the
norms, Embedding/EmbeddingBag, RNN/LSTM/GRU, MultiheadAttention, TransformerEncoderLayer,
Dropout, activations, Flatten/Unflatten, in a Sequential, ModuleList or ModuleDict), a loss
of ``nn`` with its options, an optimizer of ``optim`` with random hyperparameters (param
groups, ``lr`` as a tensor, foreach ...), maybe an LR scheduler, then K steps of
``zero_grad`` / forward / loss / ``backward`` / clipping / ``step`` / scheduler, with
``train()``/``eval()`` switches, ``requires_grad_(False)`` on a part and ``state_dict``
round trips of the model and the optimizer on the way, and a last forward in eval mode.

Observed, in order: the initial parameters, each step's loss, every parameter's ``.grad``
(None or a tensor), the clipping's total norm, the parameters after the step, the learning
rates (``get_last_lr()`` or the groups'), then the optimizer's ``state_dict()`` (keys, the
``step`` dtypes, values), the buffers (running stats, ``num_batches_tracked``) and the eval
output; an exception ends the run (its place, class and text are compared). Tensors are
compared by ``compare.py``'s rules: the program runs on torch in its own dtype and, for the
tolerance, once more in float64 (float32 programs: the reference) or in float32 (float64
programs: torch's own error scaled), all from the same initial values (modules are built in
float32 from one seed, then cast).

    .venv/bin/python -m tests.oracle.train_sweep SEED [N] [out.jsonl]   # N programs (200)
    .venv/bin/python -m tests.oracle.train_sweep SEED N --show I        # program I's plan

``tests/oracle/test_train_sweep.py`` runs a fixed seed and budget in CI; ``KNOWN`` below names
the features whose programs still differ (run, not compared: never silently).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import pprint
import random
import sys
import time
import warnings
from collections import Counter, OrderedDict

import numpy as np
import torch

import engine

from .backends import ENGINE, TORCH, ErrorObs, Run, builtin_class, observe
from .compare import compare_runs

# Lockstep (TRAIN_LOCKSTEP=1): each step's forward/backward starts from torch's parameters and
# each optimizer step from torch's gradients (the optimizer's state stays the engine's own), so
# a last-bit difference a normalising optimizer would amplify does not carry into later steps.
# Off by default: free-running trajectories are what the CI budget compares.
LOCKSTEP = os.environ.get("TRAIN_LOCKSTEP", "0") == "1"

# Features whose programs still differ from torch (tag -> why). A program carrying one of
# these tags is run but not compared, and is reported as skipped by that name.
KNOWN: dict[str, str] = {}

# --------------------------------------------------------------------------- the generator

ACTIVATIONS = ["ReLU", "LeakyReLU", "ELU", "GELU", "GELU_tanh", "SiLU", "Tanh", "Sigmoid",
               "Softplus", "Mish", "Hardswish", "PReLU", "SELU", "CELU", "Hardtanh", "ReLU6",
               "LogSigmoid", "Softsign", "Tanhshrink", "Hardsigmoid"]
MODELS = ["mlp", "bilinear", "conv1d", "conv2d", "embedding", "embedding_bag", "rnn",
          "attention", "transformer"]
LOSSES = {
    "class": ["CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "CrossEntropyLoss_prob"],
    "reg": ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "PoissonNLLLoss",
            "GaussianNLLLoss", "KLDivLoss", "BCEWithLogitsLoss", "BCELoss", "SoftMarginLoss",
            "MultiLabelSoftMarginLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss"],
    "pair": ["CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
             "TripletMarginWithDistanceLoss"],
    "ctc": ["CTCLoss"],
}
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
              "RAdam", "ASGD", "Rprop"]
SCHEDULERS = [None, None, "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
              "LinearLR", "ConstantLR", "LambdaLR", "MultiplicativeLR", "PolynomialLR",
              "CosineAnnealingWarmRestarts", "OneCycleLR", "ReduceLROnPlateau",
              "SequentialLR", "ChainedScheduler"]
N = 6  # batch
FAULTS = ["bad_lr", "bad_momentum", "bad_betas", "nesterov", "backward_twice",
          "state_dict_groups", "clip_nonfinite", "target_out_of_range", "missing_key"]
# (and "tensor_lr_foreach": Adam/AdamW with a tensor lr and foreach=True, which torch refuses)


def plan(seed: int) -> dict:
    """The choices of program ``seed`` (deterministic; no library involved)."""
    r = random.Random(seed)
    p: dict = {"seed": seed, "dtype": r.choice(["float32", "float32", "float64"]),
               "steps": r.randint(3, 8)}
    p["model"] = _model(r)
    kind = r.choice(["class", "class", "reg", "reg", "reg", "pair", "ctc"])
    p["loss"] = _loss(r, kind)
    p["optim"] = _optim(r)
    p["sched"] = _sched(r, p["optim"], p["steps"])
    k = p["steps"]
    p["clip"] = r.choice([None, None, ("norm", r.choice([0.05, 0.5, 5.0]),
                                       r.choice([2.0, 2.0, 1.0, math.inf, 3.0])),
                          ("value", r.choice([0.01, 0.1, 1.0]))])
    p["set_to_none"] = r.choice([True, True, False])
    p["eval_at"] = r.choice([None, None, r.randrange(k)])
    p["train_at"] = r.choice([None, r.randrange(k)]) if p["eval_at"] is not None else None
    p["freeze_at"] = r.choice([None, None, None, r.randrange(k)])
    p["roundtrip_at"] = r.choice([None, None, r.randrange(k)])
    p["container"] = r.choice(["seq", "seq", "list", "dict", "ordered"])
    p["data_seed"] = r.randrange(2 ** 31)
    # now and then a program that fails on the way (the error's step, class and text)
    p["fault"] = r.choice(FAULTS) if r.random() < 0.12 else None
    p["fault_at"] = r.randrange(k)
    o = p["optim"]
    if o["name"] in ("Adam", "AdamW") and o["tensor_lr"] and o["opts"]["foreach"]:
        p["fault"] = "tensor_lr_foreach"  # (torch refuses it)
    if p["fault"] in ("missing_key", "state_dict_groups"):
        p["roundtrip_at"] = p["fault_at"]
    elif p["fault"] == "clip_nonfinite":
        p["clip"] = ("norm", 1.0, 2.0)
    _no_noise_steps(p)
    return p


def _no_noise_steps(p: dict) -> None:
    """A parameter whose gradient is zero in exact arithmetic (a bias followed by a batch or
    instance norm in training, attention's key bias: softmax ignores it) gets rounding noise
    as its gradient; an optimizer that divides by the gradient's size (every one but SGD and
    ASGD) turns that noise into a full step of either sign, so torch's own float32 and float64
    runs part there and no tolerance holds. Such programs are drawn without those biases."""
    m = p["model"]
    if p["loss"]["name"].startswith("TripletMargin"):
        # (anchor, positive and negative come out of one head: its bias cancels in their
        # differences, for every optimizer: the gradient itself is noise)
        m["head_bias"] = False
    if p["optim"]["name"] in ("SGD", "ASGD"):
        return
    norm = m.get("norm") or ""
    if m["kind"] in ("attention", "transformer") or norm.startswith(("BatchNorm",
                                                                     "InstanceNorm")):
        m["bias"] = False


def _act(r):
    a = r.choice(ACTIVATIONS)
    opts = {}
    if a == "LeakyReLU":
        opts["negative_slope"] = r.choice([0.01, 0.2])
    elif a in ("ELU", "CELU"):
        opts["alpha"] = r.choice([1.0, 0.5])
    elif a == "Softplus":
        opts["beta"], opts["threshold"] = r.choice([1.0, 2.0]), r.choice([20.0, 1.0])
    elif a == "PReLU":
        opts["num_parameters"] = 1
    elif a == "Hardtanh":
        opts["min_val"], opts["max_val"] = -0.5, 0.5
    return (a, opts)


def _model(r) -> dict:
    m: dict = {"kind": r.choice(MODELS), "act": _act(r),
               "dropout": r.choice([None, None, 0.2, 0.5]), "bias": r.random() < 0.8}
    kind = m["kind"]
    if kind == "mlp":
        m["norm"] = r.choice([None, "BatchNorm1d", "LayerNorm"])
        m["bn"] = {"momentum": r.choice([0.1, 0.5, None]), "affine": r.random() < 0.8,
                   "track": r.random() < 0.85, "eps": r.choice([1e-5, 1e-3])}
        m["ln"] = {"elementwise_affine": r.random() < 0.8, "bias": r.random() < 0.8}
        m["unflatten"] = False
        m["depth"] = r.randint(1, 2)
    elif kind == "conv1d":
        m["conv"] = {"kernel_size": r.choice([1, 2, 3]), "stride": r.choice([1, 2]),
                     "padding": r.choice([0, 1, "same"]), "dilation": r.choice([1, 2]),
                     "groups": r.choice([1, 1, 2]),
                     "padding_mode": r.choice(["zeros", "zeros", "reflect", "circular",
                                               "replicate"])}
        if m["conv"]["padding"] == "same":
            m["conv"]["stride"] = 1
        m["norm"] = r.choice([None, "BatchNorm1d", "GroupNorm", "InstanceNorm1d"])
        m["bn"] = {"momentum": r.choice([0.1, None]), "affine": r.random() < 0.8,
                   "track": r.random() < 0.7, "eps": 1e-5}
        m["pool"] = r.choice([None, "MaxPool1d", "AvgPool1d"])
    elif kind == "conv2d":
        m["conv"] = {"kernel_size": r.choice([1, 2, 3, (2, 3)]), "stride": r.choice([1, 2]),
                     "padding": r.choice([0, 1]), "dilation": r.choice([1, 1, 2]),
                     "groups": r.choice([1, 1, 2]),
                     "padding_mode": r.choice(["zeros", "zeros", "reflect", "circular"])}
        m["norm"] = r.choice([None, "BatchNorm2d", "GroupNorm", "InstanceNorm2d"])
        m["bn"] = {"momentum": r.choice([0.1, None]), "affine": r.random() < 0.8,
                   "track": r.random() < 0.7, "eps": 1e-5}
        m["transpose"] = r.choice([None, {"kernel_size": r.choice([2, 3]),
                                          "stride": r.choice([1, 2]),
                                          "padding": r.choice([0, 1]),
                                          "output_padding": 0}])
        m["unflatten"] = r.random() < 0.3
    elif kind == "embedding":
        m["emb"] = {"padding_idx": r.choice([None, 0, 3]), "max_norm": r.choice([None, None,
                                                                                 1.0]),
                    "scale_grad_by_freq": r.random() < 0.3, "norm_type": 2.0}
    elif kind == "embedding_bag":
        m["emb"] = {"mode": r.choice(["sum", "mean", "max"]), "padding_idx": r.choice([None,
                                                                                      0]),
                    "per_sample_weights": False, "offsets": r.random() < 0.5,
                    "include_last_offset": False}
        if m["emb"]["mode"] == "sum":
            m["emb"]["per_sample_weights"] = r.random() < 0.4
    elif kind == "rnn":
        m["rnn"] = {"cell": r.choice(["RNN", "LSTM", "GRU"]), "num_layers": r.choice([1, 2]),
                    "bidirectional": r.random() < 0.4, "batch_first": r.random() < 0.5,
                    "nonlinearity": r.choice(["tanh", "relu"]),
                    "dropout": r.choice([0.0, 0.0, 0.3]), "proj_size": r.choice([0, 0, 2]),
                    "h0": r.random() < 0.3}
    elif kind == "attention":
        m["mha"] = {"num_heads": r.choice([1, 2, 4]), "add_bias_kv": r.random() < 0.2,
                    "add_zero_attn": r.random() < 0.2, "batch_first": r.random() < 0.5,
                    "dropout": r.choice([0.0, 0.0, 0.25]), "kdim": r.random() < 0.2,
                    "key_padding_mask": r.random() < 0.3, "attn_mask": r.choice([None, "bool",
                                                                               "float"]),
                    "need_weights": r.random() < 0.5, "average": r.random() < 0.7,
                    "is_causal": False}
    elif kind == "transformer":
        m["tf"] = {"nhead": r.choice([1, 2, 4]), "dim_feedforward": r.choice([8, 16]),
                   "dropout": r.choice([0.0, 0.1]), "activation": r.choice(["relu", "gelu"]),
                   "norm_first": r.random() < 0.5, "batch_first": r.random() < 0.5,
                   "layer_norm_eps": r.choice([1e-5, 1e-3]),
                   "src_key_padding_mask": r.random() < 0.3, "causal": r.random() < 0.3}
    return m


def _loss(r, kind) -> dict:
    name = r.choice(LOSSES[kind])
    red = r.choice(["mean", "mean", "sum", "none"])
    L: dict = {"kind": kind, "name": name, "reduction": red, "opts": {}}
    o = L["opts"]
    if name in ("CrossEntropyLoss", "CrossEntropyLoss_prob", "NLLLoss"):
        if r.random() < 0.3:
            o["weight"] = True
        if name != "CrossEntropyLoss_prob" and r.random() < 0.3:
            o["ignore_index"] = r.choice([0, 2, -100])
        if name != "NLLLoss" and r.random() < 0.4:
            o["label_smoothing"] = r.choice([0.1, 0.3])
    elif name == "MultiMarginLoss":
        o["p"], o["margin"] = r.choice([1, 2]), r.choice([1.0, 0.5])
        if r.random() < 0.3:
            o["weight"] = True
    elif name in ("SmoothL1Loss",):
        o["beta"] = r.choice([1.0, 0.5, 0.0])
    elif name == "HuberLoss":
        o["delta"] = r.choice([1.0, 0.3])
    elif name == "PoissonNLLLoss":
        o["log_input"], o["full"] = r.random() < 0.7, r.random() < 0.4
        o["eps"] = 1e-8
    elif name == "GaussianNLLLoss":
        o["full"], o["eps"] = r.random() < 0.5, r.choice([1e-6, 1e-2])
        L["var_shape"] = r.choice(["full", "one", "scalar_per_row"])
    elif name == "KLDivLoss":
        o["log_target"] = r.random() < 0.5
        if red == "mean" and r.random() < 0.6:
            L["reduction"] = "batchmean"
    elif name == "BCEWithLogitsLoss":
        if r.random() < 0.3:
            o["weight"] = True
        if r.random() < 0.4:
            o["pos_weight"] = True
    elif name == "BCELoss":
        if r.random() < 0.3:
            o["weight"] = True
    elif name in ("HingeEmbeddingLoss", "CosineEmbeddingLoss", "MarginRankingLoss"):
        o["margin"] = r.choice([0.0, 0.5, 1.0])
    elif name == "TripletMarginLoss":
        o["margin"], o["p"], o["swap"] = r.choice([1.0, 0.3]), r.choice([2.0, 1.0]), \
            r.random() < 0.3
    elif name == "TripletMarginWithDistanceLoss":
        o["margin"], o["swap"] = r.choice([1.0, 0.3]), r.random() < 0.3
        L["distance"] = r.choice([None, "cosine"])
    elif name == "CTCLoss":
        o["blank"], o["zero_infinity"] = r.choice([0, 0, 3]), r.random() < 0.5
    return L


def _optim(r) -> dict:
    name = r.choice(OPTIMIZERS)
    o: dict = {}
    lr = r.choice([0.1, 0.01, 0.05, 0.5])
    if name == "SGD":
        o["momentum"] = r.choice([0.0, 0.0, 0.9, 0.5])
        o["dampening"] = r.choice([0.0, 0.0, 0.3]) if o["momentum"] else 0.0
        o["nesterov"] = bool(o["momentum"]) and not o["dampening"] and r.random() < 0.5
        o["weight_decay"] = r.choice([0.0, 0.0, 0.01])
        o["maximize"] = r.random() < 0.15
    elif name in ("Adam", "AdamW"):
        o["betas"] = r.choice([(0.9, 0.999), (0.8, 0.9), (0.5, 0.5)])
        o["eps"] = r.choice([1e-8, 1e-3])
        o["weight_decay"] = r.choice([0.0, 0.01, 0.1]) if name == "Adam" else \
            r.choice([0.01, 0.0, 0.1])
        o["amsgrad"] = r.random() < 0.3
        o["maximize"] = r.random() < 0.15
        lr = r.choice([0.01, 0.001, 0.1])
    elif name == "RMSprop":
        o["alpha"] = r.choice([0.99, 0.9])
        o["eps"] = r.choice([1e-8, 1e-3])
        o["momentum"] = r.choice([0.0, 0.5])
        o["centered"] = r.random() < 0.4
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["maximize"] = r.random() < 0.15
        lr = r.choice([0.01, 0.001])
    elif name == "Adagrad":
        o["lr_decay"] = r.choice([0.0, 0.1])
        o["initial_accumulator_value"] = r.choice([0.0, 0.1])
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["eps"] = r.choice([1e-10, 1e-3])
        o["maximize"] = r.random() < 0.15
    elif name == "Adadelta":
        o["rho"] = r.choice([0.9, 0.5])
        o["eps"] = r.choice([1e-6, 1e-3])
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["maximize"] = r.random() < 0.15
        lr = r.choice([1.0, 0.5])
    elif name == "Adamax":
        o["betas"] = r.choice([(0.9, 0.999), (0.5, 0.9)])
        o["eps"] = r.choice([1e-8, 1e-3])
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["maximize"] = r.random() < 0.15
        lr = r.choice([0.002, 0.05])
    elif name == "NAdam":
        o["betas"] = r.choice([(0.9, 0.999), (0.5, 0.9)])
        o["momentum_decay"] = r.choice([0.004, 0.1])
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["decoupled_weight_decay"] = r.random() < 0.4
        o["maximize"] = r.random() < 0.15
        lr = r.choice([0.002, 0.05])
    elif name == "RAdam":
        o["betas"] = r.choice([(0.9, 0.999), (0.5, 0.9)])
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["decoupled_weight_decay"] = r.random() < 0.4
        o["maximize"] = r.random() < 0.15
        lr = r.choice([0.001, 0.05])
    elif name == "ASGD":
        o["lambd"] = r.choice([1e-4, 0.1])
        o["alpha"] = r.choice([0.75, 0.5])
        o["t0"] = r.choice([1e6, 2.0])
        o["weight_decay"] = r.choice([0.0, 0.01])
        o["maximize"] = r.random() < 0.15
    elif name == "Rprop":
        o["etas"] = r.choice([(0.5, 1.2), (0.3, 1.5)])
        o["step_sizes"] = r.choice([(1e-6, 50), (1e-3, 0.1)])
        o["maximize"] = r.random() < 0.15
        lr = r.choice([0.01, 0.1])
    o["foreach"] = r.choice([None, None, True, False])
    o["lr"] = lr
    tensor_lr = r.random() < 0.15
    groups = None
    if r.random() < 0.35:
        groups = {"lr": r.choice([lr / 2, lr * 2]), "extra": {}}
        if "weight_decay" in o and r.random() < 0.5:
            groups["extra"]["weight_decay"] = r.choice([0.0, 0.05])
        if "momentum" in o and name == "SGD" and r.random() < 0.5:
            groups["extra"]["momentum"] = r.choice([0.0, 0.7])
            groups["extra"]["nesterov"] = False
            groups["extra"]["dampening"] = 0.0
    return {"name": name, "opts": o, "tensor_lr": tensor_lr, "groups": groups}


def _sched(r, optim: dict, k: int) -> dict | None:
    name = r.choice(SCHEDULERS)
    if name is None:
        return None
    s: dict = {"name": name}
    if name == "StepLR":
        s["opts"] = {"step_size": r.randint(1, 3), "gamma": r.choice([0.5, 0.1])}
    elif name == "MultiStepLR":
        s["opts"] = {"milestones": sorted(r.sample(range(1, 8), 2)), "gamma": 0.3}
    elif name == "ExponentialLR":
        s["opts"] = {"gamma": r.choice([0.9, 0.5])}
    elif name == "CosineAnnealingLR":
        s["opts"] = {"T_max": r.randint(2, 6), "eta_min": r.choice([0.0, 1e-4])}
    elif name == "LinearLR":
        s["opts"] = {"start_factor": r.choice([1 / 3, 0.5]), "end_factor": 1.0,
                     "total_iters": r.randint(2, 5)}
    elif name == "ConstantLR":
        s["opts"] = {"factor": r.choice([1 / 3, 0.5]), "total_iters": r.randint(1, 4)}
    elif name == "LambdaLR":
        s["opts"] = {"lr_lambda": r.choice(["decay", "warmup"])}
    elif name == "MultiplicativeLR":
        s["opts"] = {"lr_lambda": "decay"}
    elif name == "PolynomialLR":
        s["opts"] = {"total_iters": r.randint(2, 6), "power": r.choice([1.0, 2.0, 0.5])}
    elif name == "CosineAnnealingWarmRestarts":
        s["opts"] = {"T_0": r.randint(1, 3), "T_mult": r.choice([1, 2]),
                     "eta_min": r.choice([0.0, 1e-3])}
    elif name == "OneCycleLR":
        s["opts"] = {"max_lr": r.choice([0.1, 0.01]), "total_steps": k + r.randint(0, 3),
                     "pct_start": r.choice([0.3, 0.5]),
                     "anneal_strategy": r.choice(["cos", "linear"]),
                     "three_phase": r.random() < 0.3,
                     "cycle_momentum": r.random() < 0.7}
    elif name == "ReduceLROnPlateau":
        s["opts"] = {"mode": r.choice(["min", "max"]), "factor": r.choice([0.5, 0.1]),
                     "patience": r.choice([0, 1]), "threshold": r.choice([1e-4, 0.1]),
                     "threshold_mode": r.choice(["rel", "abs"]), "cooldown": r.choice([0, 1]),
                     "min_lr": r.choice([0.0, 1e-3])}
    elif name in ("SequentialLR", "ChainedScheduler"):
        s["opts"] = {}
        s["parts"] = [_sched(r, optim, k) or {"name": "ExponentialLR",
                                              "opts": {"gamma": 0.9}} for _ in range(2)]
        s["parts"] = [p if p["name"] not in ("SequentialLR", "ChainedScheduler",
                                             "ReduceLROnPlateau", "OneCycleLR",
                                             "CosineAnnealingWarmRestarts")
                      else {"name": "StepLR", "opts": {"step_size": 2, "gamma": 0.5}}
                      for p in s["parts"]]
        if name == "SequentialLR":
            s["milestones"] = [r.randint(1, max(1, k - 1))]
    return s


def tags(p: dict) -> set[str]:
    """The features a program uses (``KNOWN`` names some)."""
    m, L, o, s = p["model"], p["loss"], p["optim"], p["sched"]
    out = {f"model:{m['kind']}", f"act:{m['act'][0]}", f"loss:{L['name']}",
           f"optim:{o['name']}", f"dtype:{p['dtype']}", f"container:{p['container']}"}
    if m.get("norm"):
        out.add(f"norm:{m['norm']}")
    if m["kind"] == "rnn":
        out.add(f"rnn:{m['rnn']['cell']}")
    if s is not None:
        out.add(f"sched:{s['name']}")
        out.update(f"sched:{q['name']}" for q in s.get("parts", ()))
    if o["tensor_lr"]:
        out.add(f"optim:{o['name']}:tensor_lr")
    if o["opts"].get("foreach"):
        out.add(f"optim:{o['name']}:foreach")
    if p["clip"]:
        out.add(f"clip:{p['clip'][0]}")
    return out


# --------------------------------------------------------------------------- the program


def _data(p: dict) -> dict:
    """The program's inputs and targets as NumPy arrays (float64; cast when used)."""
    rng = np.random.default_rng(p["data_seed"])
    m, L = p["model"], p["loss"]
    d: dict = {}
    kind = m["kind"]
    if kind in ("mlp",):
        d["x"] = rng.standard_normal((N, 5))
    elif kind == "bilinear":
        d["x"], d["x2"] = rng.standard_normal((N, 4)), rng.standard_normal((N, 3))
    elif kind == "conv1d":
        d["x"] = rng.standard_normal((N, 4, 9))
    elif kind == "conv2d":
        d["x"] = rng.standard_normal((N, 2, 6, 6))
        if m["unflatten"]:
            d["x"] = d["x"].reshape(N, 72)
    elif kind in ("embedding", "embedding_bag"):
        d["idx"] = rng.integers(0, 10, size=(N, 5))
        if kind == "embedding_bag":
            d["psw"] = rng.uniform(0.2, 2, size=(N, 5))
            d["offsets"] = np.array(sorted(rng.choice(np.arange(1, N * 5), size=N - 1,
                                                      replace=False)))
    elif kind in ("rnn", "attention", "transformer"):
        d["x"] = rng.standard_normal((N, 4, 8))
        d["h0"] = rng.standard_normal((4, N, 6)) * 0.5
        d["kpm"] = rng.random((N, 4)) < 0.3
        d["kpm"][:, 0] = False
        d["amask"] = rng.random((4, 4)) < 0.3
        np.fill_diagonal(d["amask"], False)
        d["famask"] = rng.standard_normal((4, 4))
    C = _classes(L)
    n = L["name"]
    if L["kind"] == "class":
        d["y"] = rng.integers(0, C, size=N)
        d["yprob"] = rng.dirichlet(np.ones(C), size=N)
        d["w"] = rng.uniform(0.2, 2, size=C)
    elif L["kind"] == "reg":
        d["y"] = rng.standard_normal((N, C))
        if n in ("BCEWithLogitsLoss", "BCELoss"):
            d["y"] = rng.uniform(0, 1, size=(N, C))
        elif n == "PoissonNLLLoss":
            d["y"] = rng.poisson(2.0, size=(N, C)).astype(np.float64)
        elif n == "KLDivLoss":
            d["y"] = rng.dirichlet(np.ones(C), size=N)
            if L["opts"]["log_target"]:
                d["y"] = np.log(d["y"])
        elif n in ("SoftMarginLoss", "HingeEmbeddingLoss"):
            d["y"] = rng.choice([-1.0, 1.0], size=(N, C))
        elif n == "MultiLabelSoftMarginLoss":
            d["y"] = rng.integers(0, 2, size=(N, C)).astype(np.float64)
        elif n == "MultiLabelMarginLoss":
            y = np.full((N, C), -1, dtype=np.int64)
            for i in range(N):
                k = rng.integers(0, C + 1)
                y[i, :k] = rng.permutation(C)[:k]
            d["y"] = y
        d["w"] = rng.uniform(0.2, 2, size=C)
        d["var"] = rng.uniform(0.1, 2, size=(N, C))
    elif L["kind"] == "pair":
        d["y"] = rng.choice([-1.0, 1.0], size=N // 2 if n != "MarginRankingLoss" else N)
    elif L["kind"] == "ctc":
        d["targets"] = rng.integers(1, C, size=(N, 3))
        if L["opts"]["blank"] == 3:
            d["targets"] = np.where(d["targets"] == 3, 0, d["targets"])
        d["target_lengths"] = rng.integers(1, 4, size=N)
        d["input_lengths"] = rng.integers(3, 5, size=N)
    return d


def _classes(L: dict) -> int:
    return {"ctc": 5, "pair": 4}.get(L["kind"], 4)


def _head_out(p: dict) -> int:
    L = p["loss"]
    if L["kind"] == "ctc":
        return 4 * _classes(L)  # (T=4, C) per row
    return _classes(L)


def _activation(T, spec):
    name, opts = spec
    nn = T.nn
    if name == "GELU_tanh":
        return nn.GELU(approximate="tanh")
    return getattr(nn, name)(**opts)


class _Containers:
    """Module classes defined per library (a program defines its own nn.Module subclasses)."""

    def __init__(self, T):
        nn = T.nn

        class ListNet(nn.Module):
            def __init__(self, layers):
                super().__init__()
                self.layers = nn.ModuleList(layers)

            def forward(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x

        class DictNet(nn.Module):
            def __init__(self, layers):
                super().__init__()
                self.parts = nn.ModuleDict({f"l{i}": m for i, m in enumerate(layers)})

            def forward(self, x):
                for name in self.parts:
                    x = self.parts[name](x)
                return x

        class Bilinear(nn.Module):
            def __init__(self, bil, rest):
                super().__init__()
                self.bil = bil
                self.rest = rest

            def forward(self, x, x2):
                return self.rest(self.bil(x, x2))

        class Seq(nn.Module):  # a sequence model, then a head on its last step
            def __init__(self, body, head, spec, T):
                super().__init__()
                self.body = body
                self.head = head
                self.spec = spec
                self.T = T

            def forward(self, x, extra):
                return self.head(_sequence(self.T, self.body, self.spec, x, extra))

        self.ListNet, self.DictNet, self.Bilinear, self.Seq = ListNet, DictNet, Bilinear, Seq


_CONTAINERS: dict = {}


def _containers(T) -> _Containers:
    if T.__name__ not in _CONTAINERS:
        _CONTAINERS[T.__name__] = _Containers(T)
    return _CONTAINERS[T.__name__]


def _wrap(T, kind: str, layers: list):
    nn = T.nn
    c = _containers(T)
    if kind == "seq":
        return nn.Sequential(*layers)
    if kind == "ordered":
        return nn.Sequential(OrderedDict((f"m{i}", m) for i, m in enumerate(layers)))
    if kind == "list":
        return c.ListNet(layers)
    return c.DictNet(layers)


def _sequence(T, body, m: dict, x, extra: dict):
    """A sequence model's features (N, H) for an input (N, L, E)."""
    kind = m["kind"]
    if kind == "rnn":
        spec = m["rnn"]
        if not spec["batch_first"]:
            x = x.transpose(0, 1)
        if spec["h0"]:
            h0 = extra["h0"]
            out, _ = body(x, (h0, extra["c0"]) if spec["cell"] == "LSTM" else h0)
        else:
            out, _ = body(x)
        last = out[:, -1] if spec["batch_first"] else out[-1]
        return last
    if kind == "attention":
        spec = m["mha"]
        q = x if spec["batch_first"] else x.transpose(0, 1)
        kv = extra["kv"] if spec["kdim"] else q
        if spec["kdim"] and not spec["batch_first"]:
            kv = kv.transpose(0, 1)
        out, w = body(q, kv, kv, key_padding_mask=extra.get("kpm"),
                      attn_mask=extra.get("amask"), need_weights=spec["need_weights"],
                      average_attn_weights=spec["average"])
        if not spec["batch_first"]:
            out = out.transpose(0, 1)
        res = out.mean(1)
        if w is not None:
            res = res + 0.1 * w.mean()
        return res
    spec = m["tf"]
    src = x if spec["batch_first"] else x.transpose(0, 1)
    out = body(src, src_mask=extra.get("mask"), src_key_padding_mask=extra.get("kpm"),
               is_causal=spec["causal"])
    if not spec["batch_first"]:
        out = out.transpose(0, 1)
    return out.mean(1)


def build_model(T, p: dict):
    """The model (float32, from the current seed) and its forward on the inputs."""
    nn = T.nn
    m = p["model"]
    kind = m["kind"]
    out = _head_out(p)
    hb = m.get("head_bias", True)
    act = _activation(T, m["act"])
    drop = [nn.Dropout(m["dropout"])] if m["dropout"] else []
    if kind == "mlp":
        layers = []
        width = 5
        for _ in range(m["depth"]):
            layers.append(nn.Linear(width, 8, bias=m["bias"]))
            width = 8
            if m["norm"] == "BatchNorm1d":
                b = m["bn"]
                layers.append(nn.BatchNorm1d(8, eps=b["eps"], momentum=b["momentum"],
                                             affine=b["affine"],
                                             track_running_stats=b["track"]))
            elif m["norm"] == "LayerNorm":
                b = m["ln"]
                layers.append(nn.LayerNorm(8, elementwise_affine=b["elementwise_affine"],
                                           bias=b["bias"]))
            layers.append(_activation(T, m["act"]))
            layers += [nn.Dropout(m["dropout"])] if m["dropout"] else []
        layers.append(nn.Linear(width, out, bias=hb))
        return _wrap(T, p["container"], layers), lambda model, X: model(X["x"])
    if kind == "bilinear":
        bil = nn.Bilinear(4, 3, 6, bias=m["bias"])
        rest = _wrap(T, p["container"], [act, *drop, nn.Linear(6, out, bias=hb)])
        return _containers(T).Bilinear(bil, rest), lambda model, X: model(X["x"], X["x2"])
    if kind == "conv1d":
        c = m["conv"]
        layers = [nn.Conv1d(4, 4, bias=m["bias"], **c)]
        b = m["bn"]
        if m["norm"] == "BatchNorm1d":
            layers.append(nn.BatchNorm1d(4, momentum=b["momentum"], affine=b["affine"],
                                         track_running_stats=b["track"]))
        elif m["norm"] == "GroupNorm":
            layers.append(nn.GroupNorm(2, 4, affine=b["affine"]))
        elif m["norm"] == "InstanceNorm1d":
            layers.append(nn.InstanceNorm1d(4, momentum=b["momentum"] or 0.1,
                                            affine=b["affine"],
                                            track_running_stats=b["track"]))
        layers.append(act)
        if m["pool"] == "MaxPool1d":
            layers.append(nn.MaxPool1d(2, ceil_mode=True))
        elif m["pool"] == "AvgPool1d":
            layers.append(nn.AvgPool1d(2, ceil_mode=True, count_include_pad=False))
        layers += [nn.AdaptiveAvgPool1d(3), nn.Flatten(), *drop, nn.Linear(12, out, bias=hb)]
        return _wrap(T, p["container"], layers), lambda model, X: model(X["x"])
    if kind == "conv2d":
        c = m["conv"]
        layers = [nn.Unflatten(1, (2, 6, 6))] if m["unflatten"] else []
        layers.append(nn.Conv2d(2, 4, bias=m["bias"], **c))
        b = m["bn"]
        if m["norm"] == "BatchNorm2d":
            layers.append(nn.BatchNorm2d(4, momentum=b["momentum"], affine=b["affine"],
                                         track_running_stats=b["track"]))
        elif m["norm"] == "GroupNorm":
            layers.append(nn.GroupNorm(2, 4, affine=b["affine"]))
        elif m["norm"] == "InstanceNorm2d":
            layers.append(nn.InstanceNorm2d(4, affine=b["affine"],
                                            track_running_stats=b["track"]))
        layers.append(act)
        ch = 4
        if m["transpose"]:
            layers.append(nn.ConvTranspose2d(4, 3, bias=m["bias"], **m["transpose"]))
            ch = 3
        layers += [nn.AdaptiveAvgPool2d(2), nn.Flatten(), *drop, nn.Linear(ch * 4, out, bias=hb)]
        return _wrap(T, p["container"], layers), lambda model, X: model(X["x"])
    if kind == "embedding":
        e = m["emb"]
        emb = nn.Embedding(10, 6, **e)
        rest = _wrap(T, p["container"], [act, *drop, nn.Linear(6, out, bias=hb)])
        model = nn.ModuleDict({"emb": emb, "rest": rest})
        return model, lambda model, X: model["rest"](model["emb"](X["idx"]).mean(1))
    if kind == "embedding_bag":
        e = m["emb"]
        emb = nn.EmbeddingBag(10, 6, mode=e["mode"], padding_idx=e["padding_idx"])
        rest = _wrap(T, p["container"], [act, *drop, nn.Linear(6, out, bias=hb)])
        model = nn.ModuleDict({"emb": emb, "rest": rest})

        def fwd(model, X):
            psw = X["psw"] if e["per_sample_weights"] else None
            if e["offsets"]:
                h = model["emb"](X["idx"].reshape(-1), X["offsets"],
                                 per_sample_weights=None if psw is None else psw.reshape(-1))
            else:
                h = model["emb"](X["idx"], per_sample_weights=psw)
            return model["rest"](h)
        return model, fwd
    if kind == "rnn":
        s = m["rnn"]
        cls = getattr(nn, s["cell"])
        kw = {"num_layers": s["num_layers"], "bias": m["bias"], "batch_first": s["batch_first"],
              "dropout": s["dropout"] if s["num_layers"] > 1 else 0.0,
              "bidirectional": s["bidirectional"]}
        if s["cell"] == "RNN":
            kw["nonlinearity"] = s["nonlinearity"]
        if s["cell"] == "LSTM":
            kw["proj_size"] = s["proj_size"]
        body = cls(8, 6, **kw)
        dirs = 2 if s["bidirectional"] else 1
        h = (s["proj_size"] if s["cell"] == "LSTM" and s["proj_size"] else 6) * dirs
        head = _wrap(T, p["container"], [act, *drop, nn.Linear(h, out, bias=hb)])
        model = _containers(T).Seq(body, head, m, T)
        return model, lambda model, X: model(X["x"], X)
    if kind == "attention":
        s = m["mha"]
        body = nn.MultiheadAttention(8, s["num_heads"], dropout=s["dropout"], bias=m["bias"],
                                     add_bias_kv=s["add_bias_kv"],
                                     add_zero_attn=s["add_zero_attn"],
                                     kdim=5 if s["kdim"] else None,
                                     vdim=5 if s["kdim"] else None,
                                     batch_first=s["batch_first"])
        head = _wrap(T, p["container"], [act, *drop, nn.Linear(8, out, bias=hb)])
        return _containers(T).Seq(body, head, m, T), lambda model, X: model(X["x"], X)
    s = m["tf"]
    body = nn.TransformerEncoderLayer(8, s["nhead"], dim_feedforward=s["dim_feedforward"],
                                      dropout=s["dropout"], activation=s["activation"],
                                      layer_norm_eps=s["layer_norm_eps"],
                                      batch_first=s["batch_first"], norm_first=s["norm_first"],
                                      bias=m["bias"])
    head = _wrap(T, p["container"], [act, *drop, nn.Linear(8, out, bias=hb)])
    return _containers(T).Seq(body, head, m, T), lambda model, X: model(X["x"], X)


def _inputs(T, p: dict, d: dict, dt) -> dict:
    """The forward's inputs as tensors of the run's dtype (indices int64, masks bool)."""
    m = p["model"]
    X: dict = {}
    for k in ("x", "x2", "psw"):
        if k in d:
            X[k] = T.tensor(d[k], dtype=dt)
    if "idx" in d:
        X["idx"] = T.tensor(d["idx"], dtype=T.int64)
    if "offsets" in d:
        X["offsets"] = T.tensor(np.concatenate([[0], d["offsets"]]), dtype=T.int64)
    kind = m["kind"]
    if kind == "rnn":
        s = m["rnn"]
        dirs = 2 if s["bidirectional"] else 1
        hs = s["proj_size"] if s["cell"] == "LSTM" and s["proj_size"] else 6
        X["h0"] = T.tensor(d["h0"][: s["num_layers"] * dirs, :, :hs].copy(), dtype=dt)
        X["c0"] = T.tensor(d["h0"][: s["num_layers"] * dirs, :, :6].copy() * 0.5, dtype=dt)
    elif kind == "attention":
        s = m["mha"]
        if s["key_padding_mask"]:
            X["kpm"] = T.tensor(d["kpm"])
        if s["attn_mask"] == "bool":
            X["amask"] = T.tensor(d["amask"])
        elif s["attn_mask"] == "float":
            X["amask"] = T.tensor(d["famask"], dtype=dt)
        if s["kdim"]:
            X["kv"] = T.tensor(d["x"][:, :, :5].copy(), dtype=dt)
    elif kind == "transformer":
        s = m["tf"]
        if s["src_key_padding_mask"]:
            X["kpm"] = T.tensor(d["kpm"])
        if s["causal"]:
            X["mask"] = T.nn.Transformer.generate_square_subsequent_mask(4, dtype=dt)
    return X


def _targets(T, p: dict, d: dict, dt) -> dict:
    Y: dict = {}
    for k in ("y", "yprob", "w", "var"):
        if k in d:
            a = d[k]
            Y[k] = T.tensor(a, dtype=T.int64 if a.dtype.kind == "i" else dt)
    for k in ("targets", "target_lengths", "input_lengths"):
        if k in d:
            Y[k] = T.tensor(d[k], dtype=T.int64)
    return Y


def build_loss(T, p: dict, Y: dict):
    """The criterion and ``loss(output) -> scalar``."""
    nn, F = T.nn, T.nn.functional
    L = p["loss"]
    name, red, o = L["name"], L["reduction"], dict(L["opts"])
    if o.pop("weight", False):
        o["weight"] = Y["w"]
    if o.pop("pos_weight", False):
        o["pos_weight"] = Y["w"]
    cls = getattr(nn, name.removesuffix("_prob"))
    if name == "TripletMarginWithDistanceLoss" and L.get("distance") == "cosine":
        o["distance_function"] = lambda a, b: 1 - F.cosine_similarity(a, b)
    crit = cls(reduction=red, **o)

    def total(v):
        return v if red != "none" else (v * T.linspace(0.5, 1.5, v.numel(), dtype=v.dtype)
                                        .reshape(v.shape)).sum()

    def loss(out):
        if name == "CrossEntropyLoss":
            return total(crit(out, Y["y"]))
        if name == "CrossEntropyLoss_prob":
            return total(crit(out, Y["yprob"]))
        if name == "NLLLoss":
            return total(crit(F.log_softmax(out, 1), Y["y"]))
        if name == "MultiMarginLoss":
            return total(crit(out, Y["y"]))
        if name == "KLDivLoss":
            return total(crit(F.log_softmax(out, 1), Y["y"]))
        if name == "BCELoss":
            return total(crit(T.sigmoid(out), Y["y"]))
        if name == "GaussianNLLLoss":
            var = Y["var"]
            if L["var_shape"] == "one":
                var = var[:, :1]
            elif L["var_shape"] == "scalar_per_row":
                var = var[:, 0]
                out = out[:, :1].squeeze(1)
                return total(crit(out, Y["y"][:, 0], var))
            return total(crit(out, Y["y"], var))
        if name == "MultiLabelMarginLoss":
            return total(crit(out, Y["y"]))
        if L["kind"] == "reg":
            return total(crit(out, Y["y"]))
        if name in ("CosineEmbeddingLoss",):
            return total(crit(out[: N // 2], out[N // 2:], Y["y"]))
        if name == "MarginRankingLoss":
            return total(crit(out[:, 0], out[:, 1], Y["y"]))
        if name in ("TripletMarginLoss", "TripletMarginWithDistanceLoss"):
            return total(crit(out[0:2], out[2:4], out[4:6]))
        if name == "CTCLoss":
            lp = F.log_softmax(out.reshape(N, 4, _classes(L)), 2).transpose(0, 1)
            return total(crit(lp, Y["targets"], Y["input_lengths"], Y["target_lengths"]))
        raise AssertionError(name)  # pragma: no cover

    return loss


def build_optim(T, p: dict, model):
    o = p["optim"]
    opts = dict(o["opts"])
    lr = opts.pop("lr")
    fault = p.get("fault")
    if fault == "bad_lr":
        lr = -lr
    elif fault == "bad_momentum" and "momentum" in opts:
        opts["momentum"] = -0.5
    elif fault == "bad_betas" and "betas" in opts:
        opts["betas"] = (1.0, opts["betas"][1])
    elif fault == "nesterov" and o["name"] == "SGD":
        opts["nesterov"], opts["momentum"] = True, 0.0
    if o["tensor_lr"]:
        lr = T.tensor(lr)
    cls = getattr(T.optim, o["name"])
    params = [q for q in model.parameters()]
    if o["groups"]:
        half = max(1, len(params) // 2)
        g = o["groups"]
        return cls([{"params": params[:half]},
                    {"params": params[half:], "lr": g["lr"], **g["extra"]}], lr=lr, **opts)
    return cls(params, lr=lr, **opts)


def _lambda(kind):
    if kind == "decay":
        return lambda epoch: 0.9 ** epoch
    return lambda epoch: min(1.0, (epoch + 1) / 3)


def build_sched(T, s: dict | None, opt, steps: int):
    if s is None:
        return None
    S = T.optim.lr_scheduler
    name, opts = s["name"], dict(s.get("opts", {}))
    if "lr_lambda" in opts:
        opts["lr_lambda"] = _lambda(opts["lr_lambda"])
    if name == "OneCycleLR" and opts.get("cycle_momentum") and not _has_momentum(opt):
        opts["cycle_momentum"] = False
    if name == "SequentialLR":
        parts = [build_sched(T, q, opt, steps) for q in s["parts"]]
        return S.SequentialLR(opt, parts, milestones=s["milestones"])
    if name == "ChainedScheduler":
        parts = [build_sched(T, q, opt, steps) for q in s["parts"]]
        return S.ChainedScheduler(parts, optimizer=opt)
    return getattr(S, name)(opt, **opts)


def _has_momentum(opt) -> bool:
    g = opt.defaults
    return "betas" in g or g.get("momentum", 0) != 0


def _obs(x, be):
    """``observe`` extended to dicts (state dicts): ``("dict", (("entry", (key, value)),
    ...))`` in the dict's order."""
    if isinstance(x, dict):
        return ("dict", tuple(("entry", (k if isinstance(k, (str, int)) else repr(k),
                                         _obs(v, be))) for k, v in x.items()))
    if isinstance(x, (list, tuple)) and not isinstance(x, be.Tensor):
        return (type(x).__name__, tuple(_obs(v, be) for v in x))
    if callable(x) and not isinstance(x, be.Tensor):
        return ("callable",)
    return observe(x, be, True, False)


def execute(p: dict, T, dtype: str, default_float64: bool = False,
            lockstep: dict | None = None) -> Run:
    """Run program ``p`` with library ``T`` (``engine`` or ``torch``) in ``dtype``.
    ``lockstep``: torch's run records its parameters at each step's start and its gradients
    after backward there; the engine's run given the same dict takes them over at those points
    (``LOCKSTEP``)."""
    be = ENGINE if T is engine else TORCH
    ctx = contextlib.nullcontext()
    if default_float64 and T is torch:
        ctx = _default(torch.float64)
    obs: list = []
    where = ["build"]
    with ctx, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _program(T, be, p, dtype, obs, where, lockstep)
        except Exception as e:  # noqa: BLE001 (every failure is an observation)
            return Run(obs, ErrorObs(where[0], builtin_class(e), str(e)))
    return Run(obs)


@contextlib.contextmanager
def _default(dt):
    old = torch.get_default_dtype()
    torch.set_default_dtype(dt)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _lockstep(T, book: dict, key: tuple, tensors: list) -> None:
    """Lockstep: torch's run writes the values of ``tensors`` into ``book``; the engine's run
    (a second run with the same book) overwrites its own with them (None stays None)."""
    if T is torch:
        book[key] = [None if x is None else x.detach().numpy().copy() for x in tensors]
        return
    with T.no_grad():
        for x, v in zip(tensors, book.get(key, ()), strict=False):
            if x is not None and v is not None and tuple(x.shape) == v.shape:
                x.copy_(T.tensor(v, dtype=x.dtype))


def _program(T, be, p: dict, dtype: str, obs: list, where: list,
             lockstep: dict | None = None) -> None:
    dt = getattr(T, dtype)
    T.manual_seed(p["seed"])
    with _default32(T):
        model, forward = build_model(T, p)
    model.to(dt)
    d = _data(p)
    X, Y = _inputs(T, p, d, dt), _targets(T, p, d, dt)
    names = [n for n, _ in model.named_parameters()]
    obs.append(("parameter names", tuple(names)))
    for n, q in model.named_parameters():
        obs.append((f"initial {n}", _obs(q, be)))
    loss_fn = build_loss(T, p, Y)
    where[0] = "optimizer"
    opt = build_optim(T, p, model)
    where[0] = "scheduler"
    sched = build_sched(T, p["sched"], opt, p["steps"])
    T.manual_seed(p["seed"] + 1)  # dropout's draws
    clip = p["clip"]
    for k in range(p["steps"]):
        if p["eval_at"] == k:
            model.eval()
        if p["train_at"] == k and p["train_at"] != p["eval_at"]:
            model.train()
        if p["freeze_at"] == k:
            first = next(iter(model.parameters()))
            first.requires_grad_(False)
        if lockstep is not None:
            _lockstep(T, lockstep, ("params", k), [q for _, q in model.named_parameters()])
        where[0] = f"step {k} zero_grad"
        opt.zero_grad(set_to_none=p["set_to_none"])
        if p["fault"] == "target_out_of_range" and p["fault_at"] == k and \
                p["loss"]["kind"] == "class":
            Y["y"] = T.full_like(Y["y"], 9)
        where[0] = f"step {k} forward"
        out = forward(model, X)
        loss = loss_fn(out)
        obs.append((f"step {k} loss", _obs(loss, be)))
        where[0] = f"step {k} backward"
        fault = p["fault"] if p["fault_at"] == k else None
        if fault == "backward_twice":
            loss.backward()
        loss.backward()
        for n, q in model.named_parameters():
            obs.append((f"step {k} {n}.grad", _obs(q.grad, be)))
        if lockstep is not None:
            _lockstep(T, lockstep, ("grads", k), [q.grad for _, q in model.named_parameters()])
        if clip is not None:
            where[0] = f"step {k} clip"
            params = list(model.parameters())
            if clip[0] == "norm":
                if fault == "clip_nonfinite":
                    with T.no_grad():
                        params[-1].grad[0] = math.inf
                r = T.nn.utils.clip_grad_norm_(params, clip[1], norm_type=clip[2],
                                               error_if_nonfinite=fault == "clip_nonfinite")
                obs.append((f"step {k} clip_grad_norm_", _obs(r, be)))
            else:
                T.nn.utils.clip_grad_value_(params, clip[1])
        where[0] = f"step {k} optimizer.step"
        opt.step()
        for n, q in model.named_parameters():
            obs.append((f"step {k} {n}", _obs(q, be)))
        if sched is not None:
            where[0] = f"step {k} scheduler.step"
            if p["sched"]["name"] == "ReduceLROnPlateau":
                sched.step(loss.item())
            else:
                sched.step()
            obs.append((f"step {k} last lr", _obs(sched.get_last_lr(), be)))
        obs.append((f"step {k} lrs", _obs([g["lr"] for g in opt.param_groups], be)))
        if p["roundtrip_at"] == k:
            where[0] = f"step {k} state_dict round trip"
            state = {n: v.clone() for n, v in model.state_dict().items()}
            if fault == "missing_key":
                state.pop(next(iter(state)))
            model.load_state_dict(state)
            osd = copy.deepcopy(opt.state_dict())
            if fault == "state_dict_groups":
                osd["param_groups"].append(dict(osd["param_groups"][0], params=[]))
            if sched is None:
                opt = build_optim(T, p, model)
            opt.load_state_dict(osd)
            if sched is not None:
                ssd = sched.state_dict()
                sched.load_state_dict(ssd)
    where[0] = "optimizer.state_dict()"
    obs.append(("optimizer state_dict", _obs(opt.state_dict(), be)))
    obs.append(("buffers", _obs(OrderedDict(model.named_buffers()), be)))
    where[0] = "eval forward"
    model.eval()
    with T.no_grad():
        obs.append(("eval output", _obs(forward(model, X), be)))


@contextlib.contextmanager
def _default32(T):
    """Modules are built in float32 (then cast): the same draws whatever the run's dtype."""
    if T is not torch:
        yield
        return
    with _default(torch.float32):
        yield


# --------------------------------------------------------------------------- comparing


def runs(p: dict) -> tuple[Run, Run, Run | None, Run | None]:
    """The engine's run, torch's, and torch's reference runs for the tolerance rules."""
    book: dict | None = {} if LOCKSTEP else None
    t = execute(p, torch, p["dtype"], lockstep=book)
    e = execute(p, engine, p["dtype"], lockstep=book)
    r = l = None
    if p["dtype"] == "float32":
        r = execute(p, torch, "float64", default_float64=True)
    else:
        l = execute(p, torch, "float32")
    return e, t, r, l


def difference(p: dict) -> str | None:
    """Where program ``p``'s engine run differs from torch's (None: they agree)."""
    e, t, r, l = runs(p)
    if t.error is not None and p["fault"] is None:
        # (a program without a fault that torch refuses: the generator's mistake, which would
        # hide the rest of the program behind an error both sides raise)
        return (f"harness: torch raised without a fault at {t.error.where}: "
                f"{t.error.cls.__name__}: {t.error.message[:300]}")
    return compare_runs(e, t, r, l)


def describe(p: dict) -> str:
    return pprint.pformat(p, width=100, sort_dicts=False)


def classify(text: str) -> str:
    from .sweep import classify as base
    return base(text.split(": ", 1)[1] if ": " in text else text)


def main() -> None:
    args = sys.argv[1:]
    seed0 = int(args[0]) if args else 0
    n = int(args[1]) if len(args) > 1 else 200
    if "--show" in args:
        p = plan(seed0 * 100_000 + int(args[args.index("--show") + 1]))
        print(describe(p))
        print(difference(p))
        return
    out = open(args[2], "a") if len(args) > 2 else None  # noqa: SIM115
    counts: Counter = Counter()
    start = time.time()
    for i in range(n):
        p = plan(seed0 * 100_000 + i)
        counts["programs"] += 1
        try:
            diff = difference(p)
        except Exception as exc:  # noqa: BLE001 (a harness error: record it, go on)
            diff = f"harness: {exc!r}"
        if diff is None:
            continue
        kind = "harness" if diff.startswith("harness") else classify(diff)
        known = sorted(tags(p) & KNOWN.keys())
        counts["known" if known else kind] += 1
        print(f"[{i}] {kind}{' (known: ' + ','.join(known) + ')' if known else ''}: "
              f"{diff.splitlines()[0][:300]}", flush=True)
        if out is not None:
            out.write(json.dumps({"index": i, "seed": p["seed"], "class": kind,
                                  "known": known, "problem": diff,
                                  "tags": sorted(tags(p))}) + "\n")
            out.flush()
    print(json.dumps({"seed": seed0, **counts, "seconds": round(time.time() - start)}))


if __name__ == "__main__":
    main()
