"""Elementwise: the base of the modules that compute y = f(x) element by element.

A subclass writes ``_forward(x, out, xp)`` (fill ``out`` with f(x)) and either
``_backward(x, y, gradOutput, gradInput, xp)`` (fill ``gradInput``) or, when the
gradient is gradOutput where the input passed and 0 elsewhere, ``_mask(xp, x, out)``
(write that 0/1 mask into a reused byte buffer; the base selects gradOutput by it,
``tensor/select_kernels``, split over threads). The base reuses the ``output``/``gradInput`` buffers and handles Torch7's
in-place variants (``self.inplace``): in place, the output views the input's memory and
the gradInput the gradOutput's, so ``x`` is ``y`` by the time the gradient
is computed and in-place subclasses compute it from ``y`` alone (as the Lua/C code does).

A CUDA twin (``cuda_forward``, ``cuda_backward``): each way as one CuPy ElementwiseKernel on float32/float64
CUDA arrays, where the array code launches a kernel per operation (Sigmoid's forward four, its backward
three). Small models on a GPU are bound by launches, and cunn too has one kernel per module and direction.
The bodies, in CuPy's kernel language, read ``x`` (forward) or ``x``, ``y`` and ``go`` (backward) and the
module attributes named in ``cuda_params`` (as scalars of the element type), and write ``y`` or ``gi``.
``LEGONN_GENERIC_KERNELS=1`` turns the twins off, with cuda_kernels' RawKernels.

Where a pointwise module goes, by what it does to the input:
- ``rectifiers.py``: the ReLU family, the input passes unchanged above a threshold (or
  between two bounds, HardTanh) and is replaced, scaled or saturated elsewhere (Threshold,
  ReLU, ReLU6, HardTanh, LeakyReLU, RReLU, PReLU, ELU, CReLU);
- ``shrinkage.py``: the input zeroed in a band around 0 (SoftShrink, HardShrink);
- ``smooth_activations.py``: smooth curves built from exp, log or tanh (Tanh, Sigmoid,
  SoftPlus, SoftSign, LogSigmoid, TanhShrink);
- ``arithmetic.py``: arithmetic that is no activation (Abs, Exp, Power, AddConstant, ...);
- ``dropout.py``, ``spatial_dropout.py``: random masks.
"""

from ...tensor import Tensor, cuda_kernels, parallel, select_kernels
from .errors import input_error
from .module import Module


def _viewing(own, source):
    """``own`` set to view ``source`` (THNN's in-place kernels call ``THTensor_(set)(output, input)``, Dropout.lua
    ``self.output:set(input)``): the module keeps its own output and gradInput objects, so code holding
    ``m.output`` from an earlier call sees this one's; a new tensor where ``own`` cannot view ``source``."""
    if type(own) is not type(source):
        own = source.new()
    return own.set(source)


class Elementwise(Module, abstract=True):
    """y = f(x) element by element; any input shape, output of the input's shape."""

    input_kind = 'tensor'
    inplace = False
    _mask = None   # a subclass's mask writer turns on the mask path of updateGradInput
    # whether the gradient reads the output (Sigmoid's go * y * (1 - y)): its backward then needs a forward of an
    # input of the same size first, as THNN's checks of output against gradOutput ask; the others' backward runs
    # without one, as Torch7's (Square's THNN code never reads the output)
    backward_reads_output = False
    cuda_forward = cuda_backward = None   # the CUDA twin's bodies (see the module docstring)
    cuda_params = ()

    def _forward(self, x, out, xp):
        raise NotImplementedError

    def _backward(self, x, y, gradOutput, gradInput, xp):
        raise NotImplementedError

    def updateOutput(self, input):
        if self.inplace:   # the output views the input's memory
            self.output = _viewing(self.output, input)
            out = input.array
        else:
            out = self.bufferLike('output', input)
        twin = self._cuda_twin('forward', out)
        if twin is None:
            self._forward(input.array, out, input.xp)
        else:
            twin(input.array, *self._cuda_scalars(out.dtype), out)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if not isinstance(input, Tensor) or input._dtype.kind != 'f':   # the declared check, off the common path
            self.checkInput(input)
        self.checkGradOutput(gradOutput, input)
        if self.backward_reads_output and self.output._size != input._size:
            # an output left by no forward, or by one of another size, which NumPy would broadcast silently
            raise input_error(self, f"a forward of an input of this size first (the gradient reads the output, of "
                                    f"size {tuple(self.output.size())})", f"an input of size {tuple(input.size())}")
        if self.inplace:   # Torch7 writes the gradient over gradOutput and hands that back
            self.gradInput = _viewing(self.gradInput, gradOutput)
            gi = gradOutput.array
        else:
            gi = self.bufferLike('gradInput', input)
        twin = self._cuda_twin('backward', gi)
        if twin is not None:
            # a twin that never reads y gets the input in its place, so that it runs without a forward as on the CPU
            y = self.output.array if self.backward_reads_output else input.array
            twin(input.array, y, gradOutput.array, *self._cuda_scalars(gi.dtype), gi)
            return self.gradInput
        self._array_backward(input, gradOutput, gi)
        return self.gradInput

    def _array_backward(self, input, gradOutput, gi):
        """Write the gradient into the array ``gi`` with the array code (``_backward`` or the mask): the part
        of updateGradInput after its checks, which a gModule's region on the CPU calls itself (graph/cpu_regions.py)."""
        xp = input.xp
        if self._mask is None:
            y = self.output.array
            if not self.inplace and self.output._storage is self.gradInput._storage:
                # Torch7's kernels read each output element before writing its gradient, so code that makes
                # gradInput the output tensor (seq2seq-attn's reuseMem: m.gradInput = m.output) gets the true
                # gradient; a _backward in several array steps would read outputs it had already overwritten
                y = y.copy()
            # in place, gi is gradOutput's memory: the same holds for the gradients a several-step _backward reads
            go = gradOutput.array.copy() if self.inplace else gradOutput.array
            self._backward(input.array, y, go, gi, xp)
            return
        mask = self.bufferLike('_passed', input, kind='Byte')

        def backward(x, passed, go, grad_in):
            self._mask(xp, x, passed)
            # selected, as Torch7's kernels do (Threshold.c: x > threshold ? go : 0), not multiplied: the product
            # is NaN at a blocked unit whose gradOutput is inf or NaN
            select_kernels.select_passed(xp, passed, go, grad_in)

        parallel.map_parts(backward, input.array, mask, gradOutput.array, gi)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        params = ''.join(f', T {name}' for name in cls.cuda_params)
        cls._twins = {}
        for which, ins, result in (('forward', 'T x', 'T y'), ('backward', 'T x, T y, T go', 'T gi')):
            body = getattr(cls, f'cuda_{which}')
            if body is not None:
                cls._twins[which] = cuda_kernels.declare(f'{cls.__name__}_{which}', ins + params, result, body)

    def _cuda_twin(self, which, out):
        """The CUDA twin's kernel for ``which`` ('forward', 'backward') when it applies to ``out``, else None."""
        twin = self._twins.get(which)
        return twin if twin is not None and cuda_kernels.takes(out) else None

    def _cuda_scalars(self, dtype):
        return [dtype.type(getattr(self, name)) for name in self.cuda_params]

    def clearState(self, *names):
        return super().clearState('_passed', *names)
