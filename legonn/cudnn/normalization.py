"""cudnn.torch's normalisations: SpatialCrossMapLRN (cudnn/SpatialCrossMapLRN.lua) and BatchNormalization,
SpatialBatchNormalization, VolumetricBatchNormalization (cudnn/BatchNormalization.lua), each nn's maths with
cudnn's defaults and argument checks. cudnn.torch's batch normalisations refuse a backward in evaluation mode
("use nn") and an unbatched input; legonn's compute both as nn's do. Like cudnn's, they accumulate the
parameter gradients in updateGradInput (one cudnnBatchNormalizationBackward call) and do nothing in
accGradParameters."""
from .. import nn
from .base import CudnnClass


class SpatialCrossMapLRN(CudnnClass, nn.SpatialCrossMapLRN):
    """``SpatialCrossMapLRN(size=5, alpha=1e-4, beta=0.75, k=1)``: y = x / (k + alpha/size sum x^2)^beta over
    ``size`` neighbouring planes, as nn's; cudnn requires 1 <= size <= 16, k >= 1e-5 and beta >= 0.01.
    Input ``(C, H, W)`` or ``(N, C, H, W)``."""

    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=1):
        if not (isinstance(size, int) and 1 <= size <= 16):
            raise ValueError(f"cudnn.SpatialCrossMapLRN: size has to be between 1 and 16, got {size!r}")
        if not k >= 1e-5:
            raise ValueError(f"cudnn.SpatialCrossMapLRN: k has to be at least 1e-5, got {k!r}")
        if not beta >= 0.01:
            raise ValueError(f"cudnn.SpatialCrossMapLRN: beta has to be at least 0.01, got {beta!r}")
        super().__init__(size, alpha, beta, k)


class _AffineOnly:
    """cudnn's batch normalisations always learn a scale and shift: ``affine`` may only be True."""

    def __init__(self, nFeature, eps=1e-5, momentum=0.1, affine=True):
        affine = True if affine is None else affine
        if affine is not True:
            raise ValueError(f"cudnn.{type(self).__name__}: only affine is supported (affine must be True or "
                             f"None), got {affine!r}")
        super().__init__(nFeature, eps, momentum, affine)


class _GradientsWithGradInput(nn.Module):
    """cudnn/BatchNormalization.lua computes gradInput, gradWeight and gradBias in one cuDNN call: its
    ``updateGradInput(input, gradOutput, scale=1)`` accumulates ``scale`` times the parameter gradients as well,
    and its ``accGradParameters`` is empty. A container that runs its children's updateGradInput before their
    accGradParameters while gradient buffers are shared between modules (DenseNet's DenseConnectLayerCustom
    under models/init.lua's shareGradInput) gets Torch7's numbers only so: by the time accGradParameters came,
    another module would have rewritten the gradOutput it reads. (A Module, so that its methods take arrays
    and check their accumulation as every module's do.)"""

    def backward(self, input, gradOutput=None, scale=1):
        # Module.backward calls updateGradInput(input, gradOutput): the scale reaches it through this field
        with self._during_backward(_backwardScale=scale):
            return super().backward(input, gradOutput, scale)

    def updateGradInput(self, input, gradOutput, scale=None):
        if scale is None:
            scale = self.__dict__.get('_backwardScale', 1)
        super().updateGradInput(input, gradOutput)
        super().accGradParameters(input, gradOutput, scale)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        """Nothing: updateGradInput accumulated the parameter gradients, as cudnn's does."""


class BatchNormalization(CudnnClass, _GradientsWithGradInput, _AffineOnly, nn.BatchNormalization):
    """``BatchNormalization(nFeature, eps=1e-5, momentum=0.1, affine=True)`` over ``(N, nFeature)``, as nn's."""


class SpatialBatchNormalization(CudnnClass, _GradientsWithGradInput, _AffineOnly, nn.SpatialBatchNormalization):
    """``SpatialBatchNormalization(nFeature, eps=1e-5, momentum=0.1, affine=True)`` over ``(N, nFeature, H, W)``
    per plane, as nn's."""


class VolumetricBatchNormalization(CudnnClass, _GradientsWithGradInput, _AffineOnly,
                                   nn.VolumetricBatchNormalization):
    """``VolumetricBatchNormalization(nFeature, eps=1e-5, momentum=0.1, affine=True)`` over ``(N, nFeature, T,
    H, W)`` per plane, as nn's."""
