"""The engine of the 2-D convolutions: input checks, batch and non-batch forms, reused buffers, one
im2col + GEMM per call (``tensor.conv_kernels``).

Each convolution says how its parameters become a dense ``(nOutputPlane, nInputPlane / groups, kH,
kW)`` kernel and how the dense gradients fold back; see docs/internals.md for the hooks.
"""
from ...tensor import conv_kernels as ck
from ...tensor.conv_kernels import conv_output_size
from .batching import batched
from .errors import input_error
from .initialisation import uniform_reset
from .module import Module


def geometry_text(module):
    """Torch7's ', dW,dH, padW,padH' suffix of convolution names (omitted parts at their defaults)."""
    s = ''
    if module.dW != 1 or module.dH != 1 or module.padW != 0 or module.padH != 0:
        s += f", {module.dW},{module.dH}"
    if module.padW != 0 or module.padH != 0:
        s += f", {module.padW},{module.padH}"
    return s


def frame_count(module, x, input, kW, dW, frame_axis):
    """Output frames (nFrames - kW) // dW + 1; a path-naming error when the sequence is shorter than kW."""
    n = x.shape[frame_axis]
    if n < kW:
        raise input_error(module, f"at least kW = {kW} frames", f"{n} (input of size {tuple(input.size())})")
    return conv_output_size(n, kW, dW)


class KernelParameters:
    """``noBias`` and Torch7's reset rule (fan-in kW*kH*nInputPlane) of the 2-D convolutions whose
    weight and optional bias follow SpatialConvolution's."""

    def noBias(self):
        self.bias = None
        self.gradBias = None
        return self

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(kW*kH*nInputPlane) by default (Torch7's rule)."""
        uniform_reset(stdv, self.kW * self.kH * self.nInputPlane,
                      self.weight, *([self.bias] if self.bias is not None else []))
        return self


class Convolution2d(Module, abstract=True):
    """Engine of the 2-D convolutions: subclasses set the geometry attributes and parameters."""

    groups = 1
    dilationW = dilationH = 1

    def _geometry(self):
        return (self.kH, self.kW), (self.dH, self.dW), (self.padH, self.padW), (self.dilationH, self.dilationW)

    def _output_hw(self, h, w):
        k, s, p, d = self._geometry()
        return ck.conv_output_size(h, k[0], s[0], p[0], d[0]), ck.conv_output_size(w, k[1], s[1], p[1], d[1])

    def _check(self, input, gradOutput=None):
        x, _ = batched(self, input, (3, 4))
        self.checkSameType(input, self.weight)
        if x.shape[1] != self.nInputPlane:
            raise input_error(self, f"an input with {self.nInputPlane} planes in dimension {input.dim() - 3}",
                              f"{x.shape[1]} planes (input of size {tuple(input.size())})")
        oh, ow = self._output_hw(*x.shape[2:])
        if oh < 1 or ow < 1:
            k, s, p, d = self._geometry()
            raise input_error(self, f"an input of at least {d[0] * (k[0] - 1) + 1 - 2 * p[0]}x"
                              f"{d[1] * (k[1] - 1) + 1 - 2 * p[1]} (height x width) for kernel {k[1]}x{k[0]}, "
                              f"pad {p[1]},{p[0]}, dilation {d[1]},{d[0]}", f"{x.shape[2]}x{x.shape[3]}")
        if gradOutput is None:
            return x, (oh, ow)
        self.checkSameType(gradOutput, self.weight, 'gradOutput')
        expected = ((x.shape[0],) if input.dim() == 4 else ()) + (self.nOutputPlane, oh, ow)
        if tuple(gradOutput.size()) != expected:
            raise input_error(self, f"gradOutput of size {expected}", tuple(gradOutput.size()))
        return x, (oh, ow), batched(self, gradOutput, (3, 4), 'gradOutput')[0]

    # the dense kernel and its gradients; subclasses with other parameter layouts override these
    def _conv_weight(self):
        return self.weight.array

    def _conv_bias(self):
        return None if self.bias is None else self.bias.array

    def _acc_conv_grads(self, grad_t, cols, scale):
        gb = None if self.bias is None else self.gradBias.array
        ck.conv_grad_params(grad_t, cols, self.gradWeight.array, gb, scale, self.groups)

    def _out_array(self, name, input, n, planes, hw):
        """Buffer ``self.<name>`` sized like the output (batch or not) as an (N, planes, H, W) array."""
        sizes = ((n,) if input.dim() == 4 else ()) + (planes,) + tuple(hw)
        arr = self.bufferLike(name, input, sizes)
        return arr if input.dim() == 4 else arr[None]

    def _batch_last(self, x):
        """True for the CPU layout with the batch innermost in the columns and gradOutput^T, (C, kH, kW, oH, oW, N):
        NumPy data, one group and the dense kernel's own gradient fold (subclasses may expect the other order).

        It makes the window copy contiguous but the output transpose strided, so it
        pays only when the columns (C*kH*kW rows) outweigh the output (nOutputPlane
        rows) several times: LeNet's second convolution (500 vs 50), not its first (25 vs 20).
        """
        return (self.groups == 1 and x.shape[0] > 1 and type(x).__module__ == 'numpy'
                and self.nInputPlane * self.kH * self.kW >= 4 * self.nOutputPlane
                and type(self)._acc_conv_grads is Convolution2d._acc_conv_grads)

    def updateOutput(self, input):
        x, hw = self._check(input)
        k, s, p, d = self._geometry()
        n = x.shape[0]
        cols = self.bufferLike('finput', input, (self.nInputPlane * k[0] * k[1], n * hw[0] * hw[1]))
        gemm = self.bufferLike('_gemm', input, (self.nOutputPlane, n * hw[0] * hw[1]))
        out = self._out_array('output', input, n, self.nOutputPlane, hw)
        if self._batch_last(x):
            xp = input.xp
            ck.im2col_batch_last(x, k, s, p, d, out=cols.reshape((self.nInputPlane,) + k + hw + (n,)))
            xp.matmul(self._conv_weight().reshape(self.nOutputPlane, -1), cols, out=gemm)
            # BLAS moves the batch to the front (several times faster than NumPy's strided copy), then the bias
            ck.batch_first_of(gemm.reshape((self.nOutputPlane,) + hw + (n,)), out)
            if self.bias is not None:
                ck.add_planes(out, self._conv_bias())
            return self.output
        ck.conv_forward(x, self._conv_weight(), self._conv_bias(), s, p, d, self.groups,
                        cols=cols.reshape((self.nInputPlane,) + k + (n,) + hw), out=out, gemm=gemm)
        return self.output

    def _grad_t(self, input, go):
        """gradOutput as (nOutputPlane, N*H*W), the GEMM operand of the gradients (batch innermost
        for ``_batch_last``); inside ``backward`` the copy made for the input gradient is reused."""
        shared = self.__dict__.get('_backward_grad_t')
        if shared:
            return shared[0]
        scratch = self.bufferLike('_gradOutputT', input, (go.shape[1], go.shape[0] * go.shape[2] * go.shape[3]))
        if self._batch_last(go):
            ck.batch_last(go, scratch.reshape(go.shape[1:] + go.shape[:1]))
        else:
            ck.channels_first(go, scratch)
        if shared is not None:
            shared.append(scratch)
        return scratch

    def backward(self, input, gradOutput=None, scale=1):
        """``updateGradInput`` then ``accGradParameters``, transposing gradOutput once for both."""
        self._backward_grad_t = []
        try:
            return super().backward(input, gradOutput, scale)
        finally:
            del self._backward_grad_t

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:   # Torch7's idiom for a first layer: no gradient w.r.t. the data
            return None
        x, hw, go = self._check(input, gradOutput)
        k, s, p, d = self._geometry()
        gi = self.bufferLike('gradInput', input)
        grad_t = self._grad_t(input, go) if self._batch_last(x) else None
        gcols = self.bufferLike('fgradInput', input, (self.nInputPlane * k[0] * k[1], x.shape[0] * hw[0] * hw[1]))
        sums = self.bufferLike('_gradInputT', input, (x.shape[0] * self.nInputPlane * (x.shape[2] + 2 * p[0])
                                                      * (x.shape[3] + 2 * p[1]),))
        ck.conv_grad_input(go, self._conv_weight(), x.shape, s, p, d, self.groups,
                           out=gi if gi.ndim == 4 else gi[None], grad_t=grad_t, gcols=gcols, acc=sums)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        x, hw, go = self._check(input, gradOutput)
        k, s, p, d = self._geometry()
        grad_t = self._grad_t(input, go)
        shape = (self.nInputPlane * k[0] * k[1], grad_t.shape[1])
        cols = self.__dict__.get('finput')
        if cols is None or tuple(cols.size()) != shape or type(cols) is not type(input):
            # no forward on an input of this shape before: build the columns now
            cols = self.bufferLike('finput', input, shape)
            if self._batch_last(x):
                ck.im2col_batch_last(x, k, s, p, d, out=cols.reshape((self.nInputPlane,) + k + hw + (x.shape[0],)))
            else:
                ck.im2col(x, k, s, p, d, out=cols.reshape((self.nInputPlane,) + k + (x.shape[0],) + hw))
        else:
            cols = cols.array
        self._acc_conv_grads(grad_t, cols, scale)

    def clearState(self):
        return super().clearState('finput', 'fgradInput', '_gemm', '_gradOutputT', '_gradInputT')
