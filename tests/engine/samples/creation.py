"""Creation ops: differentiable only through the values of a source tensor, if any."""

from . import skip

for _name in ("arange", "linspace", "zeros", "ones", "empty", "full", "eye", "zeros_like",
              "ones_like", "empty_like", "full_like", "rand", "randn", "rand_like",
              "randn_like", "randint", "randperm", "bernoulli", "tensor", "as_tensor"):
    skip(_name, "creates a new leaf: no gradient flows to its arguments")

# normal(mean_tensor, std_tensor) is differentiable in PyTorch through mean and std; ours
# draws a detached sample, so it is listed as not differentiated.
skip("normal", "sampling: returns a detached sample")
