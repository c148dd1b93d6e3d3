"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` and their cells, with torch's parameter names,
shapes, initialisation (U(-1/sqrt(hidden), 1/sqrt(hidden)) for every weight and bias) and
gate order (LSTM: input, forget, cell, output; GRU: reset, update, new).

A layer projects the whole input sequence through ``weight_ih`` at once, then steps through
time with engine ops, so the graph is the cells' own and gradients of every order follow. A
float32 LSTM layer (without ``proj_size``) is one node instead, as torch's oneDNN kernel is on
the CPU (``MkldnnRnnLayerBackward0``: edges to the input, the four weights, h0 and c0; outputs
the layer's output, h and c; the output saved): its backward runs the same cells again with
the graph recorded, so its gradients are the composed ones, of every order.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ... import errors
from ...autograd.engine import run_backward
from ...autograd.graph import FW_ACTIVE, OUTPUT, needs_grad, record
from ...dtypes import float32
from ...modes import is_grad_enabled, set_grad_enabled
from ...ops.creation import empty, zeros
from ...ops.shape import cat, stack, unsafe_chunk_pieces
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


# --------------------------------------------------------------------------- cell math
# Each step as ATen's CPU cells compose it (at::rnn_tanh_cell / rnn_relu_cell / lstm_cell /
# gru_cell), so the recorded nodes and their edge order are torch's: the hidden projection
# first, the input's (one projection for the whole sequence, unbound per step, in a layer)
# added to it; the gates split by ``unsafe_chunk`` (UnsafeSplitBackward0, not views).
def _rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    pre = F.linear(h, w_hh, b_hh) + gi
    return pre.relu() if relu else pre.tanh()


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None,
               w_hr: Tensor | None) -> tuple[Tensor, Tensor]:
    gates = F.linear(h, w_hh, b_hh) + gi
    i, f, g, o = unsafe_chunk_pieces(gates, 4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    i_r, i_z, i_n = unsafe_chunk_pieces(gi, 3, 1)
    h_r, h_z, h_n = unsafe_chunk_pieces(F.linear(h, w_hh, b_hh), 3, 1)
    r = (h_r + i_r).sigmoid()
    z = (h_z + i_z).sigmoid()
    n = (i_n + h_n * r).tanh()
    return (h - n) * z + n


# --------------------------------------------------------------------------- layers
def _cell_step(mode: str, w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None) -> Any:
    """``mode``'s cell as ``step(gi, h, c) -> (h, c)`` (``c`` stays None but for the LSTM)."""
    if mode == "LSTM":
        return lambda gi, h, c: _lstm_step(gi, h, c, w_hh, b_hh, w_hr)
    if mode == "GRU":
        return lambda gi, h, c: (_gru_step(gi, h, w_hh, b_hh), None)
    relu = mode == "RNN_RELU"
    return lambda gi, h, c: (_rnn_step(gi, h, w_hh, b_hh, relu), None)


class RNNBase(Module):
    """The common part of ``RNN``, ``LSTM`` and ``GRU``."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or \
                not 0 <= dropout <= 1:
            raise errors.EngineValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}", stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise errors.EngineTypeError(
                f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise errors.EngineValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise errors.EngineValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise errors.EngineValueError(
                "proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise errors.EngineValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise errors.EngineValueError(f"Unrecognized RNN mode: {mode}")
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        # torch's tables of the weights' names, per layer and direction and flat (d2l's
        # init_seq2seq reads ``_flat_weights_names`` and ``_parameters[name]``)
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                self._all_weights.append(
                    [n + suffix for n in ("weight_ih", "weight_hh")
                     + (("bias_ih", "bias_hh") if bias else ())
                     + (("weight_hr",) if proj_size > 0 else ())])
                setattr(self, "weight_ih" + suffix,
                        Parameter(empty((gate_size, layer_in), **kw)))
                setattr(self, "weight_hh" + suffix,
                        Parameter(empty((gate_size, real_hidden), **kw)))
                if bias:
                    setattr(self, "bias_ih" + suffix, Parameter(empty(gate_size, **kw)))
                    setattr(self, "bias_hh" + suffix, Parameter(empty(gate_size, **kw)))
                if proj_size > 0:
                    setattr(self, "weight_hr" + suffix,
                            Parameter(empty((proj_size, hidden_size), **kw)))
        self._flat_weights_names = [n for names in self._all_weights for n in names]
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [self._parameters.get(n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """torch packs the weights into one cuDNN buffer; on the engine's devices there is
        nothing to pack (torch's CPU modules do nothing either)."""
        return None

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        params = self._parameters
        return (params["weight_ih" + suffix], params["weight_hh" + suffix],
                params.get("bias_ih" + suffix), params.get("bias_hh" + suffix),
                params.get("weight_hr" + suffix))

    def _check_input(self, input: Tensor) -> bool:
        if input.ndim not in (2, 3):
            raise errors.EngineValueError(
                f"{self._get_name()}: Expected input to be 2D or 3D, got {input.ndim}D tensor "
                "instead")
        if input.shape[-1] != self.input_size:
            raise errors.EngineRuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}")
        return input.ndim == 3

    def _check_hidden(self, hx: Tensor, expected: tuple, batched: bool, label: str) -> None:
        if not batched and hx.ndim != 2:
            raise errors.EngineRuntimeError(
                f"For unbatched 2-D input, hx should also be 2-D but got {hx.ndim}-D tensor")
        if batched and hx.ndim != 3:
            raise errors.EngineRuntimeError(
                f"For batched 3-D input, hx should also be 3-D but got {hx.ndim}-D tensor")
        shape = tuple(hx.shape) if batched else (hx.shape[0], 1, hx.shape[1])
        if shape != expected:
            got = list(shape) if batched else list(shape)
            raise errors.EngineRuntimeError(
                f"Expected {label} size {_shape_text(expected)}, got {got}")

    def forward(self, input: Tensor, hx: Any = None) -> tuple:
        from ..utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        if not batched:  # (torch's module adds the batch dim where batch_first says it is)
            input = input.unsqueeze(0 if self.batch_first else 1)
        if self.batch_first:
            input = input.transpose(0, 1)
        h_shape, c_shape = self._state_shapes(input.shape[1])
        lstm = self.mode == "LSTM"
        if hx is None:
            kw = {"dtype": input.dtype, "device": input.device}
            h0 = zeros(h_shape, **kw)
            c0 = zeros(c_shape, **kw) if lstm else None
        elif lstm:  # (torch's LSTM.forward reads hx[0] and hx[1] of whatever hx is)
            if not isinstance(hx, (tuple, list, Tensor)):
                raise errors.EngineTypeError(
                    f"'{type(hx).__name__}' object is not subscriptable")
            h0, c0 = hx[0], hx[1]
            for t in (h0, c0):
                if not isinstance(t, Tensor):
                    raise AttributeError(f"'{type(t).__name__}' object has no attribute 'dim'")
            want = 3 if batched else 2
            if h0.ndim != want or c0.ndim != want:
                raise errors.EngineRuntimeError(
                    f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx and cx "
                    f"should also be {want}-D but got ({h0.ndim}-D, {c0.ndim}-D) tensors")
            self._check_hidden(h0, h_shape, batched, "hidden[0]")
            self._check_hidden(c0, c_shape, batched, "hidden[1]")
            if len(hx) != 2:  # (_VF.lstm's own check)
                raise errors.EngineRuntimeError("lstm expects two hidden states")
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        else:
            h0, c0 = hx, None
            self._check_hidden(h0, h_shape, batched, "hidden")
            if not batched:
                h0 = h0.unsqueeze(1)
        # the initial states unbound per layer and direction (the oneDNN LSTM selects them one
        # by one)
        onednn = lstm and self.proj_size == 0 and input.dtype is float32 and \
            input.device.type == "cpu" and not FW_ACTIVE[0]
        if onednn:
            hs = [h0[k] for k in range(h0.shape[0])]
            cs = [c0[k] for k in range(c0.shape[0])]
        else:
            hs = h0.unbind(0)
            cs = c0.unbind(0) if lstm else None
        # (oneDNN reads a contiguous input: a batch_first one is copied once)
        output, h_n, c_n = self._layers(
            input, hs, cs, 2, lambda x, layer, direction, h, c:
            self._run_direction(x, layer, direction, h, c, onednn), contiguous=onednn)
        if self.batch_first:  # (ATen's GRU/RNN turn their result in place: TransposeBackward1)
            output = output.transpose(0, 1) if lstm else output.transpose_(0, 1)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _forward_packed(self, packed: Any, hx: Any) -> tuple:
        """A PackedSequence through the layers as ATen's packed layers run it: at each step
        only the sequences still running (the first ``batch_sizes[t]`` rows); a sequence's
        last state is kept when it ends; the outputs concatenated (``CatBackward0``), the
        states stacked; ``hx`` and the final states permuted by the sequence's sort."""
        from ..utils.rnn import PackedSequence

        data, batch_sizes, sorted_indices, unsorted_indices = packed
        sizes = [int(v) for v in batch_sizes.tolist()]
        lstm = self.mode == "LSTM"
        h_shape, c_shape = self._state_shapes(sizes[0] if sizes else 0)

        def permute(t, idx):
            return t if idx is None else t.index_select(1, idx)

        if hx is None:
            kw = {"dtype": data.dtype, "device": data.device}
            h0 = zeros(h_shape, **kw)
            c0 = zeros(c_shape, **kw) if lstm else None
        elif lstm:
            if isinstance(hx, Tensor) and sorted_indices is None:
                raise errors.EngineTypeError(self._vf_lstm_refusal())
            if sorted_indices is None:
                if len(hx) != 2:
                    raise errors.EngineRuntimeError("lstm expects two hidden states")
                h0, c0 = hx
            else:  # (torch's permute_hidden reads hx[0], hx[1] of whatever hx is)
                h0, c0 = permute(hx[0], sorted_indices), permute(hx[1], sorted_indices)
        else:
            if not isinstance(hx, Tensor):  # (torch's check_forward_args: hx.size())
                raise AttributeError(
                    f"'{type(hx).__name__}' object has no attribute 'size'")
            h0, c0 = permute(hx, sorted_indices), None
        if data.ndim != 2:
            raise errors.EngineRuntimeError(f"input must have 2 dimensions, got {data.ndim}")
        if data.shape[-1] != self.input_size:
            raise errors.EngineRuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{data.shape[-1]}")
        if hx is not None and lstm:
            self._check_packed_lstm_states(h0, c0, h_shape, c_shape)
        elif hx is not None and tuple(h0.shape) != h_shape:
            raise errors.EngineRuntimeError(
                f"Expected hidden size {_shape_text(h_shape)}, got {list(h0.shape)}")
        hs = h0.unbind(0)
        cs = c0.unbind(0) if lstm else None
        output, h_n, c_n = self._layers(
            data, hs, cs, -1, lambda x, layer, direction, h, c:
            _packed_cells(self.mode, x, sizes, *self._weights(layer, direction), h, c,
                          direction == 1))
        h_n = permute(h_n, unsorted_indices)
        out = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        if lstm:
            return out, (h_n, permute(c_n, unsorted_indices))
        return out, h_n

    def _check_packed_lstm_states(self, h0: Tensor, c0: Tensor, h_shape: tuple,
                                  c_shape: tuple) -> None:
        """torch's packed LSTM runs no check_forward_args: ATen's packed kernel meets the
        states as they are (measured on torch 2.13): fewer than 3 dims is a dim-2 IndexError,
        another layer count "Expected more hidden states in stacked_rnn", another hidden size
        or rank "got an incorrect number of RNN parameters"; a batch that does not fit fails in
        the first cell's arithmetic (below, as torch words it); c_0's batch of 1 broadcasts."""
        for t in (h0, c0):
            if t.ndim < 3:
                raise errors.EngineIndexError(
                    f"Dimension out of range (expected to be in range of [{-t.ndim}, "
                    f"{t.ndim - 1}], but got 2)")
        if h0.shape[0] != h_shape[0]:
            raise errors.EngineRuntimeError("Expected more hidden states in stacked_rnn")
        if c0.shape[0] < c_shape[0]:
            raise errors.NotSupported(
                "a packed LSTM's c_0 with fewer layers than h_0 (torch's kernel reads past it)")
        if h0.ndim != 3 or c0.ndim != 3 or h0.shape[2] != h_shape[2] or \
                c0.shape[2] != c_shape[2]:
            raise errors.EngineRuntimeError("got an incorrect number of RNN parameters")
        batch, hb, cb = h_shape[1], h0.shape[1], c0.shape[1]
        if hb != batch:  # (the gates: linear_hh(h) added in place to the input's part)
            if hb == 1:
                raise errors.EngineRuntimeError(
                    f"output with shape [1, {4 * self.hidden_size}] doesn't match the broadcast "
                    f"shape [{batch}, {4 * self.hidden_size}]")
            raise errors.EngineRuntimeError(
                f"The size of tensor a ({hb}) must match the size of tensor b ({batch}) at "
                "non-singleton dimension 0")
        if cb not in (batch, 1):  # (forget gate * c)
            raise errors.EngineRuntimeError(
                f"The size of tensor a ({batch}) must match the size of tensor b ({cb}) at "
                "non-singleton dimension 0")

    def _vf_lstm_refusal(self) -> str:
        """torch's _VF.lstm argument-parser text for a packed input's plain-tensor hx."""
        directions = 2 if self.bidirectional else 1
        count = sum(w is not None for layer in range(self.num_layers)
                    for direction in range(directions) for w in self._weights(layer, direction))
        params = "[" + ", ".join(["Parameter"] * count) + "]"
        return (
            "lstm() received an invalid combination of arguments - got (Tensor, Tensor, "
            "Tensor, list, bool, int, float, bool, bool), but expected one of:\n"
            " * (Tensor data, Tensor batch_sizes, tuple of Tensors hx, tuple of Tensors params, "
            "bool has_biases, int num_layers, float dropout, bool train, bool bidirectional)\n"
            "      didn't match because some of the arguments have invalid types: (Tensor, "
            f"Tensor, !Tensor!, !list of {params}!, bool, int, float, bool, bool)\n"
            " * (Tensor input, tuple of Tensors hx, tuple of Tensors params, bool has_biases, "
            "int num_layers, float dropout, bool train, bool bidirectional, bool batch_first)\n"
            "      didn't match because some of the arguments have invalid types: (Tensor, "
            f"!Tensor!, !Tensor!, !list of {params}!, !bool!, int, !float!, bool, bool)\n")

    def _state_shapes(self, batch: int) -> tuple[tuple, tuple]:
        """The shapes of ``h_0`` and ``c_0`` (``proj_size`` narrows h)."""
        states = self.num_layers * (2 if self.bidirectional else 1)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (states, batch, real_hidden), (states, batch, self.hidden_size)

    def _layers(self, layer_input: Tensor, hs: tuple, cs: tuple | None, cat_dim: int,
                run: Any, contiguous: bool = False) -> tuple:
        """Every layer and direction in ATen's order (``_rnn_impl``, its packed twin alike):
        ``run(input, layer, direction, h, c)`` gives one direction's (output, last h, last
        c); a bidirectional layer's two outputs are concatenated on ``cat_dim``, dropout runs
        between layers. Returns the last layer's output and the final states stacked
        (``c_n`` None but for the LSTM); ``contiguous``: each layer's input made so first."""
        directions = 2 if self.bidirectional else 1
        h_last, c_last = [], []
        for layer in range(self.num_layers):
            if contiguous:
                layer_input = layer_input.contiguous()
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                out, h, c = run(layer_input, layer, direction, hs[k],
                                None if cs is None else cs[k])
                outputs.append(out)
                h_last.append(h)
                c_last.append(c)
            layer_input = outputs[0] if directions == 1 else cat(outputs, cat_dim)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, stack(h_last, 0), None if cs is None else stack(c_last, 0)

    def _run_direction(self, x: Tensor, layer: int, direction: int, h: Tensor,
                       c: Tensor | None, onednn: bool) -> tuple:
        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
        if onednn:
            args = (x, w_ih, w_hh, b_ih, b_hh, h, c)
            if needs_grad(*args):
                return _onednn_lstm_layer(args, direction == 1)
        return _layer_cells(self.mode, x, w_ih, w_hh, b_ih, b_hh, w_hr, h, c, direction == 1)


def _layer_cells(mode: str, x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                 b_hh: Tensor | None, w_hr: Tensor | None, h: Tensor, c: Tensor | None,
                 reverse: bool) -> tuple:
    """One layer in one direction, cell by cell: (output, last h, last c). As ATen's FullLayer
    / ReversedFullLayer on the CPU: the input projected once for every step and unbound."""
    steps = x.shape[0]
    gis = F.linear(x, w_ih, b_ih).unbind(0)
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    step = _cell_step(mode, w_hh, b_hh, w_hr)
    outs: list[Tensor] = [None] * steps  # type: ignore[list-item]
    for t in order:
        h, c = step(gis[t], h, c)
        outs[t] = h
    return stack(outs, 0), h, c


def _packed_cells(mode: str, data: Tensor, sizes: list, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None, b_hh: Tensor | None, w_hr: Tensor | None, h: Tensor,
                  c: Tensor | None, reverse: bool) -> tuple:
    """One layer in one direction over packed data: (output data, last h, last c), as ATen's
    PackedLayer / ReversedPackedLayer: the data projected by ``weight_ih`` once, each step's
    rows ``narrow``ed from that; forwards, the states of sequences that end are cut off
    (``narrow``) and concatenated back at the end; backwards, the states start as the rows of
    the shortest batch and grow by the initial states' rows as sequences join."""
    lstm = mode == "LSTM"
    data = F.linear(data, w_ih, b_ih)  # (the input projected once, each step a slice of it)
    step = _cell_step(mode, w_hh, b_hh, w_hr)

    outs: list[Tensor] = []
    if not reverse:
        offset, last = 0, sizes[0] if sizes else 0
        done_h: list[Tensor] = []
        done_c: list[Tensor] = []
        for size in sizes:
            x = data.narrow(0, offset, size)
            offset += size
            if last > size:
                done_h.append(h.narrow(0, size, last - size))
                h = h.narrow(0, 0, size)
                if lstm:
                    done_c.append(c.narrow(0, size, last - size))
                    c = c.narrow(0, 0, size)
            last = size
            h, c = step(x, h, c)
            outs.append(h)
        done_h.append(h)
        h = done_h[0] if len(done_h) == 1 else cat(done_h[::-1], 0)
        if lstm:
            done_c.append(c)
            c = done_c[0] if len(done_c) == 1 else cat(done_c[::-1], 0)
        return cat(outs, 0), h, c
    h0, c0 = h, c
    offset = int(data.shape[0])
    last = sizes[-1] if sizes else 0
    h = h0.narrow(0, 0, last)
    c = c0.narrow(0, 0, last) if lstm else None
    for size in reversed(sizes):
        if size > last:
            h = cat([h, h0.narrow(0, last, size - last)], 0)
            if lstm:
                c = cat([c, c0.narrow(0, last, size - last)], 0)
        x = data.narrow(0, offset - size, size)
        offset -= size
        last = size
        h, c = step(x, h, c)
        outs.append(h)
    return cat(outs[::-1], 0), h, c


def _lstm_cells(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
                b_hh: Tensor | None, h: Tensor, c: Tensor, reverse: bool) -> tuple:
    return _layer_cells("LSTM", x, w_ih, w_hh, b_ih, b_hh, None, h, c, reverse)


def _onednn_lstm_layer(args: tuple, reverse: bool) -> tuple:
    """One LSTM layer (one direction) as torch records it on the CPU in float32: ONE
    ``MkldnnRnnLayerBackward0`` node over (input, w_ih, w_hh, b_ih, b_hh, h0, c0) with the
    outputs (output, h, c), saving its output (modifying it in place breaks backward, as in
    torch). The cells' own graph is built on detached copies of the inputs and kept inside the
    node: a plain backward runs through it; under ``create_graph`` the node runs the cells
    again from the real inputs, so higher orders see every dependence."""
    with set_grad_enabled(True):
        inner = tuple(t.detach().requires_grad_() if type(t) is Tensor and t.requires_grad
                      else t for t in args)
        kept = _lstm_cells(*inner, reverse)
    out, hy, cy = (t.detach() for t in kept)

    def rule(grads, needs, out_saved, *saved):
        outer = is_grad_enabled()  # create_graph
        with set_grad_enabled(True):
            if outer:  # each input through an alias of its own, as grad_node does
                slots = tuple(t.view_as(t) if n else t
                              for t, n in zip(saved, needs, strict=True))
                again = _lstm_cells(*slots, reverse)
            else:
                slots, again = inner, kept
            targets = [t for t, n in zip(slots, needs, strict=True) if n]
            got = iter(run_backward(list(again), list(grads), True, outer, inputs=targets,
                                    accumulate=False, allow_unused=True))
        return tuple(next(got) if n else None for n in needs)

    record((out, hy, cy), "MkldnnRnnLayerBackward0", rule, args, (OUTPUT, *args),
           per_input=False)
    return out, hy, cy


def _rnn_args(args: tuple, kwargs: dict, names: tuple) -> dict:
    if len(args) > len(names):
        raise errors.EngineTypeError(f"expected at most {len(names)} positional arguments, got "
                                     f"{len(args)}")
    merged = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in merged:
            raise errors.EngineTypeError(f"got multiple values for argument '{k}'")
        merged[k] = v
    return merged


_COMMON = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
           "bidirectional")


class RNN(RNNBase):
    """Elman RNN: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` (or ``relu``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias",
                 "batch_first", "dropout", "bidirectional", "device", "dtype")
        merged = _rnn_args(args, kwargs, names)
        if "proj_size" in merged:
            raise errors.EngineValueError("proj_size argument is only supported for LSTM, "
                                          "not RNN or GRU")
        self.nonlinearity = merged.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise errors.EngineValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, **merged)


class LSTM(RNNBase):
    """Long short-term memory; ``forward`` returns ``output, (h_n, c_n)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        merged = _rnn_args(args, kwargs, _COMMON + ("proj_size", "device", "dtype"))
        super().__init__("LSTM", **merged)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        merged = _rnn_args(args, kwargs, _COMMON + ("device", "dtype"))
        if "proj_size" in merged:
            raise errors.EngineValueError("proj_size argument is only supported for LSTM, "
                                          "not RNN or GRU")
        super().__init__("GRU", **merged)


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """The common part of the cells: ``weight_ih``, ``weight_hh`` and biases."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor | None, bool]:
        if input.ndim not in (1, 2):
            raise errors.EngineValueError(
                f"{self._get_name()}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None and hx.ndim not in (1, 2):
            raise errors.EngineValueError(
                f"{self._get_name()}: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else hx.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise errors.EngineRuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}")
        if hx is not None and hx.shape[0] != input.shape[0]:
            raise errors.EngineRuntimeError(
                f"Input batch size {input.shape[0]} doesn't match hidden0 batch size "
                f"{hx.shape[0]}")
        return input, hx, batched

    def _zeros(self, input: Tensor) -> Tensor:
        return zeros((input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`` (or ``relu``)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise errors.EngineRuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        input, hx, batched = self._prepare(input, hx)
        if hx is None:
            hx = self._zeros(input)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h = _rnn_step(gi, hx, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        h0 = None if hx is None else hx[0]
        input, h0, batched = self._prepare(input, h0)
        if hx is None:
            h0 = self._zeros(input)
            c0 = self._zeros(input)
        else:
            c0 = hx[1] if batched else hx[1].unsqueeze(0)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, h0, c0, self.weight_hh, self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched = self._prepare(input, hx)
        if hx is None:
            hx = self._zeros(input)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        h = _gru_step(gi, hx, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
