"""cudnn.torch's recurrent modules (cudnn/RNN.lua and the files built on it): RNN, RNNReLU, RNNTanh, LSTM, GRU,
BLSTM, BGRU, with cuDNN's maths, flat weight layout, initial and final states.

One module runs ``numLayers`` stacked layers over a whole sequence, ``(seqLength, batch, inputSize)`` (or
``(batch, seqLength, inputSize)`` with ``batchFirst``) in, ``(seqLength, batch, hiddenSize * numDirections)``
out. A bidirectional module (BLSTM, BGRU, or ``numDirections = 2``) runs a second layer over the reversed
sequence and concatenates both outputs along the features; the next layer reads that concatenation. In
training, ``dropout`` zeroes each output of every layer but the last with that probability (scaling the rest
by 1 / (1 - dropout)). Every linear map of cuDNN has two biases, one for the input product and one for the
recurrent product. With sigma the logistic function and * the element-wise product, per step:

- RNN_RELU / RNN_TANH: h = act(W x + bW + R h' + bR);
- LSTM (gates i, f, g, o in that order): i, f, o = sigma(W. x + bW. + R. h' + bR.), g = tanh(...),
  c = f * c' + i * g, h = o * tanh(c) (nn.SeqLSTM's maths with one bias bW + bR: each layer runs as a
  SeqLSTM holding a copy of its parameters);
- GRU (gates r, z, n): r, z = sigma(W. x + bW. + R. h' + bR.), n = tanh(Wn x + bWn + r * (Rn h' + bRn)),
  h = (1 - z) * n + z * h'. The reset gate multiplies the recurrent product (its bias included), where
  nn.SeqGRU (Element-Research's) multiplies h' before the product and has one bias: other maths, so GRU runs on
  its own steps here.

``inputMode = 'CUDNN_SKIP_INPUT'`` (set before ``reset()``, as deepspeech.torch's BatchBRNN does) drops the
first layer's input matrices: each gate adds the input itself (``inputSize`` must equal ``hiddenSize``).

``weight`` is one flat vector, as cuDNN's: for each layer and direction (layer-major, forward direction first),
the input matrices of the gates ``(hiddenSize, layer input)`` one after the other, then the recurrent matrices
``(hiddenSize, hiddenSize)``; after every layer's matrices, the biases in the same order (each layer's and
direction's input biases, then its recurrent biases). ``weights()`` and ``biases()``
return 1-D views of each matrix and bias as cudnn.torch's. ``hiddenInput`` / ``cellInput`` (``(numLayers *
numDirections, batch, hiddenSize)``, default zeros) start the sequence; after forward ``hiddenOutput`` /
``cellOutput`` hold the final states; ``gradHiddenOutput`` / ``gradCellOutput`` add gradients for those, and
backward leaves the initial states' gradients in ``gradHiddenInput`` / ``gradCellInput``. ``rememberStates``
starts each forward from the last one's final states (when the batch size is the same); ``resetStates()``
forgets them. Backward needs training mode, as cuDNN's.

``RNN.packPaddedSequence(input, lengths, batchFirst)`` and ``RNN.padPackedSequence(seq, batchFirst)`` convert
between padded and packed batches (legonn.cudnn.packing). A unidirectional RNN also takes such a packed batch,
``{rows, batchSizes}`` (cudnn/RNN.lua's second input form): the output and gradInput are packed rows, each
sequence runs for its own length and ``hiddenOutput`` / ``cellOutput`` hold each sequence's state after its last
step (``batchFirst`` does not apply). Not provided: packed input to the bidirectional ones, ``gradHiddenOutput``
/ ``gradCellOutput`` with packed input, and ``setSync``'s stream choice (legonn waits for nothing).
"""
import math

from .. import nn
from ..modules.base.errors import check_probability, input_error
from ..modules.base.module import Module
from ..tensor import Tensor, as_tensor
from ..tensor.pointwise import sigmoid_into
from ..tensor.introspection import typename as lua_typename
from .base import CudnnClass
from .packing import pack_rows, packPaddedSequence, padPackedSequence, pad_rows

# nn.SeqLSTM's gate columns (i, f, o, g) as rows of cuDNN's (i, f, g, o)
_SEQLSTM_ORDER = (0, 1, 3, 2)


def _input_product(xp, x, W):
    """The input products of all gates, ``(rows, gates * hiddenSize)``, of ``x`` ``(rows, features)``: ``x W^T``,
    or, where W has no columns (CUDNN_SKIP_INPUT's first layer), ``x`` itself for each gate."""
    if W.shape[1]:
        return x @ W.T
    return xp.tile(x, (1, W.shape[0] // x.shape[1]))


class RNN(CudnnClass, Module):
    """``RNN(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0, rememberStates=False)``: a stack of
    recurrent layers of cuDNN's kind ``mode`` (RNN_RELU for this class; the module docstring gives the maths,
    shapes and fields). ``reset(stdv)`` draws the weight uniform in [-stdv, stdv], stdv = 1 / sqrt(hiddenSize)."""

    linearLayers = {'CUDNN_LSTM': 8, 'CUDNN_GRU': 6, 'CUDNN_RNN_RELU': 2, 'CUDNN_RNN_TANH': 2}
    mode = 'CUDNN_RNN_RELU'
    bidirectional = 'CUDNN_UNIDIRECTIONAL'
    numDirections = 1
    positive_ints = ('inputSize', 'hiddenSize', 'numLayers')
    # the Lua calls them on the class (cudnn.RNN:packPaddedSequence(input, lengths)): they read no field
    packPaddedSequence = staticmethod(packPaddedSequence)
    padPackedSequence = staticmethod(padPackedSequence)

    def parameterSizes(self):
        return {'weight': (self._blocks()[1],)}

    def __init__(self, inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0, rememberStates=False):
        super().__init__()
        self.checkHyper(inputSize=inputSize, hiddenSize=hiddenSize, numLayers=numLayers)
        self.inputSize, self.hiddenSize, self.numLayers = inputSize, hiddenSize, numLayers
        self.batchFirst = bool(batchFirst)
        self.dropout = check_probability(f'cudnn.{type(self).__name__}', dropout or 0)
        self.rememberStates = bool(rememberStates)
        self.seqLength = self.miniBatch = 1
        self.inputMode = 'CUDNN_LINEAR_INPUT'
        self.weight = self.output.new()
        self.gradWeight = self.output.new()
        self.hiddenOutput = self.output.new()
        self.cellOutput = self.output.new()
        self.gradHiddenInput = self.output.new()
        self.gradCellInput = self.output.new()
        self.hiddenInput = self.cellInput = self.gradHiddenOutput = self.gradCellOutput = None
        self._steps = None      # what backward needs of the last forward, per layer and direction
        self._batchSizes = None  # a packed input's batch sizes per step (None for a padded input)
        self._gradFor = None    # the gradOutput whose weight gradient _pendingGrad holds
        self.reset()

    # --- parameters ---------------------------------------------------------------------------------------
    def _gates(self):
        if self.mode not in self.linearLayers:
            raise ValueError(f"cudnn.{type(self).__name__}: mode must be one of {sorted(self.linearLayers)}, "
                             f"got {self.mode!r}")
        return self.linearLayers[self.mode] // 2

    def _layer_input(self, layer):
        return self.inputSize if layer == 0 else self.hiddenSize * self.numDirections

    def _skips_input(self):
        """Whether the first layer reads its input as it is (``inputMode = 'CUDNN_SKIP_INPUT'``, which BatchBRNN of
        SeanNaren/deepspeech.torch sets): cuDNN then has no input matrices for that layer (each gate adds the
        input itself to its biases and recurrent product), which needs ``inputSize == hiddenSize``."""
        if self.inputMode not in ('CUDNN_LINEAR_INPUT', 'CUDNN_SKIP_INPUT'):
            raise ValueError(f"cudnn.{type(self).__name__}: inputMode must be 'CUDNN_LINEAR_INPUT' or "
                             f"'CUDNN_SKIP_INPUT', got {self.inputMode!r}")
        skip = self.inputMode == 'CUDNN_SKIP_INPUT'
        if skip and self.inputSize != self.hiddenSize:
            raise ValueError(f"cudnn.{type(self).__name__}: inputMode 'CUDNN_SKIP_INPUT' needs inputSize == "
                             f"hiddenSize (cuDNN's BAD_PARAM), got {self.inputSize} and {self.hiddenSize}")
        return skip

    def _blocks(self):
        """(offset, rows, columns) of each matrix and bias, per pseudo-layer (layer-major, then direction): its
        input matrices, recurrent matrices, input biases, recurrent biases. cuDNN lays out every pseudo-layer's
        matrices first and all the biases after them, in the same pseudo-layer order (ONNX's OptimizedRNN states
        this layout of cuDNN's; torch-rnnlib's test/test_cudnn.lua reads a two-layer module's matrices as the
        weight's first elements), so a flat weight from cudnn.torch lands in the right places. With
        CUDNN_SKIP_INPUT the first layer's input matrices have no columns (no elements)."""
        G, H, offset, layers = self._gates(), self.hiddenSize, 0, []
        skip = self._skips_input()
        for layer in range(self.numLayers):
            width = 0 if skip and layer == 0 else self._layer_input(layer)
            for _ in range(self.numDirections):
                blocks = []
                for rows, cols in [(H, width)] * G + [(H, H)] * G:
                    blocks.append((offset, rows, cols))
                    offset += rows * cols
                layers.append(blocks)
        for blocks in layers:
            for _ in range(2 * G):
                blocks.append((offset, H, 1))
                offset += H
        return layers, offset

    def reset(self, stdv=None):
        stdv = 1 / math.sqrt(self.hiddenSize) if stdv is None else stdv
        size = self._blocks()[1]
        self.weight.resize(size).uniform(-stdv, stdv)
        self.gradWeight.resize(size).zero()
        return self

    def _views(self, flat):
        """(W, R, bW, bR) arrays of ``flat`` (weight, gradWeight or a gradient buffer) per pseudo-layer: W
        ``(G*H, layer input)``, R ``(G*H, H)``, bW and bR ``(G*H,)``, gates stacked in cuDNN's order."""
        layers, size = self._blocks()
        G, arr = self._gates(), flat.array if hasattr(flat, 'array') else flat
        if arr.size != size:
            # cuDNN refuses a weight of another size than the descriptor's (BAD_PARAM): here a layout field
            # (mode, inputMode, numDirections) changed without the reset() that resizes the weight
            raise ValueError(f"{self.shortName()}: the weight holds {arr.size} values where mode {self.mode}, "
                             f"inputMode {self.inputMode} and {self.numDirections} direction(s) need {size}: call "
                             "reset() after changing them")
        out = []
        for blocks in layers:
            parts = []
            for k in range(4):
                first, last = blocks[k * G], blocks[(k + 1) * G - 1]
                block = arr[first[0]:last[0] + last[1] * last[2]]
                parts.append(block.reshape(G * first[1], first[2]) if k < 2 else block)
            out.append(tuple(parts))
        return out

    def _linear_params(self, bias):
        layers, _ = self._blocks()
        G = self._gates()
        return [[self.weight.narrow(0, offset, rows * cols) for offset, rows, cols in
                 (blocks[2 * G:] if bias else blocks[:2 * G])] for blocks in layers]

    def weights(self):
        """1-D views of each pseudo-layer's matrices: input ones of each gate, then recurrent ones (RNN.lua)."""
        return self._linear_params(False)

    def biases(self):
        """1-D views of each pseudo-layer's biases: input ones of each gate, then recurrent ones (RNN.lua)."""
        return self._linear_params(True)

    # --- states -------------------------------------------------------------------------------------------
    def resetStates(self):
        """Forget the initial states and the gradients set for the final ones; zero the final states."""
        self.hiddenInput = self.cellInput = self.gradHiddenOutput = self.gradCellOutput = None
        self.hiddenOutput.zero()
        self.cellOutput.zero()
        return self

    def _state(self, name, N):
        """The array of the user's ``self.<name>`` (checked: (numLayers * numDirections, N, hiddenSize)), or None."""
        t = getattr(self, name)
        if t is None:
            return None
        sizes = (self.numLayers * self.numDirections, N, self.hiddenSize)
        self.checkSameType(t, self.weight, name)
        if tuple(t.size()) != sizes:
            raise input_error(self, f"{name} of size {sizes}", f"size {tuple(t.size())}")
        return t.array

    def _sequence(self, input, what='input', width=None):
        """A (seqLength, batch, features) array of ``input`` (transposed when batchFirst), checked."""
        width = self.inputSize if width is None else width
        self.checkTensor(input, (3,), what)
        self.checkSameType(input, self.weight, what)
        if input.size(2) != width:
            layout = 'batch x seqLength' if self.batchFirst else 'seqLength x batch'
            raise input_error(self, f"a {layout} x {width} {what}", f"size {tuple(input.size())}")
        return (input.transpose(0, 1) if self.batchFirst else input).array

    def _packed(self, input):
        """The batch sizes of a packed input ``[rows (sum, inputSize), batchSizes]`` (checked), or None."""
        if not isinstance(input, (list, tuple)):
            return None
        if self.numDirections != 1:
            raise input_error(self, "a padded seqLength x batch x inputSize input (packed input is for the "
                                    "unidirectional RNNs)", "a packed input")
        # forward's conversion of a table makes the list of batch sizes a 1-D tensor
        sizes = input[1] if len(input) == 2 else None
        if isinstance(sizes, Tensor) and sizes.dim() == 1:
            sizes = [int(n) for n in sizes.totable()]
        if not isinstance(sizes, (list, tuple)):
            raise input_error(self, "a packed input {rows, batchSizes}", f"a list of {len(input)}")
        rows, bszpts = input[0], sizes
        self.checkTensor(rows, (2,), 'packed input')
        if (not bszpts or any(a < b for a, b in zip(bszpts, bszpts[1:])) or sum(bszpts) != rows.size(0)
                or rows.size(1) != self.inputSize):
            raise input_error(self, f"packed rows (sum of the batch sizes, {self.inputSize}) and batch sizes in "
                                    f"decreasing order", f"rows of size {tuple(rows.size())}, batch sizes {bszpts!r}")
        return list(bszpts)

    # --- forward ------------------------------------------------------------------------------------------
    def updateOutput(self, input):
        bszpts = self._packed(input)
        if bszpts is None:
            x = self._sequence(input)
        else:
            self.checkSameType(input[0], self.weight, 'packed input')
            input = input[0]
            x = pad_rows(input.xp, input.array, bszpts)
        self._batchSizes = bszpts
        xp = input.xp
        T, N, _ = x.shape
        # the step after which each sequence's states are final: the last, or a packed sequence's own last
        last = (xp.full(N, T - 1) if bszpts is None else
                xp.asarray([sum(running > b for running in bszpts) - 1 for b in range(N)]), xp.arange(N))
        H, D, L = self.hiddenSize, self.numDirections, self.numLayers
        if self.rememberStates:
            kept = self.hiddenOutput.nElement() and tuple(self.hiddenOutput.size()) == (L * D, N, H)
            self.hiddenInput = self.hiddenOutput.clone() if kept else None
            self.cellInput = self.cellOutput.clone() if kept and self.mode == 'CUDNN_LSTM' else None
        hx, cx = self._state('hiddenInput', N), self._state('cellInput', N)
        self.seqLength, self.miniBatch = T, N
        hy = self.bufferLike('hiddenOutput', self.weight, (L * D, N, H))
        cy = self.bufferLike('cellOutput', self.weight, (L * D, N, H))
        cy[...] = 0   # LSTM writes every row below; the others keep zeros (hy's rows are all written)
        params, steps = self._views(self.weight), []
        layer_in = x
        for layer in range(L):
            out = self.bufferLike(f'_layerOutput{layer}', self.weight, (T, N, D * H))
            runs = []
            for d in range(D):
                p = layer * D + d
                seq = layer_in[::-1] if d else layer_in
                h0 = hx[p] if hx is not None else xp.zeros((N, H), x.dtype)
                c0 = cx[p] if cx is not None else xp.zeros((N, H), x.dtype)
                y, run = self._forward_layer(p, params[p], xp.ascontiguousarray(seq), h0, c0)
                out[..., d * H:(d + 1) * H] = y[::-1] if d else y
                hy[p] = y[last]
                if self.mode == 'CUDNN_LSTM':
                    cy[p] = run['seq'].cell.array[last]
                runs.append(run)
            mask = None
            if layer < L - 1 and self.dropout > 0 and self.train:
                noise = self.bufferLike(f'_noise{layer}', self.weight, (T, N, D * H))
                self.__dict__[f'_noise{layer}'].bernoulli(1 - self.dropout)
                noise /= 1 - self.dropout
                mask = noise
                out = out * mask
            steps.append((layer_in, runs, mask))
            layer_in = out
        self._steps, self._gradFor = steps, None
        if bszpts is not None:   # the packed rows of the running sequences
            self.bufferLike('_sequenceOutput', self.weight, (sum(bszpts), D * H))[...] = pack_rows(xp, layer_in,
                                                                                                   bszpts)
            self.output = self._sequenceOutput
            return self.output
        # seqLength-first in its own buffer; the output is it or (batchFirst) its transposed view
        self.bufferLike('_sequenceOutput', self.weight, (T, N, D * H))[...] = layer_in
        self.output = self._sequenceOutput.transpose(0, 1) if self.batchFirst else self._sequenceOutput
        return self.output

    def _forward_layer(self, p, params, x, h0, c0):
        """(y (T, N, H), what the backward of pseudo-layer ``p`` needs) for the sequence ``x`` from h0 (, c0)."""
        if self.mode == 'CUDNN_LSTM':
            return self._lstm_forward(p, params, x, h0, c0)
        W, R, bW, bR = params
        xp, (T, N, _), H = self.weight.xp, x.shape, self.hiddenSize
        px = (_input_product(xp, x.reshape(T * N, -1), W) + bW).reshape(T, N, -1)
        y = xp.empty((T, N, H), x.dtype)
        run = {'x': x, 'h0': h0, 'y': y}
        if self.mode == 'CUDNN_GRU':
            run['r'], run['z'], run['n'], run['rec_n'] = (xp.empty((T, N, H), x.dtype) for _ in range(4))
        # a contiguous R^T: (64, 512) by (512, 1536) took 0.61 ms against 0.75 ms with the transposed view
        h, R_t = h0, xp.ascontiguousarray(R.T)
        for t in range(T):
            rec = h @ R_t + bR
            if self.mode == 'CUDNN_GRU':
                r, z, n = run['r'][t], run['z'][t], run['n'][t]
                sigmoid_into(xp, px[t, :, :H] + rec[:, :H], r)
                sigmoid_into(xp, px[t, :, H:2 * H] + rec[:, H:2 * H], z)
                xp.tanh(px[t, :, 2 * H:] + r * rec[:, 2 * H:], out=n)
                run['rec_n'][t] = rec[:, 2 * H:]
                y[t] = (1 - z) * n + z * h
            elif self.mode == 'CUDNN_RNN_TANH':
                y[t] = xp.tanh(px[t] + rec)
            else:
                y[t] = xp.maximum(px[t] + rec, 0)
            h = y[t]
        return y, run

    def _seq_lstm(self, p):
        """Pseudo-layer ``p``'s nn.SeqLSTM (kept in ``_seqLSTMs``), of the module's tensor type."""
        seqs = self.__dict__.setdefault('_seqLSTMs', {})
        seq = seqs.get(p)
        in_size = self._layer_input(p // self.numDirections)
        if seq is None or seq.weight.type() != self.weight.type():
            seq = seqs[p] = nn.SeqLSTM(in_size, self.hiddenSize).type(self.weight.type())
        return seq

    def _lstm_forward(self, p, params, x, h0, c0):
        W, R, bW, bR = params
        H, order = self.hiddenSize, _SEQLSTM_ORDER
        seq = self._seq_lstm(p)
        D = x.shape[2]
        w, b = seq.weight.array, seq.bias.array
        for k, g in enumerate(order):    # SeqLSTM's gate k is cuDNN's gate g
            # CUDNN_SKIP_INPUT (no input matrix): the gate reads the input itself
            w[:D, k * H:(k + 1) * H] = W[g * H:(g + 1) * H].T if W.shape[1] else seq.weight.xp.eye(H)
            w[D:, k * H:(k + 1) * H] = R[g * H:(g + 1) * H].T
            b[k * H:(k + 1) * H] = bW[g * H:(g + 1) * H] + bR[g * H:(g + 1) * H]
        table = [as_tensor(c0), as_tensor(h0), as_tensor(x)]
        y = seq.forward(table).array
        return y, {'seq': seq, 'table': table}

    # --- backward -----------------------------------------------------------------------------------------
    def updateGradInput(self, input, gradOutput):
        if not self.train:
            raise ValueError(f"{self.shortName()}: backward can only be called when training (cuDNN's RNN keeps "
                             "what backward needs in training mode only)")
        bszpts = self._packed(input)
        if bszpts is None:
            x = self._sequence(input)
            go = self._sequence(gradOutput, 'gradOutput', self.hiddenSize * self.numDirections)
        else:
            input = input[0]
            self.checkTensor(gradOutput, (2,), 'gradOutput')
            self.checkSameType(gradOutput, self.weight, 'gradOutput')
            if tuple(gradOutput.size()) != tuple(self.output.size()):
                raise input_error(self, f"a packed gradOutput of size {tuple(self.output.size())}",
                                  f"size {tuple(gradOutput.size())}")
            if self.gradHiddenOutput is not None or self.gradCellOutput is not None:
                raise input_error(self, "no gradHiddenOutput or gradCellOutput with a packed input",
                                  "gradients for the final states")
            x, go = pad_rows(input.xp, input.array, bszpts), pad_rows(input.xp, gradOutput.array, bszpts)
        if self._steps is None or self._steps[0][0].shape != x.shape or getattr(self, '_batchSizes', None) != bszpts:
            raise input_error(self, "backward after a forward of this input", f"size {tuple(input.size())}")
        xp = input.xp
        T, N, _ = x.shape
        H, D, L = self.hiddenSize, self.numDirections, self.numLayers
        dhy, dcy = self._state('gradHiddenOutput', N), self._state('gradCellOutput', N)
        dhx = self.bufferLike('gradHiddenInput', self.weight, (L * D, N, H))
        dcx = self.bufferLike('gradCellInput', self.weight, (L * D, N, H))
        dcx[...] = 0
        pending = self.bufferLike('_pendingGrad', self.weight)
        pending[...] = 0
        grads = self._views(pending)
        params = self._views(self.weight)
        g = go
        for layer in range(L - 1, -1, -1):
            layer_in, runs, mask = self._steps[layer]
            if mask is not None:
                g = g * mask
            g_in = xp.zeros(layer_in.shape, x.dtype)
            for d in range(D):
                p = layer * D + d
                gy = g[..., d * H:(d + 1) * H]
                gy = xp.ascontiguousarray(gy[::-1] if d else gy)
                zeros = xp.zeros((N, H), x.dtype)
                dh_last = dhy[p] if dhy is not None else zeros
                dc_last = dcy[p] if dcy is not None else zeros
                gx, dhx[p], dc0 = self._backward_layer(params[p], grads[p], runs[d], gy, dh_last, dc_last)
                if dc0 is not None:
                    dcx[p] = dc0
                g_in += gx[::-1] if d else gx
            g = g_in
        if bszpts is not None:
            self.bufferLike('_sequenceGradInput', self.weight, tuple(input.size()))[...] = pack_rows(xp, g, bszpts)
            self.gradInput = self._sequenceGradInput
            self._gradFor = gradOutput
            return self.gradInput
        self.bufferLike('_sequenceGradInput', self.weight, x.shape)[...] = g
        self.gradInput = self._sequenceGradInput.transpose(0, 1) if self.batchFirst else self._sequenceGradInput
        self._gradFor = gradOutput
        return self.gradInput

    def _backward_layer(self, params, grads, run, gy, dh_last, dc_last):
        """(gradient of the layer's input, of h0, of c0 or None) for the output gradient ``gy``; adds the
        parameter gradients into ``grads`` (W, R, bW, bR arrays)."""
        if self.mode == 'CUDNN_LSTM':
            return self._lstm_backward(grads, run, gy, dh_last, dc_last)
        W, R, _, _ = params
        dW, dR, dbW, dbR = grads
        xp, H = self.weight.xp, self.hiddenSize
        x, y, h0 = run['x'], run['y'], run['h0']
        T, N, _ = x.shape
        dpx = xp.empty((T, N, W.shape[0]), x.dtype)    # gradients of the input products' sums
        drec = xp.empty((T, N, R.shape[0]), x.dtype)   # of the recurrent products' sums
        dh = dh_last.copy()
        for t in range(T - 1, -1, -1):
            dh = dh + gy[t]
            h_prev = y[t - 1] if t else h0
            if self.mode == 'CUDNN_GRU':
                r, z, n = run['r'][t], run['z'][t], run['n'][t]
                da_n = dh * (1 - z) * (1 - n * n)
                da_r = da_n * run['rec_n'][t] * r * (1 - r)
                da_z = dh * (h_prev - n) * z * (1 - z)
                dpx[t, :, :H], dpx[t, :, H:2 * H], dpx[t, :, 2 * H:] = da_r, da_z, da_n
                drec[t, :, :H], drec[t, :, H:2 * H], drec[t, :, 2 * H:] = da_r, da_z, da_n * r
                dh = dh * z + drec[t] @ R
            else:
                da = dh * (1 - y[t] * y[t]) if self.mode == 'CUDNN_RNN_TANH' else dh * (y[t] > 0)
                dpx[t] = drec[t] = da
                dh = da @ R
        h_prevs = xp.concatenate([h0[None], y[:-1]]).reshape(T * N, -1)
        dR += drec.reshape(T * N, -1).T @ h_prevs
        dbW += dpx.reshape(T * N, -1).sum(0)
        dbR += drec.reshape(T * N, -1).sum(0)
        if W.shape[1]:
            dW += dpx.reshape(T * N, -1).T @ x.reshape(T * N, -1)
            gx = dpx.reshape(T * N, -1) @ W
        else:   # CUDNN_SKIP_INPUT: every gate read the input itself
            gx = dpx.reshape(T * N, -1, H).sum(1)
        return gx.reshape(T, N, -1), dh, None

    def _lstm_backward(self, grads, run, gy, dh_last, dc_last):
        seq, table = run['seq'], run['table']
        H, D = self.hiddenSize, table[2].size(2)
        seq.zeroGradParameters()
        seq.gradPrevOutput = as_tensor(dh_last)
        seq.userNextGradCell = as_tensor(dc_last)
        dc0, dh0, dx = seq.backward(table, as_tensor(gy))
        dW, dR, dbW, dbR = grads
        gw, gb = seq.gradWeight.array, seq.gradBias.array
        for k, g in enumerate(_SEQLSTM_ORDER):
            if dW.shape[1]:   # not CUDNN_SKIP_INPUT's first layer, which has no input matrix
                dW[g * H:(g + 1) * H] += gw[:D, k * H:(k + 1) * H].T
            dR[g * H:(g + 1) * H] += gw[D:, k * H:(k + 1) * H].T
            dbW[g * H:(g + 1) * H] += gb[k * H:(k + 1) * H]
            dbR[g * H:(g + 1) * H] += gb[k * H:(k + 1) * H]
        return dx.array, dh0.array, dc0.array

    def accGradParameters(self, input, gradOutput, scale=1):
        if scale == 0:
            return
        if self._gradFor is not gradOutput:
            self.updateGradInput(input, gradOutput)
        self.gradWeight.array += scale * self._pendingGrad.array

    def clearState(self):
        self._steps = self._gradFor = None
        self.__dict__.pop('_seqLSTMs', None)
        names = [n for n in self.__dict__ if n.startswith(('_layerOutput', '_noise'))]
        return super().clearState('_pendingGrad', '_sequenceOutput', '_sequenceGradInput', *names)

    def __repr__(self):
        return (f"{lua_typename(self)}({self.inputSize} -> {self.hiddenSize}, {self.numLayers} layers"
                f"{', batchFirst' if self.batchFirst else ''}{f', dropout {self.dropout:g}' if self.dropout else ''})")


class RNNReLU(RNN):
    """``RNNReLU(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0, rememberStates=False)``:
    h = max(0, W x + bW + R h' + bR) per layer."""
    mode = 'CUDNN_RNN_RELU'


class RNNTanh(RNN):
    """``RNNTanh(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0, rememberStates=False)``:
    h = tanh(W x + bW + R h' + bR) per layer."""
    mode = 'CUDNN_RNN_TANH'


class LSTM(RNN):
    """``LSTM(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0, rememberStates=False)``: cuDNN's
    LSTM layers (gates i, f, g, o; two biases), each run as an nn.SeqLSTM."""
    mode = 'CUDNN_LSTM'


class GRU(RNN):
    """``GRU(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0, rememberStates=False)``: cuDNN's GRU
    layers (gates r, z, n; the reset gate multiplies the recurrent product and its bias)."""
    mode = 'CUDNN_GRU'


class _Bidirectional(RNN):
    """The base of BLSTM and BGRU: each layer runs both directions, output ``(seqLength, batch, 2 *
    hiddenSize)``; their Lua constructors take no rememberStates."""
    bidirectional = 'CUDNN_BIDIRECTIONAL'
    numDirections = 2

    def __init__(self, inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0):
        super().__init__(inputSize, hiddenSize, numLayers, batchFirst, dropout)


class BLSTM(_Bidirectional):
    """``BLSTM(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0)``: bidirectional LSTM layers,
    output ``(seqLength, batch, 2 * hiddenSize)``."""
    mode = 'CUDNN_LSTM'


class BGRU(_Bidirectional):
    """``BGRU(inputSize, hiddenSize, numLayers, batchFirst=False, dropout=0)``: bidirectional GRU layers,
    output ``(seqLength, batch, 2 * hiddenSize)``."""
    mode = 'CUDNN_GRU'
