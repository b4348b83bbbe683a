"""One small working example of every class in ``legonn.nn``: how to build it and a valid input
(and target, for criterions). The serialization round trips and the robustness sweep iterate
over ``legonn.nn.registry``; a class missing here fails ``test_catalog_covers_the_registry``."""
import numpy as np

import legonn as lg
from legonn import nn
from legonn.modules.spatial_convolution_map import tables

ABSTRACT = {'Module', 'Container', 'Criterion', 'AbstractRecurrent', 'AbstractSequencer'}


def r(*sizes, lo=-1.0, hi=1.0):
    """A FloatTensor of uniform values (legonn's seeded RNG)."""
    return lg.FloatTensor(*sizes).uniform(lo, hi)


def pos(*sizes):
    return r(*sizes, lo=0.1, hi=1.0)


def longs(*values):
    return lg.LongTensor(list(values))


def _graph():
    a, b = nn.Identity()(), nn.Identity()()
    h = nn.Tanh()(nn.Linear(3, 4)(a))
    out = nn.CAddTable()([h, nn.Linear(2, 4)(b)])
    return nn.gModule([a, b], [out])


def _mapped(cls):
    return cls(tables.full(2, 3), 2, 2)


def _spatial_unpool():
    unpool = nn.SpatialMaxUnpooling(nn.SpatialMaxPooling(2, 2))
    refresh('SpatialMaxUnpooling', unpool)
    return unpool


def _pool_unpool():
    unpool = nn.VolumetricMaxUnpooling(nn.VolumetricMaxPooling(2, 2, 2))
    refresh('VolumetricMaxUnpooling', unpool)
    return unpool


def _reinforced(module):
    """A REINFORCE module (or a net holding them) given a reward for a batch of 2, so backward can run."""
    module.reinforce(lg.FloatTensor([1.0, -0.5]))
    return module


# name -> (constructor, input)
MODULES = {
    # containers
    'Sequential': (lambda: nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()), lambda: r(2, 3)),
    'Concat': (lambda: nn.Concat(1).add(nn.Linear(3, 2)).add(nn.Linear(3, 4)), lambda: r(2, 3)),
    'DepthConcat': (lambda: nn.DepthConcat(1).add(nn.SpatialConvolution(1, 2, 1, 1))
                    .add(nn.SpatialConvolution(1, 3, 3, 3)), lambda: r(2, 1, 4, 4)),
    'Parallel': (lambda: nn.Parallel(0, 0).add(nn.Linear(3, 2)).add(nn.Linear(3, 2)), lambda: r(2, 3)),
    'ConcatTable': (lambda: nn.ConcatTable().add(nn.Linear(3, 2)).add(nn.Identity()), lambda: r(2, 3)),
    'ParallelTable': (lambda: nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Tanh()), lambda: [r(2, 3), r(2, 2)]),
    'MapTable': (lambda: nn.MapTable(nn.Linear(3, 2)), lambda: [r(2, 3), r(2, 3)]),
    'DataParallelTable': (lambda: nn.DataParallelTable(0).add(nn.Linear(3, 2), [0, 1]), lambda: r(3, 3)),
    'Bottle': (lambda: nn.Bottle(nn.Linear(3, 2)), lambda: r(2, 4, 3)),
    'Convert': (lambda: nn.Convert('bchw', 'bhwc'), lambda: r(2, 3, 2, 2)),
    'Decorator': (lambda: nn.Decorator(nn.Linear(3, 2)), lambda: r(2, 3)),
    # casting in and out: the GPU sweep moves the net to the GPU, which leaves the Linear on the CPU
    'DontCast': (lambda: nn.DontCast(nn.Linear(3, 2), True), lambda: r(2, 3)),
    'NaN': (lambda: nn.NaN(nn.Linear(3, 2)), lambda: r(2, 3)),
    'Serial': (lambda: nn.Serial(nn.Linear(3, 2), 'torch.FloatTensor'), lambda: r(2, 3)),
    'Profile': (lambda: nn.Profile(nn.Linear(3, 2), 10 ** 9), lambda: r(2, 3)),
    'WeightNorm': (lambda: nn.WeightNorm(nn.Linear(3, 2)), lambda: r(2, 3)),
    'gModule': (_graph, lambda: [r(2, 3), r(2, 2)]),
    'JustElement': (nn.JustElement, lambda: [r(2, 3)]),
    'JustTable': (nn.JustTable, lambda: r(2, 3)),
    'ModuleFromCriterion': (lambda: nn.ModuleFromCriterion(nn.MSECriterion()), lambda: [r(2, 3), r(2, 3)]),
    # simple layers
    'Linear': (lambda: nn.Linear(3, 2), lambda: r(2, 3)),
    'Identity': (nn.Identity, lambda: r(2, 3)),
    'Tanh': (nn.Tanh, lambda: r(2, 3)),
    'Sigmoid': (nn.Sigmoid, lambda: r(2, 3)),
    'Threshold': (lambda: nn.Threshold(0.1, 0), lambda: r(2, 3)),
    'ReLU': (nn.ReLU, lambda: r(2, 3)),
    'HardTanh': (nn.HardTanh, lambda: r(2, 3)),
    'Abs': (nn.Abs, lambda: r(2, 3)),
    'Exp': (nn.Exp, lambda: r(2, 3)),
    'Log': (nn.Log, lambda: pos(2, 3)),
    'Sqrt': (nn.Sqrt, lambda: pos(2, 3)),
    'Square': (nn.Square, lambda: r(2, 3)),
    'Power': (lambda: nn.Power(2), lambda: r(2, 3)),
    'Clamp': (lambda: nn.Clamp(-0.5, 0.5), lambda: r(2, 3)),
    'AddConstant': (lambda: nn.AddConstant(1.5), lambda: r(2, 3)),
    'MulConstant': (lambda: nn.MulConstant(1.5), lambda: r(2, 3)),
    'BatchNormalization': (lambda: nn.BatchNormalization(3), lambda: r(4, 3)),
    'SpatialBatchNormalization': (lambda: nn.SpatialBatchNormalization(2), lambda: r(2, 2, 3, 3)),
    'VolumetricBatchNormalization': (lambda: nn.VolumetricBatchNormalization(2), lambda: r(2, 2, 2, 2, 2)),
    'LayerNormalization': (lambda: nn.LayerNormalization(3), lambda: r(2, 3)),
    'Bilinear': (lambda: nn.Bilinear(3, 2, 4), lambda: [r(2, 3), r(2, 2)]),
    'Euclidean': (lambda: nn.Euclidean(3, 2), lambda: r(2, 3)),
    'WeightedEuclidean': (lambda: nn.WeightedEuclidean(3, 2), lambda: r(2, 3)),
    'Cosine': (lambda: nn.Cosine(3, 2), lambda: r(2, 3)),
    'Dropout': (lambda: nn.Dropout(0.3), lambda: r(2, 3)),
    'IndexLinear': (lambda: nn.IndexLinear(6, 3), lambda: [longs(0, 2, 5), r(3)]),
    'LinearWeightNorm': (lambda: nn.LinearWeightNorm(3, 2), lambda: r(2, 3)),
    'LinearNoBias': (lambda: nn.LinearNoBias(3, 2), lambda: r(2, 3)),
    'LookupTable': (lambda: nn.LookupTable(5, 3), lambda: longs(0, 4, 2)),
    'SpatialUniformCrop': (lambda: nn.SpatialUniformCrop(3, 2), lambda: r(2, 2, 5, 4)),
    'SpatialFeatNormalization': (lambda: nn.SpatialFeatNormalization(lg.FloatTensor([0.5, -1]),
                                                                     lg.FloatTensor([2, 0.25])), lambda: r(2, 2, 3, 3)),
    'SimpleColorTransform': (lambda: nn.SimpleColorTransform(2, lg.FloatTensor([0.1, 0.2])), lambda: r(2, 2, 3, 3)),
    'PCAColorTransform': (lambda: nn.PCAColorTransform(2, lg.eye(2), lg.FloatTensor([1, 2])), lambda: r(2, 2, 3, 3)),
    'SpatialBinaryConvolution': (lambda: nn.SpatialBinaryConvolution(2, 3, 3, 3), lambda: r(2, 2, 5, 5)),
    'FireModule': (lambda: nn.FireModule(2, 2, 2, 2), lambda: r(1, 2, 4, 4)),
    'Inception': (lambda: nn.Inception({'inputSize': 2, 'outputSize': [2, 3], 'reduceSize': [2, 2, 1, 2]}),
                  lambda: r(1, 2, 5, 5)),
    'Clip': (lambda: nn.Clip(-0.5, 0.5), lambda: r(2, 3)),
    'TotalDropout': (lambda: nn.TotalDropout(0.5), lambda: r(2, 3)),
    'SpatialRegionDropout': (lambda: nn.SpatialRegionDropout(0.5), lambda: r(2, 4, 4)),
    'ReverseTable': (nn.ReverseTable, lambda: [r(2), r(3)]),
    'NCEModule': (lambda: nn.NCEModule(3, 5, 2, pos(5), 1), lambda: [r(2, 3), longs(0, 4)]),
    'Maxout': (lambda: nn.Maxout(3, 2, 2), lambda: r(2, 3)),
    'OneHot': (lambda: nn.OneHot(4), lambda: longs(0, 3, 1)),
    'GradientReversal': (nn.GradientReversal, lambda: r(2, 3)),
    'L1Penalty': (lambda: nn.L1Penalty(0.1), lambda: r(2, 3)),
    'ZeroGrad': (nn.ZeroGrad, lambda: r(2, 3)),
    'Constant': (lambda: nn.Constant(r(3), 1), lambda: r(2, 3)),
    'WhiteNoise': (lambda: nn.WhiteNoise(0, 0.1), lambda: r(2, 3)),
    'PrintSize': (lambda: nn.PrintSize('size'), lambda: r(2, 3)),
    'PartialLinear': (lambda: nn.PartialLinear(3, 5).setPartition(longs(4, 0, 2)), lambda: r(2, 3)),
    'PixelShuffle': (lambda: nn.PixelShuffle(2), lambda: r(1, 4, 2, 2)),
    'ELU': (nn.ELU, lambda: r(2, 3)),
    'LeakyReLU': (nn.LeakyReLU, lambda: r(2, 3)),
    'ReLU6': (nn.ReLU6, lambda: r(2, 3, lo=-2, hi=8)),
    'RReLU': (nn.RReLU, lambda: r(2, 3)),
    'PReLU': (lambda: nn.PReLU(3), lambda: r(2, 3)),
    'CReLU': (lambda: nn.CReLU(1), lambda: r(2, 3)),
    'Sum': (lambda: nn.Sum(1), lambda: r(2, 3)),
    'Mean': (lambda: nn.Mean(1), lambda: r(2, 3)),
    'Max': (lambda: nn.Max(1), lambda: r(2, 3)),
    'Min': (lambda: nn.Min(1), lambda: r(2, 3)),
    'Normalize': (lambda: nn.Normalize(2), lambda: r(2, 3)),
    'MM': (nn.MM, lambda: [r(2, 3), r(3, 4)]),
    'MV': (nn.MV, lambda: [r(2, 3), r(3)]),
    'View': (lambda: nn.View(6), lambda: r(2, 2, 3)),
    'Reshape': (lambda: nn.Reshape(6), lambda: r(2, 2, 3)),
    'Add': (lambda: nn.Add(3), lambda: r(2, 3)),
    'Mul': (nn.Mul, lambda: r(2, 3)),
    'CMul': (lambda: nn.CMul(3), lambda: r(2, 3)),
    'CAdd': (lambda: nn.CAdd(3), lambda: r(2, 3)),
    'Narrow': (lambda: nn.Narrow(1, 0, 2), lambda: r(2, 3)),
    'Select': (lambda: nn.Select(1, 1), lambda: r(2, 3)),
    'Transpose': (lambda: nn.Transpose((0, 1)), lambda: r(2, 3)),
    'Squeeze': (nn.Squeeze, lambda: r(2, 1, 3)),
    'Unsqueeze': (lambda: nn.Unsqueeze(1), lambda: r(2, 3)),
    'Replicate': (lambda: nn.Replicate(2, 1), lambda: r(2, 3)),
    'Padding': (lambda: nn.Padding(1, 2), lambda: r(2, 3)),
    'Contiguous': (nn.Contiguous, lambda: r(3, 2).t()),
    'Copy': (lambda: nn.Copy('legonn.FloatTensor', 'legonn.DoubleTensor'), lambda: r(2, 3)),
    'Collapse': (lambda: nn.Collapse(2), lambda: r(2, 2, 3)),
    'SoftShrink': (nn.SoftShrink, lambda: r(2, 3)),
    'HardShrink': (nn.HardShrink, lambda: r(2, 3)),
    'SoftPlus': (nn.SoftPlus, lambda: r(2, 3)),
    'SoftSign': (nn.SoftSign, lambda: r(2, 3)),
    'LogSigmoid': (nn.LogSigmoid, lambda: r(2, 3)),
    'TanhShrink': (nn.TanhShrink, lambda: r(2, 3)),
    'SoftMin': (nn.SoftMin, lambda: r(2, 3)),
    'GatedLinearUnit': (nn.GatedLinearUnit, lambda: r(2, 4)),
    'SoftMax': (nn.SoftMax, lambda: r(2, 3)),
    'LogSoftMax': (nn.LogSoftMax, lambda: r(2, 3)),
    'SparseLinear': (lambda: nn.SparseLinear(5, 3), lambda: lg.FloatTensor([[0, 1.0], [3, -2.0]])),
    # spatial / temporal / volumetric
    'SpatialConvolution': (lambda: nn.SpatialConvolution(2, 3, 3, 3), lambda: r(2, 2, 4, 4)),
    'SpatialConvolutionMM': (lambda: nn.SpatialConvolutionMM(2, 3, 3, 3), lambda: r(2, 2, 4, 4)),
    'SpatialFullConvolution': (lambda: nn.SpatialFullConvolution(2, 3, 3, 3), lambda: r(2, 2, 3, 3)),
    'SpatialDilatedConvolution': (lambda: nn.SpatialDilatedConvolution(2, 3, 2, 2, 1, 1, 0, 0, 2, 2),
                                  lambda: r(2, 2, 4, 4)),
    'SpatialDepthWiseConvolution': (lambda: nn.SpatialDepthWiseConvolution(2, 2, 3, 3), lambda: r(2, 2, 4, 4)),
    'SpatialConvolutionLocal': (lambda: nn.SpatialConvolutionLocal(2, 3, 4, 4, 3, 3), lambda: r(2, 2, 4, 4)),
    'SpatialConvolutionMap': (lambda: _mapped(nn.SpatialConvolutionMap), lambda: r(2, 2, 4, 4)),
    'SpatialFullConvolutionMap': (lambda: _mapped(nn.SpatialFullConvolutionMap), lambda: r(2, 3, 3)),
    'SpatialDropout': (nn.SpatialDropout, lambda: r(2, 3, 2, 2)),
    'VolumetricDropout': (nn.VolumetricDropout, lambda: r(2, 3, 2, 2, 2)),
    'SpatialCrossMapLRN': (lambda: nn.SpatialCrossMapLRN(3), lambda: r(2, 4, 3, 3)),
    'SpatialSubtractiveNormalization': (lambda: nn.SpatialSubtractiveNormalization(2), lambda: r(2, 5, 5)),
    'SpatialDivisiveNormalization': (lambda: nn.SpatialDivisiveNormalization(2), lambda: r(2, 5, 5)),
    'SpatialContrastiveNormalization': (lambda: nn.SpatialContrastiveNormalization(2), lambda: r(2, 5, 5)),
    'SpatialZeroPadding': (lambda: nn.SpatialZeroPadding(1), lambda: r(2, 2, 3, 3)),
    'SpatialReflectionPadding': (lambda: nn.SpatialReflectionPadding(1), lambda: r(2, 2, 3, 3)),
    'SpatialReplicationPadding': (lambda: nn.SpatialReplicationPadding(1), lambda: r(2, 2, 3, 3)),
    'VolumetricReplicationPadding': (lambda: nn.VolumetricReplicationPadding(1), lambda: r(1, 2, 2, 3, 3)),
    'SpatialMaxPooling': (lambda: nn.SpatialMaxPooling(2, 2), lambda: r(2, 2, 4, 4)),
    'SpatialDilatedMaxPooling': (lambda: nn.SpatialDilatedMaxPooling(2, 2, 1, 1, 0, 0, 2, 2), lambda: r(2, 2, 4, 4)),
    'SpatialAveragePooling': (lambda: nn.SpatialAveragePooling(2, 2), lambda: r(2, 2, 4, 4)),
    'SpatialLPPooling': (lambda: nn.SpatialLPPooling(2, 2, 2, 2), lambda: r(2, 2, 4, 4)),
    'SpatialSubSampling': (lambda: nn.SpatialSubSampling(2, 2, 2), lambda: r(2, 2, 4, 4)),
    'SpatialSoftMax': (nn.SpatialSoftMax, lambda: r(2, 3, 2, 2)),
    'SpatialLogSoftMax': (nn.SpatialLogSoftMax, lambda: r(2, 3, 2, 2)),
    'SpatialUpSamplingNearest': (lambda: nn.SpatialUpSamplingNearest(2), lambda: r(2, 2, 2, 2)),
    'SpatialUpSamplingBilinear': (lambda: nn.SpatialUpSamplingBilinear(2), lambda: r(2, 2, 2, 2)),
    'SpatialReSampling': (lambda: nn.SpatialReSampling({'oheight': 3, 'owidth': 5}), lambda: r(2, 2, 4, 4)),
    'MultiSoftMax': (lambda: nn.MultiSoftMax(), lambda: r(2, 3, 4)),
    'SoftMaxTree': (lambda: nn.SoftMaxTree(3, {0: lg.IntTensor([1, 2]), 1: lg.IntTensor([3, 4, 5])}),
                    lambda: [r(2, 3), lg.IntTensor([4, 2])]),
    'SpatialReSamplingEx': (lambda: nn.SpatialReSamplingEx({'oheight': 2, 'owidth': 2, 'mode': 'average', 'yDim': 2,
                                                            'xDim': 3}),
                            lambda: r(2, 2, 4, 5)),
    # nnx's spatial modules
    'SpatialLinear': (lambda: nn.SpatialLinear(3, 2), lambda: r(3, 4, 5)),
    'SpatialColorTransform': (lambda: nn.SpatialColorTransform('rgb2yuv'), lambda: pos(3, 4, 5)),
    'PixelSort': (lambda: nn.PixelSort(2), lambda: r(2, 3, 4, 6)),
    'SpatialUpSampling': (lambda: nn.SpatialUpSampling(2, 3), lambda: r(2, 3, 4)),
    'SpatialDownSampling': (lambda: nn.SpatialDownSampling(2, 2), lambda: r(2, 5, 6)),
    'SpatialMaxSampling': (lambda: nn.SpatialMaxSampling(3, 2), lambda: r(2, 5, 7)),
    'SpatialPadding': (lambda: nn.SpatialPadding(1, -1, 2, 0, None, None, 0.5), lambda: r(2, 3, 4)),
    'SpatialMatching': (lambda: nn.SpatialMatching(3, 2), lambda: [r(2, 3, 4), r(2, 5, 5)]),
    'SpatialRadialMatching': (lambda: nn.SpatialRadialMatching(3), lambda: [r(2, 3, 4), r(2, 5, 4)]),
    'SpatialGraph': (lambda: nn.SpatialGraph(), lambda: pos(3, 4, 5)),
    'SpatialClassifier': (lambda: nn.SpatialClassifier(nn.Linear(3, 2)), lambda: r(3, 2, 4)),
    'SpatialPyramid': (lambda: nn.SpatialPyramid([1, 2], [nn.SpatialConvolution(2, 3, 3, 3),
                                                          nn.SpatialConvolution(2, 3, 3, 3)], 3, 3, 1, 1),
                       lambda: r(2, 4, 4)),
    'SpatialNormalization': (lambda: nn.SpatialNormalization(2, lg.FloatTensor([[1, 2, 1], [2, 4, 2], [1, 2, 1]])),
                             lambda: r(2, 4, 5)),
    'SpatialFovea': (lambda: nn.SpatialFovea(2, [1, 2], [nn.SpatialConvolution(2, 3, 1, 1),
                                                          nn.SpatialConvolution(2, 3, 1, 1)]), lambda: r(2, 4, 4)),
    'TemporalConvolution': (lambda: nn.TemporalConvolution(3, 2, 2), lambda: r(2, 4, 3)),
    'TemporalRowConvolution': (lambda: nn.TemporalRowConvolution(3, 2), lambda: r(2, 4, 3)),
    'TemporalMaxPooling': (lambda: nn.TemporalMaxPooling(2), lambda: r(2, 4, 3)),
    'TemporalSubSampling': (lambda: nn.TemporalSubSampling(3, 2), lambda: r(4, 3)),
    'TemporalDynamicKMaxPooling': (lambda: nn.TemporalDynamicKMaxPooling(2), lambda: r(4, 3)),
    'VolumetricConvolution': (lambda: nn.VolumetricConvolution(2, 2, 2, 2, 2), lambda: r(1, 2, 3, 3, 3)),
    'VolumetricDilatedConvolution': (lambda: nn.VolumetricDilatedConvolution(2, 2, 2, 2, 2),
                                     lambda: r(1, 2, 3, 3, 3)),
    'VolumetricFullConvolution': (lambda: nn.VolumetricFullConvolution(2, 2, 2, 2, 2), lambda: r(1, 2, 2, 2, 2)),
    'VolumetricMaxPooling': (lambda: nn.VolumetricMaxPooling(2, 2, 2), lambda: r(1, 2, 4, 4, 4)),
    'VolumetricDilatedMaxPooling': (lambda: nn.VolumetricDilatedMaxPooling(2, 2, 2), lambda: r(1, 2, 4, 4, 4)),
    'VolumetricAveragePooling': (lambda: nn.VolumetricAveragePooling(2, 2, 2), lambda: r(1, 2, 4, 4, 4)),
    'VolumetricMaxUnpooling': (_pool_unpool, lambda: r(1, 2, 2, 2, 2)),
    'VolumetricFractionalMaxPooling': (lambda: nn.VolumetricFractionalMaxPooling(2, 2, 2, 2, 2, 2),
                                       lambda: r(1, 2, 4, 4, 4)),
    'FeatureLPPooling': (lambda: nn.FeatureLPPooling(2, 1, 2, True), lambda: r(2, 4)),
    'Kmeans': (lambda: nn.Kmeans(3, 2), lambda: r(4, 2)),
    'SpatialAdaptiveAveragePooling': (lambda: nn.SpatialAdaptiveAveragePooling(2, 2), lambda: r(2, 2, 5, 5)),
    'SpatialAdaptiveMaxPooling': (lambda: nn.SpatialAdaptiveMaxPooling(2, 2), lambda: r(2, 2, 5, 5)),
    'SpatialFractionalMaxPooling': (lambda: nn.SpatialFractionalMaxPooling(2, 2, 2, 2), lambda: r(2, 2, 5, 5)),
    'SpatialMaxUnpooling': (_spatial_unpool, lambda: r(2, 2, 2, 2)),
    'UpSampling': (lambda: nn.UpSampling(2), lambda: r(2, 2, 2, 2)),
    # tables
    'MaskedSelect': (nn.MaskedSelect, lambda: [r(2, 3), lg.ByteTensor([[1, 0, 1], [0, 0, 1]])]),
    'CAddTable': (nn.CAddTable, lambda: [r(2, 3), r(2, 3)]),
    'CSubTable': (nn.CSubTable, lambda: [r(2, 3), r(2, 3)]),
    'CMulTable': (nn.CMulTable, lambda: [r(2, 3), r(2, 3)]),
    'CDivTable': (nn.CDivTable, lambda: [r(2, 3), pos(2, 3)]),
    'CMaxTable': (nn.CMaxTable, lambda: [r(2, 3), r(2, 3)]),
    'CMinTable': (nn.CMinTable, lambda: [r(2, 3), r(2, 3)]),
    'DotProduct': (nn.DotProduct, lambda: [r(2, 3), r(2, 3)]),
    'CosineDistance': (nn.CosineDistance, lambda: [r(2, 3), r(2, 3)]),
    'PairwiseDistance': (nn.PairwiseDistance, lambda: [r(2, 3), r(2, 3)]),
    'MixtureTable': (nn.MixtureTable, lambda: [pos(2, 2), [r(2, 3), r(2, 3)]]),
    'JoinTable': (lambda: nn.JoinTable(1), lambda: [r(2, 3), r(2, 2)]),
    'SplitTable': (lambda: nn.SplitTable(1), lambda: r(2, 3)),
    'SelectTable': (lambda: nn.SelectTable(1), lambda: [r(2, 3), r(2, 2)]),
    'NarrowTable': (lambda: nn.NarrowTable(0, 2), lambda: [r(2, 3), r(2, 2), r(1)]),
    'FlattenTable': (nn.FlattenTable, lambda: [r(2, 3), [r(2, 2), r(1)]]),
    'ZipTable': (nn.ZipTable, lambda: [[r(2), r(3)], [r(2), r(3)]]),
    'ZipTableOneToMany': (nn.ZipTableOneToMany, lambda: [r(2), [r(3), r(3)]]),
    'CAddTensorTable': (nn.CAddTensorTable, lambda: [r(2, 3), [r(2, 3), r(2, 3)]]),
    'Index': (lambda: nn.Index(0), lambda: [r(4, 3), longs(2, 0)]),
    # the rnn package's sequence modules (seqlen x batch x features)
    'SeqLSTM': (lambda: nn.SeqLSTM(3, 2), lambda: r(4, 2, 3)),
    'SeqLSTMP': (lambda: nn.SeqLSTMP(3, 4, 2), lambda: r(4, 2, 3)),
    'SeqGRU': (lambda: nn.SeqGRU(3, 2), lambda: r(4, 2, 3)),
    'SeqBRNN': (lambda: nn.SeqBRNN(3, 2), lambda: r(4, 2, 3)),
    'SeqReverseSequence': (nn.SeqReverseSequence, lambda: r(4, 2, 3)),
    'ReverseSequence': (nn.ReverseSequence, lambda: r(4, 2, 3)),
    'Sequencer': (lambda: nn.Sequencer(nn.Linear(3, 2)), lambda: r(4, 2, 3)),
    'BiSequencer': (lambda: nn.BiSequencer(nn.LSTM(3, 2)), lambda: [r(2, 3), r(2, 3), r(2, 3)]),
    'BiSequencerLM': (lambda: nn.BiSequencerLM(nn.LSTM(3, 2)), lambda: [r(2, 3), r(2, 3), r(2, 3)]),
    # the rnn package's masking and support modules (row 0 of the first input is padding)
    'MaskZero': (lambda: nn.MaskZero(nn.Sequential().add(nn.ParallelTable().add(nn.Linear(3, 2))
                                                       .add(nn.Linear(2, 2))).add(nn.CAddTable()), 1),
                 lambda: [r(3, 3).indexFill(0, longs(0), 0), r(3, 2)]),
    'TrimZero': (lambda: nn.TrimZero(nn.Linear(3, 2), 1), lambda: r(3, 3).indexFill(0, longs(0), 0)),
    'LookupTableMaskZero': (lambda: nn.LookupTableMaskZero(5, 3), lambda: longs(0, -1, 4)),
    'CopyGrad': (nn.CopyGrad, lambda: r(2, 3)),
    'SAdd': (lambda: nn.SAdd(-1, True), lambda: r(2, 3)),
    'ExpandAs': (nn.ExpandAs, lambda: [r(2, 3), r(2, 1)]),
    # dpnn's REINFORCE modules and their companions
    'Reinforce': (lambda: _reinforced(nn.Reinforce()), lambda: r(2, 3)),
    'ReinforceNormal': (lambda: _reinforced(nn.ReinforceNormal(0.5)), lambda: r(2, 3)),
    'ReinforceBernoulli': (lambda: _reinforced(nn.ReinforceBernoulli()), lambda: pos(2, 3).mul(0.9)),
    'ReinforceCategorical': (lambda: _reinforced(nn.ReinforceCategorical()), lambda: pos(2, 3)),
    'ReinforceGamma': (lambda: _reinforced(nn.ReinforceGamma(0.5)), lambda: pos(2, 3)),
    'ArgMax': (lambda: nn.ArgMax(0, 1), lambda: r(2, 3)),
    'CategoricalEntropy': (nn.CategoricalEntropy, lambda: pos(2, 3)),
    'SpatialGlimpse': (lambda: nn.SpatialGlimpse(2, 2), lambda: [r(2, 1, 6, 6), r(2, 2)]),
    'RecurrentAttention': (lambda: _reinforced(nn.RecurrentAttention(
        nn.Sequential().add(nn.JoinTable(1)).add(nn.Linear(6, 3)).add(nn.Tanh()),
        nn.Sequential().add(nn.Linear(3, 2)).add(nn.ReinforceNormal(0.5)), 2, [3])), lambda: r(2, 4)),
    'Recursor': (lambda: nn.Recursor(nn.Linear(3, 2)), lambda: r(2, 3)),
    'Recurrent': (lambda: nn.Recurrent(2, nn.Linear(3, 2), nn.Linear(2, 2)), lambda: r(2, 3)),
    'Repeater': (lambda: nn.Repeater(nn.Recurrent(2, nn.Linear(3, 2), nn.Linear(2, 2)), 3), lambda: r(2, 3)),
    'Recurrence': (lambda: nn.Recurrence(nn.Sequential().add(nn.ParallelTable().add(nn.Linear(3, 2))
                                                             .add(nn.Linear(2, 2))).add(nn.CAddTable()), 2, 1),
                   lambda: r(2, 3)),
    # the rnn package's cells: one step per forward, a batch x features input
    'LSTM': (lambda: nn.LSTM(3, 2), lambda: r(2, 3)),
    'FastLSTM': (lambda: nn.FastLSTM(3, 2), lambda: r(2, 3)),
    'GRU': (lambda: nn.GRU(3, 2), lambda: r(2, 3)),
    'MuFuRu': (lambda: nn.MuFuRu(3, 2), lambda: r(2, 3)),
    'NormStabilizer': (lambda: nn.NormStabilizer(2), lambda: r(2, 3)),
    # torch/rnn's: one-step modules taking {x, state...}, their step-by-step containers, VariableLength
    'StepLSTM': (lambda: nn.StepLSTM(3, 2), lambda: [r(2, 3), r(2, 2), r(2, 2)]),
    'StepGRU': (lambda: nn.StepGRU(3, 2), lambda: [r(2, 3), r(2, 2)]),
    'RecLSTM': (lambda: nn.RecLSTM(3, 4, 2), lambda: r(2, 3)),
    'RecGRU': (lambda: nn.RecGRU(3, 2), lambda: r(2, 3)),
    'LinearRNN': (lambda: nn.LinearRNN(3, 2), lambda: r(2, 3)),
    'LookupRNN': (lambda: nn.LookupRNN(5, 2), lambda: longs(0, 4)),
    'VariableLength': (lambda: nn.VariableLength(nn.SeqLSTM(3, 2)), lambda: [r(2, 3), r(4, 3), r(1, 3)]),
    'ReverseUnreverse': (lambda: nn.ReverseUnreverse(nn.SeqGRU(3, 2)), lambda: r(4, 2, 3)),
    'SeqBLSTM': (lambda: nn.SeqBLSTM(3, 2), lambda: r(4, 2, 3)),
    'SeqBGRU': (lambda: nn.SeqBGRU(3, 2), lambda: r(4, 2, 3)),
}

# name -> (constructor, input, target)
CRITERIONS = {
    'MSECriterion': (nn.MSECriterion, lambda: r(2, 3), lambda: r(2, 3)),
    'AbsCriterion': (nn.AbsCriterion, lambda: r(2, 3), lambda: r(2, 3)),
    'SmoothL1Criterion': (nn.SmoothL1Criterion, lambda: r(2, 3), lambda: r(2, 3)),
    'WeightedMSECriterion': (lambda: nn.WeightedMSECriterion(pos(3)), lambda: r(2, 3), lambda: r(2, 3)),
    'L1Cost': (nn.L1Cost, lambda: r(2, 3), lambda: None),
    'BCECriterion': (nn.BCECriterion, lambda: pos(2, 3).mul(0.9), lambda: lg.FloatTensor([[0, 1, 1], [1, 0, 0]])),
    'ClassNLLCriterion': (nn.ClassNLLCriterion, lambda: r(2, 3), lambda: longs(2, 0)),
    'CrossEntropyCriterion': (nn.CrossEntropyCriterion, lambda: r(2, 3), lambda: longs(2, 0)),
    'SpatialClassNLLCriterion': (nn.SpatialClassNLLCriterion, lambda: r(2, 3, 2, 2),
                                 lambda: lg.LongTensor([[[0, 1], [2, 0]], [[1, 1], [2, 2]]])),
    'ClassSimplexCriterion': (lambda: nn.ClassSimplexCriterion(3), lambda: r(2, 3), lambda: longs(2, 0)),
    'DistKLDivCriterion': (nn.DistKLDivCriterion, lambda: r(2, 3), lambda: pos(2, 3)),
    'HingeEmbeddingCriterion': (nn.HingeEmbeddingCriterion, lambda: r(4), lambda: lg.FloatTensor([1, -1, 1, -1])),
    'L1HingeEmbeddingCriterion': (nn.L1HingeEmbeddingCriterion, lambda: [r(3), r(3)], lambda: 1),
    'CosineEmbeddingCriterion': (nn.CosineEmbeddingCriterion, lambda: [r(2, 3), r(2, 3)],
                                 lambda: lg.FloatTensor([1, -1])),
    'DistanceRatioCriterion': (nn.DistanceRatioCriterion, lambda: [pos(2, 3), pos(2, 3)], lambda: None),
    'MarginCriterion': (nn.MarginCriterion, lambda: r(4), lambda: lg.FloatTensor([1, -1, 1, -1])),
    'SoftMarginCriterion': (nn.SoftMarginCriterion, lambda: r(4), lambda: lg.FloatTensor([1, -1, 1, -1])),
    'MultiLabelSoftMarginCriterion': (nn.MultiLabelSoftMarginCriterion, lambda: r(2, 3),
                                      lambda: lg.FloatTensor([[0, 1, 1], [1, 0, 0]])),
    'MultiMarginCriterion': (nn.MultiMarginCriterion, lambda: r(2, 3), lambda: longs(2, 0)),
    'MultiLabelMarginCriterion': (nn.MultiLabelMarginCriterion, lambda: r(2, 3),
                                  lambda: lg.LongTensor([[2, 0, -1], [1, -1, -1]])),
    'NCECriterion': (nn.NCECriterion, lambda: [pos(2), pos(2, 3), pos(2), pos(2, 3)], lambda: None),
    'TreeNLLCriterion': (nn.TreeNLLCriterion, lambda: r(3, lo=-2, hi=-0.1), lambda: None),
    'BinaryLogisticRegression': (nn.BinaryLogisticRegression, lambda: r(3, 1), lambda: lg.FloatTensor([1, -1, 1])),
    'SpatialBinaryLogisticRegression': (nn.SpatialBinaryLogisticRegression, lambda: r(2, 1, 3, 3),
                                        lambda: r(2, 1, 3, 3).sign()),
    'MarginRankingCriterion': (nn.MarginRankingCriterion, lambda: [r(3), r(3)], lambda: lg.FloatTensor([1, -1, 1])),
    'ParallelCriterion': (lambda: nn.ParallelCriterion().add(nn.MSECriterion()).add(nn.AbsCriterion(), 0.5),
                          lambda: [r(2, 3), r(2)], lambda: [r(2, 3), r(2)]),
    'MultiCriterion': (lambda: nn.MultiCriterion().add(nn.MSECriterion()).add(nn.AbsCriterion(), 0.5),
                       lambda: r(2, 3), lambda: r(2, 3)),
    'ModuleCriterion': (lambda: nn.ModuleCriterion(nn.MSECriterion(), nn.Tanh()), lambda: r(2, 3), lambda: r(2, 3)),
    'SpatialAutoCropMSECriterion': (nn.SpatialAutoCropMSECriterion, lambda: r(2, 2, 2), lambda: r(2, 4, 4)),
    'SequencerCriterion': (lambda: nn.SequencerCriterion(nn.ClassNLLCriterion()), lambda: r(4, 2, 3),
                           lambda: lg.LongTensor([[0, 1], [2, 0], [1, 1], [2, 2]])),
    'MaskZeroCriterion': (lambda: nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1),
                          lambda: r(3, 3).indexFill(0, longs(1), 0), lambda: longs(2, -1, 0)),
    'RepeaterCriterion': (lambda: nn.RepeaterCriterion(nn.ClassNLLCriterion()), lambda: r(4, 2, 3),
                          lambda: lg.LongTensor([0, 2])),
    'VRClassReward': (lambda: nn.VRClassReward(nn.Reinforce()), lambda: [r(2, 3), r(2)], lambda: longs(2, 0)),
    'BinaryClassReward': (lambda: nn.BinaryClassReward(nn.Reinforce()), lambda: [pos(2), r(2)],
                          lambda: longs(1, 0)),
}

# CriterionTable is a module whose input is [input, target]
MODULES['CriterionTable'] = (lambda: nn.CriterionTable(nn.MSECriterion()), lambda: [r(2, 3), r(2, 3)])

# nnx's criterions and non-spatial modules (CTCCriterion's target: a table of label sequences, 0 the blank)
def _pulled():
    """A PullTable whose PushTable has pushed a batch of 2 targets (what it inserts)."""
    push = nn.PushTable(1)
    pull = push.pull(1)
    push.forward([r(2, 3), r(2)])
    return pull


@lg.register
class _Doubling:
    """FunctionWrapper's functions in the example: a registered callable class, which lg.save can store (it
    never stores code); called with the module, then the tensors, it doubles the last one (init: nothing)."""

    def __call__(self, module, *tensors):
        return tensors[-1].clone().mul(2) if tensors else None


MODULES.update({
    'PushTable': (lambda: nn.PushTable(1), lambda: [r(2, 3), r(2)]),
    'PullTable': (_pulled, lambda: [r(2, 4)]),
    'Balance': (lambda: nn.Balance(2), lambda: pos(3, 4)),
    'Minus': (nn.Minus, lambda: r(2, 3)),
    'SaturatedLU': (nn.SaturatedLU, lambda: r(2, 3, lo=-2, hi=2)),
    'QDRiemaNNLinear': (lambda: nn.QDRiemaNNLinear(3, 2), lambda: r(4, 3)),
    'SoftMaxForest': (lambda: nn.SoftMaxForest(3, [{0: lg.IntTensor([1, 2]), 1: lg.IntTensor([3, 4])},
                                                   {0: lg.IntTensor([1, 2, 3, 4])}], [0, 0], [2]),
                      lambda: [r(2, 3), lg.IntTensor([3, 1])]),
    'FunctionWrapper': (lambda: nn.FunctionWrapper(_Doubling(), _Doubling(), _Doubling()), lambda: r(2, 3)),
    'Probe': (lambda: nn.Probe('catalog'), lambda: r(2, 3)),
    'Tic': (lambda: nn.Tic('catalog'), lambda: r(2, 3)),
    'Toc': (lambda: (nn.Tic('catalog'), nn.Toc('catalog'))[1], lambda: r(2, 3)),
})
CRITERIONS.update({
    'CTCCriterion': (nn.CTCCriterion, lambda: r(3, 2, 4), lambda: [[1], [2, 3]]),
    'SuperCriterion': (lambda: nn.SuperCriterion().add(nn.MSECriterion()).add(nn.AbsCriterion(), 0.5),
                       lambda: [r(2, 3), r(2)], lambda: [r(2, 3), r(2)]),
    'DistNLLCriterion': (nn.DistNLLCriterion, lambda: r(2, 3), lambda: pos(2, 3)),
    'DistMarginCriterion': (nn.DistMarginCriterion, lambda: r(2, 3),
                            lambda: lg.LongTensor([[2, -1, -1], [0, 1, -1]])),
})


# stnbhwd's spatial transformer: BHWD images, (y, x) grids in [-1, 1]
MODULES.update({
    'AffineGridGeneratorBHWD': (lambda: nn.AffineGridGeneratorBHWD(3, 4), lambda: r(2, 2, 3)),
    'BilinearSamplerBHWD': (nn.BilinearSamplerBHWD, lambda: [r(2, 4, 5, 3), r(2, 3, 4, 2)]),
    'AffineTransformMatrixGenerator': (lambda: nn.AffineTransformMatrixGenerator(True, True, True),
                                       lambda: r(2, 4)),
})

# spynet's spy package: BHWD bilinear up-scaling
MODULES.update({
    'ScaleBHWD': (lambda: nn.ScaleBHWD(2), lambda: r(2, 3, 4, 2)),
})

# Classes whose catalog example fails in code still being written by its engineer (reported to the lead):
# the tests that run them are strict xfails, so they turn red the day the finding is fixed.
KNOWN_BROKEN = {}


def refresh(name, obj):
    """Unpooling reads its pooling module's indices, which clearState empties: run the pooling again. A
    step-by-step recurrent module is saved as clearState leaves it, forgotten (step 0): start both anew."""
    if isinstance(obj, nn.AbstractRecurrent):
        obj.forget()
    if name in ('SpatialMaxUnpooling', 'VolumetricMaxUnpooling'):
        lg.manualSeed(3)
        obj.pooling.forward(r(2, 2, 4, 4) if name == 'SpatialMaxUnpooling' else r(1, 2, 4, 4, 4))


def cases(broken=None):
    """pytest params for every concrete class, known-broken ones as strict xfails naming the finding."""
    import pytest
    broken = dict(KNOWN_BROKEN, **(broken or {}))
    params = []
    for name in concrete_names():
        marks = [pytest.mark.xfail(reason=broken[name], strict=True)] if name in broken else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def build(name):
    """(object, input, target or None) for the class ``name``, ready to run."""
    if name in CRITERIONS:
        make, x, t = CRITERIONS[name]
        return make(), x(), t()
    make, x = MODULES[name]
    return make(), x(), None


def concrete_names():
    return sorted(n for n in nn.registry if n not in ABSTRACT and nn.registry[n].__module__.startswith('legonn.'))


def run(obj, x, target):
    """Forward and (for modules) backward once; returns the outputs as host NumPy copies."""
    if isinstance(obj, nn.Criterion):
        loss = obj.forward(x, target) if target is not None else obj.forward(x)
        grad = obj.backward(x, target) if target is not None else obj.backward(x)
        return [np.asarray(loss, dtype=np.float64)] + host(grad)
    out = obj.forward(x)
    outs = host(out)
    grad_out = grad_like(out)
    grad_in = obj.backward(x, grad_out)
    return outs + host(grad_in)


def host(tree):
    if isinstance(tree, (list, tuple)):
        return [a for v in tree for a in host(v)]
    return [np.array(tree.array if hasattr(tree, 'array') else tree)]


def grad_like(tree):
    if isinstance(tree, (list, tuple)):
        return [grad_like(v) for v in tree]
    if not hasattr(tree, 'new'):  # a loss (CriterionTable)
        return lg.FloatTensor([1.0])
    g = tree.new().resizeAs(tree)
    if g.dtype.kind == 'f':
        g.fill(0.5)
    else:
        g.zero()
    return g
