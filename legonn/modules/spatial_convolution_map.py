"""SpatialConvolutionMap: a convolution along a table of (input, output) plane pairs.

A connection table is an (nConnections, 2) tensor of 0-based ``[input plane,
output plane]`` rows; ``SpatialConvolutionMap.tables`` builds the usual ones
(``full``, ``oneToOne``, ``random``). Each connection has its own kH x kW
kernel. The module scatters its kernels into a dense (mostly zero) kernel and
runs the ordinary convolution GEMM, which is faster than a loop over
connections and exact (repeated connections add up). SpatialFullConvolutionMap,
its transposed twin, sits with SpatialFullConvolution.
"""
from .base.connection_tables import MapParameters, tables
from .base.convolution import Convolution2d
from .base.hessian import LinearDiagHessian


class SpatialConvolutionMap(LinearDiagHessian, MapParameters, Convolution2d):
    """Convolution along a connection table.

    ``SpatialConvolutionMap(connTable, kW, kH, dW=1, dH=1)``: output plane o =
    bias[o] + sum over rows k with table[k] = [i, o] of (input plane i correlated with weight[k]).
    ``weight`` is ``(nConnections, kH, kW)``, ``bias`` ``(nOutputPlane,)``; planes counted from the table.
    """

    tables = tables
    diag_hessian_squared = ('weight', 'bias')   # hessian.lua squares this one's bias too (unused by its backward)
    padW = padH = 0
    # kept on the channels-first columns it has always used, so its results round as before; batch-last measured
    # ~10% faster forward+backward (6 -> 16 planes, 5x5, batch 64, one thread, load 5): a separate change
    batch_last_columns = False
    columns_from_input = True   # THNN's SpatialConvolutionMap.c:265, accGradParameters' correlation of input_data

    def __init__(self, connTable, kW, kH, dW=1, dH=1):
        Convolution2d.__init__(self)
        self._init_map(connTable, kW, kH, dW, dH)
