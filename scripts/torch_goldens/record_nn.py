"""Record ``torch.nn`` behaviour from real PyTorch into ``tests/engine/goldens/nn.json``
(``tests/engine/test_nn_modules.py`` replays it on ``engine.nn``).

    .venv/bin/pip install torch==2.13.0        # the oracle; the engine never imports it
    .venv/bin/python scripts/torch_goldens/record_nn.py

Three kinds of records:

- ``reprs``: ``repr(module)`` of modules built by the same constructor text on both sides;
- ``inits``: statistics of default initialisations (max |w|, mean, std of each parameter of a
  large layer, and of ``nn.init`` functions) — the bounds torch draws from;
- ``layers``: a layer in float64 with torch's parameters (its ``state_dict``), run on fixed
  inputs: every output, and the gradients of ``sum(output * weight)`` with respect to the
  inputs and every parameter, plus buffers after the call (running statistics).

Constructor texts are evaluated with ``nn`` bound to ``torch.nn`` here and to ``engine.nn`` in
the test: test-side code only, never the service.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn  # noqa: F401  (used by the constructor texts)

GOLDEN = Path(__file__).resolve().parents[2] / "tests/engine/goldens/nn.json"

REPRS = [
    "nn.Sequential(nn.Linear(2, 1))",
    "nn.Sequential()",
    "nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))",
    "nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.2)), nn.Softmax(dim=1))",
    "nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])",
    "nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Linear(1, 1), nn.ReLU(), nn.ReLU()])",
    "nn.ModuleList()",
    "nn.ModuleDict({'a': nn.ReLU(), 'b': nn.Linear(1, 2)})",
    "nn.ParameterList([nn.Parameter(torch.ones(2, 3)), nn.Parameter(torch.ones(2))])",
    "nn.ParameterList([nn.Parameter(torch.ones(2, 3))])",
    "nn.ParameterDict({'a': nn.Parameter(torch.ones(2, 3)), "
    "'b': nn.Parameter(torch.ones(2, dtype=torch.float64))})",
    "nn.Linear(3, 4, bias=False)", "nn.Bilinear(2, 3, 4)", "nn.Identity(54, unused='x')",
    "nn.Flatten()", "nn.Flatten(0, 2)", "nn.Unflatten(1, (2, 2))", "nn.Dropout()",
    "nn.Dropout(0.1, inplace=True)",
    "nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, "
    "padding_mode='reflect')",
    "nn.Conv2d(1, 6, 5, padding=2)", "nn.Conv2d(1, 6, 5, padding='same')",
    "nn.Conv2d(3, 8, (3, 5), stride=(2, 1))", "nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1)",
    "nn.MaxPool2d(2, 2)", "nn.MaxPool2d((2, 3), (1, 1))", "nn.MaxPool1d(3)",
    "nn.AvgPool2d(kernel_size=2, stride=2)", "nn.AvgPool2d(3, 1, 1, True, False, 2)",
    "nn.AvgPool1d(3)", "nn.AdaptiveAvgPool2d((1, 1))", "nn.AdaptiveAvgPool2d(5)",
    "nn.AdaptiveMaxPool2d(2)", "nn.AdaptiveAvgPool1d(2)",
    "nn.BatchNorm1d(4)", "nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False)",
    "nn.BatchNorm3d(2, track_running_stats=False)", "nn.LayerNorm(4)",
    "nn.LayerNorm([2, 3], elementwise_affine=False)", "nn.LayerNorm(5, bias=False)",
    "nn.GroupNorm(2, 4)", "nn.GroupNorm(3, 6, affine=False)",
    "nn.Embedding(10, 3)", "nn.Embedding(10, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, "
    "scale_grad_by_freq=True)",
    "nn.RNN(3, 4)", "nn.RNN(3, 4, nonlinearity='relu')",
    "nn.RNN(3, 4, 2, 'relu', False, True, 0.5, True)", "nn.LSTM(3, 4, proj_size=2)",
    "nn.GRU(3, 4, num_layers=2, batch_first=True)", "nn.LSTMCell(3, 4)",
    "nn.RNNCell(3, 4, False, 'relu')", "nn.GRUCell(3, 4, bias=False)",
    "nn.ReLU()", "nn.ReLU(True)", "nn.LeakyReLU()", "nn.LeakyReLU(0.2, True)",
    "nn.GELU()", "nn.GELU('tanh')", "nn.SiLU(True)", "nn.ELU()", "nn.ELU(0.5, True)",
    "nn.CELU(2., True)", "nn.SELU()", "nn.Softplus()", "nn.Softplus(2, 10)", "nn.Sigmoid()",
    "nn.Tanh()", "nn.Softmax()", "nn.Softmax(dim=1)", "nn.LogSoftmax(1)", "nn.Softmin(0)",
    "nn.Softmax2d()", "nn.Hardtanh()", "nn.Hardtanh(-2, 2, True)", "nn.ReLU6()",
    "nn.ReLU6(True)", "nn.Threshold(0.1, 20)", "nn.Threshold(0.1, 20, True)", "nn.Mish()",
    "nn.LogSigmoid()", "nn.Hardsigmoid(True)", "nn.Hardswish()", "nn.Hardshrink()",
    "nn.Softshrink(0.3)", "nn.Softsign()", "nn.Tanhshrink()", "nn.GLU()", "nn.PReLU()",
    "nn.PReLU(3, 0.1)", "nn.RReLU()", "nn.RReLU(0.1, 0.3, True)",
    "nn.CrossEntropyLoss()", "nn.CrossEntropyLoss(weight=torch.ones(3), label_smoothing=0.1)",
    "nn.MSELoss()", "nn.MSELoss(reduction='sum')", "nn.L1Loss()", "nn.NLLLoss()",
    "nn.BCELoss()", "nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))", "nn.SmoothL1Loss()",
    "nn.HuberLoss(delta=0.5)", "nn.SoftMarginLoss()", "nn.MarginRankingLoss(0.5)",
    "nn.HingeEmbeddingLoss()", "nn.CosineEmbeddingLoss()", "nn.TripletMarginLoss(p=1)",
    "nn.PoissonNLLLoss()", "nn.GaussianNLLLoss()", "nn.MultiLabelSoftMarginLoss()",
    "nn.MultiMarginLoss()",
]

INITS = [
    ("Linear", "nn.Linear(1000, 300)"),
    ("Linear_small_fan", "nn.Linear(3, 100000)"),
    ("Bilinear", "nn.Bilinear(50, 60, 40)"),
    ("Conv1d", "nn.Conv1d(16, 32, 7)"),
    ("Conv2d", "nn.Conv2d(64, 32, 5)"),
    ("ConvTranspose2d", "nn.ConvTranspose2d(32, 64, 3)"),
    ("Embedding", "nn.Embedding(1000, 100, padding_idx=3)"),
    ("LSTM", "nn.LSTM(200, 256)"),
    ("GRU", "nn.GRU(100, 128, bidirectional=True)"),
    ("RNN", "nn.RNN(50, 400)"),
    ("LSTMCell", "nn.LSTMCell(100, 300)"),
    ("BatchNorm1d", "nn.BatchNorm1d(10)"),
    ("LayerNorm", "nn.LayerNorm(10)"),
    ("GroupNorm", "nn.GroupNorm(2, 10)"),
    ("PReLU", "nn.PReLU(4)"),
]

INIT_FUNCTIONS = [
    ("uniform", "nn.init.uniform_(w, -0.3, 0.7)"),
    ("normal", "nn.init.normal_(w, 0.5, 2.0)"),
    ("trunc_normal", "nn.init.trunc_normal_(w, std=0.5, a=-0.6, b=0.9)"),
    ("xavier_uniform", "nn.init.xavier_uniform_(w)"),
    ("xavier_uniform_gain", "nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('tanh'))"),
    ("xavier_normal", "nn.init.xavier_normal_(w)"),
    ("kaiming_uniform", "nn.init.kaiming_uniform_(w)"),
    ("kaiming_uniform_relu", "nn.init.kaiming_uniform_(w, nonlinearity='relu')"),
    ("kaiming_normal_fan_out", "nn.init.kaiming_normal_(w, mode='fan_out', "
                               "nonlinearity='relu')"),
    ("kaiming_normal_leaky", "nn.init.kaiming_normal_(w, a=0.2)"),
]

GAINS = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
         ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]

# name, constructor, input shapes (float64 inputs; "long:N" for class indices in [0, N)), mode
LAYERS = [
    ("linear", "nn.Linear(4, 3)", [[5, 4]], "train"),
    ("linear_3d_no_bias", "nn.Linear(4, 3, bias=False)", [[2, 5, 4]], "train"),
    ("bilinear", "nn.Bilinear(3, 2, 4)", [[5, 3], [5, 2]], "train"),
    ("flatten", "nn.Flatten()", [[2, 3, 4]], "train"),
    ("unflatten", "nn.Unflatten(1, (2, 3))", [[4, 6]], "train"),
    ("layer_norm", "nn.LayerNorm([3, 4])", [[2, 3, 4]], "train"),
    ("group_norm", "nn.GroupNorm(2, 4)", [[3, 4, 5]], "train"),
    ("batch_norm_train", "nn.BatchNorm1d(3)", [[6, 3]], "train"),
    ("batch_norm_3d_train", "nn.BatchNorm1d(3, momentum=None)", [[4, 3, 5]], "train"),
    ("batch_norm_eval", "nn.BatchNorm2d(2)", [[2, 2, 3, 3]], "eval"),
    ("embedding", "nn.Embedding(7, 3, padding_idx=2)", [["long:7", 4, 3]], "train"),
    ("rnn", "nn.RNN(3, 4)", [[5, 2, 3]], "train"),
    ("rnn_relu_2layer_bi", "nn.RNN(3, 4, 2, 'relu', bidirectional=True)", [[5, 2, 3]],
     "train"),
    ("gru_batch_first", "nn.GRU(3, 4, num_layers=2, batch_first=True)", [[2, 5, 3]], "train"),
    ("lstm", "nn.LSTM(3, 4)", [[5, 2, 3]], "train"),
    ("lstm_bi_proj", "nn.LSTM(3, 5, bidirectional=True, proj_size=2)", [[4, 2, 3]], "train"),
    ("lstm_unbatched", "nn.LSTM(3, 4, num_layers=2)", [[5, 3]], "train"),
    ("rnn_cell", "nn.RNNCell(3, 4)", [[2, 3], [2, 4]], "train"),
    ("lstm_cell", "nn.LSTMCell(3, 4)", [[2, 3]], "train"),
    ("gru_cell", "nn.GRUCell(3, 4)", [[2, 3], [2, 4]], "train"),
    ("prelu", "nn.PReLU(3)", [[2, 3, 4]], "train"),
    ("hardtanh", "nn.Hardtanh(-0.5, 0.7)", [[3, 4]], "train"),
    ("mish", "nn.Mish()", [[3, 4]], "train"),
    ("glu", "nn.GLU(1)", [[3, 4]], "train"),
    ("softmin", "nn.Softmin(1)", [[3, 4]], "train"),
    ("celu", "nn.CELU(0.7)", [[3, 4]], "train"),
    ("selu", "nn.SELU()", [[3, 4]], "train"),
    ("mlp", "nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.LogSoftmax(1))",
     [[5, 4]], "train"),
    ("dropout_eval", "nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 2))", [[3, 4]], "eval"),
    ("conv1d", "nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2)", [[2, 2, 9]],
     "train"),
    ("conv2d_same", "nn.Conv2d(2, 3, (3, 2), padding='same', bias=False)", [[2, 2, 5, 4]],
     "train"),
    ("conv_transpose2d", "nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)",
     [[2, 3, 4, 3]], "train"),
    ("max_pool2d", "nn.MaxPool2d(2, 2)", [[2, 3, 6, 5]], "train"),
    ("avg_pool2d", "nn.AvgPool2d(3, 2, 1, count_include_pad=False)", [[2, 3, 6, 5]],
     "train"),
    ("adaptive_avg_pool2d", "nn.AdaptiveAvgPool2d((2, 3))", [[2, 3, 5, 7]], "train"),
]

LOSSES = [
    ("cross_entropy", "nn.CrossEntropyLoss()", [[5, 4], "long:4 5"]),
    ("cross_entropy_smoothing", "nn.CrossEntropyLoss(label_smoothing=0.2, reduction='sum')",
     [[5, 4], "long:4 5"]),
    ("nll", "nn.NLLLoss(reduction='none')", [[5, 4], "long:4 5"]),
    ("mse", "nn.MSELoss()", [[3, 4], [3, 4]]),
    ("l1", "nn.L1Loss(reduction='sum')", [[3, 4], [3, 4]]),
    ("smooth_l1", "nn.SmoothL1Loss(beta=0.5)", [[3, 4], [3, 4]]),
    ("huber", "nn.HuberLoss(delta=0.5)", [[3, 4], [3, 4]]),
    ("bce_with_logits", "nn.BCEWithLogitsLoss()", [[3, 4], "prob 3 4"]),
    ("bce", "nn.BCELoss()", ["prob 3 4", "prob 3 4"]),
    ("soft_margin", "nn.SoftMarginLoss()", [[3, 4], "sign 3 4"]),
    ("margin_ranking", "nn.MarginRankingLoss(margin=0.2)", [[5], [5], "sign 5"]),
    ("hinge_embedding", "nn.HingeEmbeddingLoss(margin=0.5, reduction='none')",
     [[3, 4], "sign 3 4"]),
    ("cosine_embedding", "nn.CosineEmbeddingLoss(margin=0.1)", [[4, 3], [4, 3], "sign 4"]),
    ("triplet", "nn.TripletMarginLoss(swap=True)", [[4, 3], [4, 3], [4, 3]]),
    ("poisson", "nn.PoissonNLLLoss()", [[3, 4], "prob 3 4"]),
    ("poisson_full", "nn.PoissonNLLLoss(log_input=False, full=True, reduction='sum')",
     ["prob 3 4", "count 3 4"]),
    ("gaussian", "nn.GaussianNLLLoss(full=True)", [[3, 4], [3, 4], "prob 3 4"]),
    ("multilabel_soft_margin", "nn.MultiLabelSoftMarginLoss(weight=torch.ones(4) * 0.5)",
     [[3, 4], "bin 3 4"]),
    ("multi_margin", "nn.MultiMarginLoss(p=2, margin=0.5)", [[5, 4], "long:4 5"]),
]


def make_input(spec, rng):
    if isinstance(spec, str):
        kind, *dims = spec.split()
        if kind.startswith("long:"):
            n = int(kind.split(":")[1])
            return torch.tensor(rng.integers(0, n, size=[int(d) for d in dims]))
        shape = [int(d) for d in dims]
        if kind == "sign":
            return torch.tensor(rng.choice([-1.0, 1.0], size=shape))
        if kind == "bin":
            return torch.tensor(rng.choice([0.0, 1.0], size=shape))
        if kind == "count":
            return torch.tensor(rng.integers(0, 6, size=shape).astype(np.float64))
        return torch.tensor(rng.uniform(0.05, 0.95, size=shape))
    if isinstance(spec[0], str):  # ["long:N", *shape]
        n = int(spec[0].split(":")[1])
        return torch.tensor(rng.integers(0, n, size=spec[1:]))
    return torch.tensor(rng.standard_normal(spec))


def flat_tensors(value) -> list:
    if isinstance(value, torch.Tensor):
        return [value]
    out = []
    for v in value:
        out.extend(flat_tensors(v))
    return out


def record_layer(name: str, build: str, shapes: list, mode: str, rng) -> dict:
    torch.manual_seed(0)
    module = eval(build).double()  # noqa: S307  (test data: our own constructor text)
    with torch.no_grad():  # non-trivial affine parameters
        for p in module.parameters():
            p.copy_(torch.tensor(rng.uniform(-1.0, 1.0, p.shape)))
    module.train(mode == "train")
    state = {k: v.tolist() for k, v in module.state_dict().items()}
    inputs = [make_input(s, rng) for s in shapes]
    for x in inputs:
        if x.is_floating_point():
            x.requires_grad_()
    outs = flat_tensors(module(*inputs))
    weights = [rng.standard_normal(o.shape) for o in outs]
    loss = sum((o * torch.tensor(w)).sum() for o, w in zip(outs, weights))
    loss.backward()
    return {
        "name": name, "build": build, "mode": mode, "state_dict": state,
        "inputs": [{"data": x.tolist(), "dtype": str(x.dtype).replace("torch.", "")}
                   for x in inputs],
        "outputs": [o.tolist() for o in outs], "weights": [w.tolist() for w in weights],
        "grad_fns": [None if o.grad_fn is None else type(o.grad_fn).__name__ for o in outs],
        "input_grads": [None if x.grad is None else x.grad.tolist() for x in inputs],
        "param_grads": {n: (None if p.grad is None else p.grad.tolist())
                        for n, p in module.named_parameters()},
        "after": {k: v.tolist() for k, v in module.state_dict().items()
                  if k not in dict(module.named_parameters())},  # buffers (running stats)
    }


def record_loss(name: str, build: str, shapes: list, rng) -> dict:
    module = eval(build)  # noqa: S307
    inputs = [make_input(s, rng) for s in shapes]
    inputs[0].requires_grad_()
    out = module(*inputs)
    weight = rng.standard_normal(out.shape)
    (out * torch.tensor(weight)).sum().backward()
    return {"name": name, "build": build,
            "inputs": [{"data": x.tolist(), "dtype": str(x.dtype).replace("torch.", "")}
                       for x in inputs],
            "output": out.tolist(), "grad_fn": type(out.grad_fn).__name__,
            "weight": weight.tolist(), "input_grad": inputs[0].grad.tolist()}


def stats(t: torch.Tensor) -> dict:
    t = t.detach().double()
    return {"shape": list(t.shape), "max_abs": t.abs().max().item(), "mean": t.mean().item(),
            "std": t.std().item() if t.numel() > 1 else 0.0,
            "min": t.min().item(), "max": t.max().item()}


def record_inits() -> dict:
    torch.manual_seed(0)
    layers = {}
    for name, build in INITS:
        module = eval(build)  # noqa: S307
        layers[name] = {"build": build,
                        "params": {n: stats(p) for n, p in module.named_parameters()}}
    functions = {}
    for name, call in INIT_FUNCTIONS:
        w = torch.empty(400, 600)
        eval(call, {"nn": torch.nn, "w": w})  # noqa: S307
        functions[name] = {"call": call, "shape": [400, 600], **stats(w)}
    gains = [[n, p, torch.nn.init.calculate_gain(n, p)] for n, p in GAINS]
    return {"layers": layers, "functions": functions, "gains": gains}


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(5)
    golden = {
        "torch_version": torch.__version__,
        "reprs": [[build, repr(eval(build))] for build in REPRS],  # noqa: S307
        "inits": record_inits(),
        "layers": [record_layer(*case, rng) for case in LAYERS],
        "losses": [record_loss(*case, rng) for case in LOSSES],
        "named": {build: {"modules": [n for n, _ in eval(build).named_modules()],  # noqa: S307
                          "parameters": [[n, list(p.shape)]
                                         for n, p in eval(build).named_parameters()],  # noqa: S307
                          "state_dict": list(eval(build).state_dict())}  # noqa: S307
                  for build in ["nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2)",
                                "nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), "
                                "nn.Flatten(), nn.Sequential(nn.Linear(2, 2)))",
                                "nn.GRU(2, 3, bias=False)", "nn.Embedding(4, 2)"]},
    }
    assert all(math.isfinite(v) for case in golden["layers"] for o in case["outputs"]
               for v in np.ravel(o))
    GOLDEN.write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
