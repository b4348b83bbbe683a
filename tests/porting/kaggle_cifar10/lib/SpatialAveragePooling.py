"""lib/SpatialAveragePooling.lua: ``nn.MySpatialAveragePooling``, an nn.SpatialSubSampling whose weights are 1
and biases 0 (a sum pooling: SpatialSubSampling multiplies each window's sum by its plane's weight) and whose
parameter updates are no-ops."""
import legonn as lg
from legonn import nn


class MySpatialAveragePooling(nn.SpatialSubSampling):

    def __init__(self, nInputPlane, kW, kH, dW, dH):
        super().__init__(nInputPlane, kW, kH, dW, dH)

    def reset(self):
        self.weight.fill(1.0)
        self.bias.fill(0.0)

    # avoid parameter update
    def accGradParameters(self, *args):
        pass

    def accUpdateGradParameters(self, *args):
        pass

    def updateParameters(self, *args):
        pass


lg.register(MySpatialAveragePooling, 'nn.MySpatialAveragePooling')
