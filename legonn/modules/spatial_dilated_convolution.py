"""SpatialDilatedConvolution: SpatialConvolution whose kernel taps are ``dilation`` apart."""
from .errors import check_hyper
from .spatial_convolution import SpatialConvolution


class SpatialDilatedConvolution(SpatialConvolution):
    """2-D convolution with a dilated (atrous) kernel.

    ``SpatialDilatedConvolution(nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0,
    dilationW=1, dilationH=1)``; oH = floor((H + 2 padH - dilationH (kH - 1) - 1) / dH) + 1.
    Shapes and parameters as SpatialConvolution.
    """

    positive_ints = SpatialConvolution.positive_ints + ('dilationW', 'dilationH')

    def __init__(self, nInputPlane, nOutputPlane, kW, kH, dW=1, dH=1, padW=0, padH=0, dilationW=1, dilationH=1):
        check_hyper(type(self).__name__, positive=dict(dilationW=dilationW, dilationH=dilationH))
        super().__init__(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH)
        self.dilationW, self.dilationH = dilationW, dilationH

    def __repr__(self):
        text = super().__repr__()
        head, tail = text.rsplit(')', 1)
        return f"{head}, {self.dilationW},{self.dilationH}){tail}"
