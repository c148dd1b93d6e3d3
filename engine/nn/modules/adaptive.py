"""``nn.AdaptiveLogSoftmaxWithLoss`` (Grave et al., efficient softmax approximation): a head
``Linear`` over the shortlist classes plus one logit per tail cluster, and per cluster a
two-layer projection (``in_features -> in_features // div_value**k -> cluster size``, no
biases). Composed of table ops in torch's Python order (index_copy_, index_fill_, gather,
log_softmax, ...), so values, node chains and gradients of every order are torch's. ``forward``
returns the named tuple ``_ASMoutput(output, loss)``."""

from __future__ import annotations

import collections
import itertools

from ... import errors
from ...ops.registry import OPS
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = collections.namedtuple("_ASMoutput", ["output", "loss"])


def _size(t) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in t.shape) + "])"


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax: the log-probability of each target and the mean negative
    log-likelihood, evaluating only the tail clusters that some target falls in."""

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise errors.EngineValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise errors.EngineValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(self.in_features, self.head_size, bias=self.head_bias, **factory)
        self.tail = ModuleList()
        for k in range(self.n_clusters):
            hidden = int(self.in_features // (self.div_value ** (k + 1)))
            size = self.cutoffs[k + 1] - self.cutoffs[k]
            self.tail.append(Sequential(Linear(self.in_features, hidden, bias=False, **factory),
                                        Linear(hidden, size, bias=False, **factory)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for first, second in self.tail:
            first.reset_parameters()
            second.reset_parameters()

    def forward(self, input_, target_):
        t_dim = target_.dim()
        if t_dim == 1:
            if input_.size(0) != target_.size(0):
                raise errors.EngineRuntimeError(
                    "Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise errors.EngineRuntimeError(
                    "1D target tensor expects 2D input tensors, but found inputs with size "
                    f"{_size(input_)}")
        elif t_dim == 0:
            if input_.dim() != 1:
                raise errors.EngineRuntimeError(
                    "0D target tensor expects 1D input tensors, but found inputs with size "
                    f"{_size(input_)}")
        else:
            raise errors.EngineRuntimeError(
                "0D or 1D target tensor expected, multi-target not supported")
        batched = t_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        used = 0
        batch = target.size(0)
        output = input.new_zeros(batch)
        gather_inds = target.new_empty(batch)
        bounds = [0] + self.cutoffs
        for k in range(len(bounds) - 1):
            low, high = bounds[k], bounds[k + 1]
            mask = (target >= low) & (target < high)
            rows = mask.nonzero().squeeze()
            if rows.numel() == 0:
                continue
            if k == 0:
                gather_inds.index_copy_(0, rows, target[mask])
            else:
                relative = target[mask] - low
                cluster_out = self.tail[k - 1](input.index_select(0, rows))
                gather_inds.index_fill_(0, rows, self.shortlist_size + k - 1)
                cluster_logprob = OPS["log_softmax"].fn(cluster_out, dim=1)
                local = cluster_logprob.gather(1, relative.unsqueeze(1))
                output.index_copy_(0, rows, local.squeeze(1))
            used += rows.numel()
        if used != batch:
            raise errors.EngineRuntimeError(
                f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                f"[{target.min().item()}, {target.max().item()}] were found. ")
        head_logprob = OPS["log_softmax"].fn(self.head(input), dim=1)
        output += head_logprob.gather(1, gather_inds.unsqueeze(1)).squeeze()
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        out = input.new_empty((head_output.size(0), self.n_classes))
        head_logprob = OPS["log_softmax"].fn(head_output, dim=1)
        out[:, :self.shortlist_size] = head_logprob[:, :self.shortlist_size]
        for k, (start, stop) in enumerate(itertools.pairwise(self.cutoffs)):
            cluster_logprob = OPS["log_softmax"].fn(self.tail[k](input), dim=1)
            out[:, start:stop] = cluster_logprob + head_logprob[
                :, self.shortlist_size + k].unsqueeze(1)
        return out

    def log_prob(self, input):
        """The log-probability of every one of the ``n_classes`` classes, ``(N, n_classes)``."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class of each row (``log_prob(input).argmax(dim=1)``, computing
        the tail clusters only for rows whose head points outside the shortlist)."""
        head_output = self.head(input)
        output = OPS["argmax"].fn(head_output, dim=1)
        outside = output >= self.shortlist_size
        if not outside.any():
            return output
        if outside.all():
            return OPS["argmax"].fn(self._get_full_log_prob(input, head_output), dim=1)
        log_prob = self._get_full_log_prob(input[outside], head_output[outside])
        output[outside] = OPS["argmax"].fn(log_prob, dim=1)
        return output
