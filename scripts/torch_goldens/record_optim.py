"""Record optimizer and learning-rate-scheduler trajectories from real PyTorch into
``tests/engine/goldens/optim.json`` (``tests/engine/test_optim.py`` replays them on the engine).

    .venv/bin/pip install torch==2.13.0        # the oracle; the engine never imports it
    .venv/bin/python scripts/torch_goldens/record_optim.py

Optimizers run 100 steps on two float32 parameters whose gradient each step is
``A * p + B`` (fixed float32 arrays; a product then a sum, rounded the same way everywhere), so
the trajectories isolate the optimizers' own arithmetic. A small MLP trained with autograd
checks the whole loop. Schedulers record the learning rate (and the momentum where they cycle
it) after each of 100 epochs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

GOLDEN = Path(__file__).resolve().parents[2] / "tests/engine/goldens/optim.json"
STEPS = 100

OPTIMIZERS = [
    ("sgd", "SGD", {"lr": 0.1}),
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("sgd_dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.01}),
    ("sgd_maximize", "SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("sgd_all", "SGD", {"lr": 0.03, "momentum": 0.8, "weight_decay": 0.05,
                        "nesterov": True}),
    ("adam", "Adam", {"lr": 0.01}),
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}),
    ("adam_weight_decay", "Adam", {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("adam_maximize", "Adam", {"lr": 0.005, "maximize": True, "eps": 1e-6}),
    ("adamw", "AdamW", {"lr": 0.01}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True}),
    ("rmsprop", "RMSprop", {}),
    ("rmsprop_centered", "RMSprop", {"lr": 0.005, "centered": True}),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.002, "momentum": 0.9, "weight_decay": 0.01}),
    ("rmsprop_all", "RMSprop", {"lr": 0.003, "alpha": 0.9, "momentum": 0.5, "centered": True,
                                "maximize": True}),
    ("adagrad", "Adagrad", {"lr": 0.1}),
    ("adagrad_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01,
                                  "initial_accumulator_value": 0.1}),
    ("adadelta", "Adadelta", {}),
    ("adadelta_options", "Adadelta", {"lr": 0.5, "rho": 0.95, "weight_decay": 0.01,
                                      "maximize": True}),
    ("adamax", "Adamax", {}),
    ("adamax_options", "Adamax", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.05}),
]

# name -> (optimizer class, optimizer kwargs, scheduler class, scheduler kwargs)
SCHEDULERS = [
    ("step", "SGD", {"lr": 0.1}, "StepLR", {"step_size": 10, "gamma": 0.5}),
    ("multistep", "SGD", {"lr": 0.1}, "MultiStepLR", {"milestones": [10, 30, 60],
                                                      "gamma": 0.1}),
    ("exponential", "SGD", {"lr": 0.1}, "ExponentialLR", {"gamma": 0.95}),
    ("cosine", "SGD", {"lr": 0.1}, "CosineAnnealingLR", {"T_max": 25, "eta_min": 0.001}),
    ("cosine_short", "Adam", {"lr": 0.01}, "CosineAnnealingLR", {"T_max": 7}),
    ("lambda_pow", "SGD", {"lr": 0.1}, "LambdaLR", {"lr_lambda": "pow95"}),
    ("lambda_warmup", "Adam", {"lr": 0.01}, "LambdaLR", {"lr_lambda": "warmup"}),
    ("plateau", "SGD", {"lr": 0.1}, "ReduceLROnPlateau",
     {"mode": "min", "factor": 0.5, "patience": 3, "cooldown": 2, "min_lr": 1e-3}),
    ("plateau_max_abs", "SGD", {"lr": 0.1}, "ReduceLROnPlateau",
     {"mode": "max", "factor": 0.3, "patience": 2, "threshold": 0.05,
      "threshold_mode": "abs"}),
    ("onecycle_sgd", "SGD", {"lr": 0.1, "momentum": 0.9}, "OneCycleLR",
     {"max_lr": 0.1, "total_steps": STEPS}),
    ("onecycle_adam_linear", "Adam", {"lr": 0.01}, "OneCycleLR",
     {"max_lr": 0.05, "total_steps": STEPS, "anneal_strategy": "linear", "pct_start": 0.25}),
    ("onecycle_three_phase", "SGD", {"lr": 0.1, "momentum": 0.9}, "OneCycleLR",
     {"max_lr": 0.2, "epochs": 10, "steps_per_epoch": 10, "three_phase": True,
      "div_factor": 10.0, "final_div_factor": 100.0}),
]

LAMBDAS = {
    "pow95": lambda epoch: 0.95 ** epoch,
    "warmup": lambda epoch: min(1.0, (epoch + 1) / 10),
}


def f32(values) -> list:
    """float32 values as the shortest decimals that read back as the same float32."""
    arr = np.asarray(values, dtype=np.float32)
    flat = [float(str(v)) for v in arr.ravel()]
    return np.array(flat, dtype=object).reshape(arr.shape).tolist()


def problem() -> dict:
    rng = np.random.default_rng(0)
    return {
        "w0": f32(rng.standard_normal((2, 3))), "b0": f32(rng.standard_normal(3)),
        "a_w": f32(rng.uniform(0.1, 2.0, (2, 3))), "b_w": f32(rng.standard_normal((2, 3))),
        "a_b": f32(rng.uniform(0.1, 2.0, 3)), "b_b": f32(rng.standard_normal(3)),
    }


def plateau_metrics() -> list:
    """Falls, flattens, rises a little, falls again: enough to trip patience and cooldown."""
    out = []
    for t in range(STEPS):
        if t < 15:
            out.append(1.0 / (1 + t))
        elif t < 40:
            out.append(0.0625 + 0.001 * ((t * 7) % 3))
        elif t < 55:
            out.append(0.07 - 0.001 * (t - 40))
        else:
            out.append(0.055 + 0.002 * ((t * 5) % 4))
    return out


def tensors(p: dict):
    w = torch.tensor(p["w0"], requires_grad=True)
    b = torch.tensor(p["b0"], requires_grad=True)
    grad_of = {id(w): (torch.tensor(p["a_w"]), torch.tensor(p["b_w"])),
               id(b): (torch.tensor(p["a_b"]), torch.tensor(p["b_b"]))}
    return w, b, grad_of


def set_grads(params, grad_of) -> None:
    for q in params:
        a, b = grad_of[id(q)]
        q.grad = a * q.detach() + b


def encode_state(state_dict: dict) -> dict:
    def enc(v):
        if isinstance(v, torch.Tensor):
            return {"tensor": f32(v.numpy()), "dtype": str(v.dtype).replace("torch.", "")}
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        return v

    return {"state": {str(k): {n: enc(v) for n, v in s.items()}
                      for k, s in state_dict["state"].items()},
            "param_groups": [{k: enc(v) for k, v in g.items()}
                             for g in state_dict["param_groups"]]}


def record_optimizer(name: str, cls: str, kwargs: dict, p: dict) -> dict:
    w, b, grad_of = tensors(p)
    opt = getattr(torch.optim, cls)([w, b], **kwargs)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        set_grads([w, b], grad_of)
        opt.step()
        trajectory.append(f32(np.concatenate([w.detach().numpy().ravel(),
                                              b.detach().numpy().ravel()])))
    return {"name": name, "class": cls, "kwargs": kwargs, "trajectory": trajectory,
            "state_dict": encode_state(opt.state_dict()), "repr": repr(opt)}


def record_groups(p: dict) -> dict:
    w, b, grad_of = tensors(p)
    opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01, "momentum": 0.5}],
                          lr=0.1, momentum=0.9)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        set_grads([w, b], grad_of)
        opt.step()
        trajectory.append(f32(np.concatenate([w.detach().numpy().ravel(),
                                              b.detach().numpy().ravel()])))
    return {"trajectory": trajectory, "state_dict": encode_state(opt.state_dict()),
            "repr": repr(opt)}


def record_scheduler(name, opt_cls, opt_kwargs, sched_cls, sched_kwargs, p) -> dict:
    w, b, grad_of = tensors(p)
    opt = getattr(torch.optim, opt_cls)([w, b], **opt_kwargs)
    kwargs = dict(sched_kwargs)
    if "lr_lambda" in kwargs:
        kwargs["lr_lambda"] = LAMBDAS[kwargs["lr_lambda"]]
    sched = getattr(torch.optim.lr_scheduler, sched_cls)(opt, **kwargs)
    metrics = plateau_metrics() if sched_cls == "ReduceLROnPlateau" else None
    lrs, momenta = [opt.param_groups[0]["lr"]], []
    key = "momentum" if "momentum" in opt.param_groups[0] else "betas"

    def momentum():
        v = opt.param_groups[0][key]
        return v[0] if isinstance(v, tuple) else v

    momenta.append(momentum())
    steps = STEPS - 1 if sched_cls == "OneCycleLR" else STEPS  # OneCycle allows total_steps
    for t in range(steps):
        opt.zero_grad()
        set_grads([w, b], grad_of)
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[t])
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(momentum())
    out = {"name": name, "optimizer": opt_cls, "optimizer_kwargs": opt_kwargs,
           "scheduler": sched_cls, "scheduler_kwargs": sched_kwargs, "lrs": lrs,
           "last_lr": sched.get_last_lr() if sched_cls != "ReduceLROnPlateau" else None,
           "momenta": momenta, "state_dict": {
               k: v for k, v in sched.state_dict().items()
               if isinstance(v, (int, float, str, list, bool)) or v is None}}
    if metrics is not None:
        out["metrics"] = metrics
    return out


def record_mlp() -> dict:
    """A 4-8-2 tanh MLP, MSE loss, Adam(lr=0.01), 100 steps: losses and final parameters."""
    rng = np.random.default_rng(1)
    x = np.asarray(rng.standard_normal((16, 4)), dtype=np.float32)
    y = np.asarray(rng.standard_normal((16, 2)), dtype=np.float32)
    init = {"0.weight": f32(rng.uniform(-0.5, 0.5, (8, 4))),
            "0.bias": f32(rng.uniform(-0.5, 0.5, 8)),
            "2.weight": f32(rng.uniform(-0.35, 0.35, (2, 8))),
            "2.bias": f32(rng.uniform(-0.35, 0.35, 2))}
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.MSELoss()
    xt, yt = torch.tensor(x), torch.tensor(y)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"x": f32(x), "y": f32(y), "init": init, "losses": losses,
            "final": {k: f32(v.numpy()) for k, v in model.state_dict().items()}}


def main() -> None:
    torch.set_num_threads(1)
    p = problem()
    golden = {
        "torch_version": torch.__version__, "steps": STEPS, "problem": p,
        "optimizers": [record_optimizer(n, c, k, p) for n, c, k in OPTIMIZERS],
        "param_groups": record_groups(p),
        "schedulers": [record_scheduler(*case, p) for case in SCHEDULERS],
        "mlp": record_mlp(),
    }
    GOLDEN.write_text(json.dumps(golden, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
