// The examples menu: the seed chapter ("Automatic Differentiation") cell by cell, its
// exercises, a training loop and higher-order derivatives. A cell is its source, or
// {source, plot, error}: `plot: true` draws the cell's value (a 1-D series) in the plot panel
// after it runs; `error` is the problem code the cell is meant to show (the build writes these
// examples to app/static/examples.json, and tests/web/test_examples.py runs every cell against
// the service). An example's `fx` fills the f(x) plot form and draws it.

const F_OF_A = `def f(a):
    b = a * 2
    while b.norm().item() < 1000:
        b = b * 2
    if b.sum().item() > 0:
        c = b
    else:
        c = 100 * b
    return c`;

export const EXAMPLES = [
  {
    id: "chapter",
    title: "The chapter: Automatic Differentiation",
    cells: [
      "import torch",
      "x = torch.arange(4.0, requires_grad=True)\nx",
      "x.grad",
      "y = 2 * torch.dot(x, x)\ny",
      "y.backward()",
      "x.grad",
      "x.grad == 4 * x",
      "x.grad.zero_()\ny = x.sum()\ny.backward()\nx.grad",
      "x.grad.zero_()\ny = x * x\nu = y.detach()\nz = u * x\n\nz.sum().backward()\nx.grad == u",
      "x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
      F_OF_A,
      "torch.manual_seed(0)\na = torch.randn(size=(1,), requires_grad=True)\nd = f(a)\nd.backward()",
      "a.grad == (d / a)",
    ],
  },
  {
    id: "ex1",
    title: "Exercise 1: the second derivative",
    cells: [
      "import torch\nx = torch.arange(4.0, requires_grad=True)\ny = (x ** 3).sum()",
      "# the first derivative, kept differentiable (a graph of its own)\n" +
        "(g,) = torch.autograd.grad(y, x, create_graph=True)\ng",
      "# the second: one more backward pass, through the graph of the first\n" +
        "g.sum().backward()\nx.grad == 6 * x",
    ],
  },
  {
    id: "ex2",
    title: "Exercise 2: backward twice",
    cells: [
      "import torch\nx = torch.arange(4.0, requires_grad=True)\ny = 2 * torch.dot(x, x)\ny.backward()",
      { source: "# the graph's saved tensors were freed by the first backward\ny.backward()",
        error: "program_error" },
      "# keep them with retain_graph=True, and the gradients accumulate\n" +
        "x.grad.zero_()\ny = 2 * torch.dot(x, x)\ny.backward(retain_graph=True)\ny.backward()\nx.grad",
    ],
  },
  {
    id: "ex3",
    title: "Exercise 3: a vector input to f(a)",
    cells: [
      "import torch\n" + F_OF_A,
      "torch.manual_seed(0)\na = torch.randn(size=(3,), requires_grad=True)\nd = f(a)\nd",
      { source: "# d is not a scalar: backward needs a vector to multiply the Jacobian with\n" +
          "d.backward()", error: "program_error" },
      "d.backward(torch.ones_like(d))\na.grad == d / a",
    ],
  },
  {
    id: "ex4",
    title: "Exercise 4: another function with control flow",
    cells: [
      "import torch\n\ndef g(a):\n    total = a\n    for k in range(1, 6):\n" +
        "        if total.sum().item() < 10:\n            total = total * (k + 1)\n" +
        "        else:\n            total = total + a\n    return total",
      "a = torch.tensor([0.5, 1.5], requires_grad=True)\nd = g(a)\nd.sum().backward()\nd, a.grad",
    ],
  },
  {
    id: "ex5",
    title: "Exercise 5: plot sin(x) and its derivative",
    fx: { expr: "torch.sin(x)", lo: -6.3, hi: 6.3 },
    cells: [
      "import torch\nx = torch.linspace(-6.3, 6.3, 200, requires_grad=True)\ny = torch.sin(x)\n" +
        "y.sum().backward()  # dy/dx by autograd, without using cos",
      "# the largest gap between the autograd derivative and cos(x)\n(x.grad - torch.cos(x)).abs().max() < 1e-6",
    ],
  },
  {
    id: "train",
    title: "A training loop (linear regression, loss curve)",
    cells: [
      "import torch\ntorch.manual_seed(0)\nX = torch.randn(100, 3)\n" +
        "true_w = torch.tensor([2.0, -3.4, 1.5])\ny = X @ true_w + 4.2 + 0.01 * torch.randn(100)\n" +
        "w = torch.zeros(3, requires_grad=True)\nb = torch.zeros(1, requires_grad=True)",
      {
        source: "losses = []\nfor epoch in range(50):\n    loss = ((X @ w + b - y) ** 2).mean()\n" +
          "    loss.backward()\n    with torch.no_grad():\n        w -= 0.1 * w.grad\n" +
          "        b -= 0.1 * b.grad\n    w.grad.zero_()\n    b.grad.zero_()\n" +
          "    losses.append(loss.item())\nprint(f\"w = {w}\")\nprint(f\"b = {b}\")\nlosses",
        plot: true,
      },
    ],
  },
  {
    id: "higher",
    title: "Higher-order derivatives of x³",
    cells: [
      "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x ** 3",
      "(d1,) = torch.autograd.grad(y, x, create_graph=True)   # 3x² = 12\n" +
        "(d2,) = torch.autograd.grad(d1, x, create_graph=True)  # 6x = 12\n" +
        "(d3,) = torch.autograd.grad(d2, x)                     # 6\nd1, d2, d3",
    ],
  },
];
