"""inn's response normalisations: SpatialSameResponseNormalization (cuda-convnet's within-map LRN, built of nn
modules as inn's SpatialSameResponseNormalization.lua) and SpatialCrossResponseNormalization (nn's
SpatialCrossMapLRN under inn's name, SpatialCrossResponseNormalization.lua)."""
from .. import nn
from .base import InnClass


class SpatialSameResponseNormalization(InnClass, nn.Sequential):
    """``y = x / (1 + alpha * mean_{size x size}(x^2)) ^ beta``, the mean over the ``size x size`` window
    around each pixel of the same plane (zero padding of ``size // 2``, counted in the mean). Input ``(C, H,
    W)`` or ``(N, C, H, W)``.

    ``SpatialSameResponseNormalization(size=3, alpha=5e-5, beta=0.75)``: a Sequential of ConcatTable(Identity,
    Sequential(Square, SpatialAveragePooling(size, size, 1, 1, pad, pad), MulConstant(alpha, true),
    AddConstant(1, true), Power(beta))) and CDivTable, as inn's.
    """

    def __init__(self, size=3, alpha=5e-5, beta=0.75):
        super().__init__()
        self.size, self.alpha, self.beta = size, alpha, beta
        pad = size // 2
        denominator = (nn.Sequential().add(nn.Square()).add(nn.SpatialAveragePooling(size, size, 1, 1, pad, pad))
                       .add(nn.MulConstant(alpha, True)).add(nn.AddConstant(1, True)).add(nn.Power(beta)))
        self.add(nn.ConcatTable().add(nn.Identity()).add(denominator))
        self.add(nn.CDivTable())


class SpatialCrossResponseNormalization(InnClass, nn.SpatialCrossMapLRN):
    """``SpatialCrossResponseNormalization(size, alpha=1e-4, beta=0.75, k=1)``: nn.SpatialCrossMapLRN (a
    subclass of it, as inn's), named inn's."""
