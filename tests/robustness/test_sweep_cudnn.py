"""The robustness sweep of test_sweep.py (wrong ranks, sizes, dtypes, empty batches, NaN/Inf, non-contiguous
views, a wrong device) over legonn.cudnn's classes, which live outside nn.registry and so outside catalog.py;
``LEGONN_SWEEP_DEVICE=cuda`` moves them to the GPU as there."""
import pytest

import legonn as lg
from legonn import cudnn
from tests.robustness import test_sweep
from tests.robustness.catalog import r
from tests.robustness.perturb import KINDS

# Lua name: (object, clean input, target) factories
CASES = {
    'SpatialConvolution': (lambda: cudnn.SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1, 2), lambda: r(2, 4, 5, 5)),
    'TemporalConvolution': (lambda: cudnn.TemporalConvolution(3, 4, 3, 1, 1), lambda: r(2, 5, 3)),
    'SpatialFullConvolution': (lambda: cudnn.SpatialFullConvolution(2, 3, 3, 3), lambda: r(2, 2, 4, 4)),
    'VolumetricConvolution': (lambda: cudnn.VolumetricConvolution(2, 3, 2, 2, 2), lambda: r(2, 2, 3, 3, 3)),
    'VolumetricFullConvolution': (lambda: cudnn.VolumetricFullConvolution(2, 2, 2, 2, 2), lambda: r(1, 2, 2, 2, 2)),
    'SpatialMaxPooling': (lambda: cudnn.SpatialMaxPooling(2, 2).ceil(), lambda: r(2, 3, 5, 5)),
    'SpatialAveragePooling': (lambda: cudnn.SpatialAveragePooling(2, 2), lambda: r(2, 3, 4, 4)),
    'VolumetricMaxPooling': (lambda: cudnn.VolumetricMaxPooling(2, 2, 2), lambda: r(2, 2, 4, 4, 4)),
    'VolumetricAveragePooling': (lambda: cudnn.VolumetricAveragePooling(2, 2, 2), lambda: r(2, 4, 4, 4)),
    'ReLU': (lambda: cudnn.ReLU(), lambda: r(3, 4)),
    'Tanh': (lambda: cudnn.Tanh(), lambda: r(3, 4)),
    'Sigmoid': (lambda: cudnn.Sigmoid(), lambda: r(3, 4)),
    'ClippedReLU': (lambda: cudnn.ClippedReLU(0.5), lambda: r(3, 4)),
    'SoftMax': (lambda: cudnn.SoftMax(), lambda: r(2, 3, 2, 2)),
    'LogSoftMax': (lambda: cudnn.LogSoftMax(), lambda: r(2, 5)),
    'SpatialSoftMax': (lambda: cudnn.SpatialSoftMax(), lambda: r(2, 3, 2, 2)),
    'SpatialLogSoftMax': (lambda: cudnn.SpatialLogSoftMax(), lambda: r(3, 2, 2)),
    'VolumetricSoftMax': (lambda: cudnn.VolumetricSoftMax(), lambda: r(2, 3, 2, 2, 2)),
    'VolumetricLogSoftMax': (lambda: cudnn.VolumetricLogSoftMax(), lambda: r(3, 2, 2, 2)),
    'SpatialCrossMapLRN': (lambda: cudnn.SpatialCrossMapLRN(), lambda: r(2, 6, 3, 3)),
    'BatchNormalization': (lambda: cudnn.BatchNormalization(3), lambda: r(4, 3)),
    'SpatialBatchNormalization': (lambda: cudnn.SpatialBatchNormalization(3), lambda: r(2, 3, 2, 2)),
    'VolumetricBatchNormalization': (lambda: cudnn.VolumetricBatchNormalization(2), lambda: r(2, 2, 2, 2, 2)),
    'RNNReLU': (lambda: cudnn.RNNReLU(3, 4, 1), lambda: r(4, 2, 3)),
    'RNNTanh': (lambda: cudnn.RNNTanh(3, 4, 2, False, 0.3), lambda: r(4, 2, 3)),
    'LSTM': (lambda: cudnn.LSTM(3, 4, 2), lambda: r(4, 2, 3)),
    'GRU': (lambda: cudnn.GRU(3, 4, 1, True), lambda: r(2, 4, 3)),
    'BLSTM': (lambda: cudnn.BLSTM(3, 4, 1), lambda: r(4, 2, 3)),
    'BGRU': (lambda: cudnn.BGRU(3, 4, 1), lambda: r(4, 2, 3)),
    'SpatialCrossEntropyCriterion': (lambda: cudnn.SpatialCrossEntropyCriterion(), lambda: r(2, 3, 2, 2),
                                     lambda: lg.LongTensor(2, 2, 2).random(3)),
    'VolumetricCrossEntropyCriterion': (lambda: cudnn.VolumetricCrossEntropyCriterion(), lambda: r(2, 3, 2, 2, 2),
                                        lambda: lg.LongTensor(2, 2, 2, 2).random(3)),
}


@pytest.mark.skipif(test_sweep.ON_GPU, reason="a check of this file's table, made by the CPU sweep")
def test_every_class_is_swept():
    assert sorted(CASES) == sorted(n for n in cudnn.__all__ if isinstance(getattr(cudnn, n), type) and n != 'RNN')


@pytest.mark.filterwarnings('ignore:invalid value encountered:RuntimeWarning')
@pytest.mark.parametrize('kind', [pytest.param(k, marks=test_sweep.DEVICE_MARKS) for k in KINDS])
@pytest.mark.parametrize('name', list(CASES))
def test_bad_input(name, kind):
    test_sweep.sweep('cudnn.' + name, kind, *test_sweep.built_from(CASES[name]))
