"""1x1 convolutions on the CPU (a ResNet's projection shortcuts, a bottleneck's 1x1 layers) as GEMMs on the
input's own planes, no columns.

A 1x1 convolution of stride s reads one pixel of each s x s block: with the input subsampled to (N, C, oH, oW)
(no copy for stride 1 and a contiguous input), each image's output (Cout, oH oW) is ``weight (Cout, C) @ its
planes (C, oH oW)``, written straight into the (N, Cout, oH, oW) output: the whole-batch path's column copy,
its channels-first product and the pass moving the batch to the front are gone. The input gradient is
``weight^T @ gradOutput`` an image, at the strided pixels (zeros elsewhere); the weight gradient the sum over
images of ``gradOutput @ planes^T``, per thread, summed afterwards. Each thread of legonn's pool takes a range
of images, BLAS serial meanwhile (``openblas.serial_blas``).

Chosen by the plan (``conv_kernels.ConvPlan``) where ``pointwise_pays``; the products are NumPy's ``matmul`` on
views whose shapes and dtypes ``check_operands`` (``SourceConv``) has checked first.
"""
import numpy as np

from . import parallel
from .conv_direct import SourceConv
from .openblas import serial_blas


def pointwise_pays(xp, dtype, input_shape, planes_out, kernel, stride, pad, dilation, out_size, groups):
    """Whether ``PointwiseConv`` runs this convolution: NumPy data of float32 or float64, 2-D, one group, a 1x1
    kernel without padding (any stride)."""
    return (xp is np and dtype is not None and np.dtype(dtype) in (np.float32, np.float64) and groups == 1
            and len(input_shape) == 4 and tuple(kernel) == (1, 1) and not any(pad))


class PointwiseConv(SourceConv):
    """The 1x1 path for inputs of shape ``input_shape`` (N, C, H, W), ``planes_out`` output planes and ``stride``
    (buffers as ``SourceConv``): ``source_shape`` is the subsampled input (N, C, oH, oW); the scratch holds the
    images' input gradients before they are spread onto the strided pixels."""

    routine_prefix = 'conv_pointwise'

    def __init__(self, input_shape, planes_out, stride, out_size):
        super().__init__(input_shape, planes_out, (1, 1), (0, 0), (1, 1), out_size)
        self.stride = tuple(stride)
        n, c = input_shape[:2]
        self.source_shape = (n, c) + tuple(out_size)
        self.pixels = out_size[0] * out_size[1]
        self.scratch_length = n * c * self.pixels if self.stride != (1, 1) else 0

    @property
    def scratch_shape(self):
        """One row for the batch: each image's input gradient has its own place, whichever thread sums it."""
        return (1, self.scratch_length)

    @property
    def planes_shape(self):
        return (parallel.getnumthreads(), 0)

    def copies_source(self, x):
        return self.stride != (1, 1) or not (x.flags.c_contiguous and x.flags.aligned)

    def source(self, x, buf):
        """``x`` (N, C, H, W) subsampled by the stride (or made contiguous) into ``buf`` (``source_shape``)."""
        buf = buf.reshape(self.source_shape)
        (sh, sw), (oh, ow) = self.stride, self.out_size
        parallel.map_parts(np.copyto, buf, x[:, :, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw])
        return buf

    def _images(self, call, like):
        """``call(part, first, stop)`` for each thread's range of images (split as ``like``, an element costing
        C multiply-adds), BLAS serial meanwhile if the work is split; returns the number of parts."""
        bounds = parallel.leading_ranges(like, max(1, self.source_shape[1] // 4))
        with serial_blas(len(bounds) > 1):
            parallel.run_parts(lambda i: call(i, *bounds[i]), range(len(bounds)))
        return len(bounds)

    def _planes(self, arr, first, stop):
        """Images [first, stop) of ``arr`` (N, P, oH, oW) as (images, P, oH oW)."""
        return arr[first:stop].reshape(stop - first, arr.shape[1], self.pixels)

    def forward(self, source, weight, bias, out, scratch):
        """``out`` (N, Cout, oH, oW) = ``weight`` (Cout, C, 1, 1) applied to each pixel of ``source`` (the
        subsampled input), plus ``bias`` (Cout,) unless None (after the product, as the whole-batch path)."""
        weight, bias = self._forward_operands(source, weight, bias, out, scratch)
        matrix, column = weight.reshape(self.planes_out, -1), bias.reshape(-1, 1)

        def part(i, first, stop):
            product = self._planes(out, first, stop)
            np.matmul(matrix, self._planes(source, first, stop), out=product)
            if bias.size:
                product += column

        self._images(part, out)
        return out

    def grad_input(self, grad_out, weight, out, scratch, planes):
        """d loss / d input (N, C, H, W) into ``out`` for gradOutput ``grad_out`` (N, Cout, oH, oW): ``weight^T
        @ gradOutput`` at the pixels the stride read, zeros elsewhere."""
        grad_out, weight = self._grad_input_operands(grad_out, weight, out, scratch, planes)
        matrix = weight.reshape(self.planes_out, -1).T
        (sh, sw), (oh, ow), c = self.stride, self.out_size, self.input_shape[1]

        def part(i, first, stop):
            if self.stride == (1, 1):
                np.matmul(matrix, self._planes(grad_out, first, stop), out=self._planes(out, first, stop))
                return
            sums = scratch[0, first * c * self.pixels:stop * c * self.pixels].reshape(stop - first, c, self.pixels)
            np.matmul(matrix, self._planes(grad_out, first, stop), out=sums)
            out[first:stop] = 0
            out[first:stop, :, :sh * (oh - 1) + 1:sh, :sw * (ow - 1) + 1:sw] = sums.reshape((stop - first, c, oh, ow))

        self._images(part, grad_out)
        return out

    def grad_params(self, grad_out, source, grad_weight, grad_bias, scale, scratch, partials):
        """Add ``scale`` * d loss / d weight into ``grad_weight`` (Cout, C, 1, 1) and d loss / d bias into
        ``grad_bias`` (Cout,) unless None, from gradOutput ``grad_out`` and the forward's ``source``."""
        grad_out = self._grad_params_operands(grad_out, source, scratch, partials)
        cut = self.planes_out * self.input_shape[1]

        def part(i, first, stop):
            grads = self._planes(grad_out, first, stop)
            products = np.matmul(grads, self._planes(source, first, stop).transpose(0, 2, 1))
            np.sum(products, axis=0, out=partials[i, :cut].reshape(self.planes_out, -1))
            np.sum(grads, axis=(0, 2), out=partials[i, cut:])

        self._add_partials(partials, self._images(part, grad_out), scale, grad_weight, grad_bias)
