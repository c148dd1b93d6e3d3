"""Exercise 5: plot f(x) = sin(x) and df/dx, the derivative computed by autograd (no cos).

The service computes y = sin(x) on a grid and backpropagates y.sum(): since each y_i depends
only on x_i, x.grad holds df/dx at every grid point. The values come back as JSON and are
plotted here with matplotlib into a PNG; they are also compared with cos(x), computed locally.

    python examples/plot_sin.py [--url http://127.0.0.1:8000] [--out sin.png]
"""

from __future__ import annotations

import math

from _client import Session, cell, connect, fail, parse_args, run


def options(parser) -> None:
    parser.add_argument("--out", default="sin_and_derivative.png", help="PNG to write")
    parser.add_argument("--points", type=int, default=201, help="grid size")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], options)
    step = 4 * math.pi / (args.points - 1)
    with connect(args) as client, Session(client) as session:
        reply = cell(session, 1,
                     f"x = torch.arange({args.points}.0) * {step!r} - {2 * math.pi!r}\n"
                     "x.requires_grad = True\n"
                     "y = torch.sin(x)\n"
                     "y.sum().backward()\n"
                     "dydx = x.grad",
                     outputs=["x", "y", "dydx"])
    xs = reply["outputs"]["x"]["data"]
    ys = reply["outputs"]["y"]["data"]
    dydx = reply["outputs"]["dydx"]["data"]

    error = max(abs(d - math.cos(x)) for x, d in zip(xs, dydx, strict=True))
    print(f"{len(xs)} points on [-2pi, 2pi]; max |df/dx - cos(x)| = {error:.2e}")
    if error > 1e-5:
        fail("df/dx should be cos(x)")

    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    ax.plot(xs, ys, label="f(x) = sin(x)")
    ax.plot(xs, dydx, linestyle="--", label="df/dx (autograd)")
    ax.set_xlabel("x")
    ax.set_ylim(-1.25, 1.5)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(args.out, format="png")
    plt.close(fig)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    run(main)
