"""The robustness sweep of test_sweep.py (wrong ranks, sizes, dtypes, empty batches, NaN/Inf, non-contiguous
views, a wrong device) over legonn.fbnn's classes, which live outside nn.registry and so outside catalog.py;
``LEGONN_SWEEP_DEVICE=cuda`` moves them to the GPU as there."""
import pytest

import legonn as lg
from legonn import fbnn
from tests.robustness import test_sweep
from tests.robustness.catalog import r
from tests.robustness.perturb import KINDS

# Lua name: (object, clean input, target) factories; Optim is no module, CachingLookupTable refuses
# accGradParameters (the Lua's assert: it trains by accUpdateGradParameters only) and DifferenceOfGaussian has no
# backward (the Lua defines none), so they are not swept
CASES = {
    'LinearNB': (lambda: fbnn.LinearNB(4, 3), lambda: r(2, 4)),
    'LinearNoBackprop': (lambda: fbnn.LinearNoBackprop(4, 3), lambda: r(2, 4)),
    'NormalizedLinearNoBias': (lambda: fbnn.NormalizedLinearNoBias(4, 3), lambda: r(2, 4)),
    'SegSparseLinear': (lambda: fbnn.SegSparseLinear(5, 3),
                        lambda: [lg.LongTensor([0, 0, 1]), lg.LongTensor([1, 4, 1]), r(3)]),
    'SparseLinear': (lambda: fbnn.SparseLinear(6, 3, False, True),   # sparse update refuses a 2nd backward
                     lambda: [lg.LongTensor([[0, 5], [2, 1]]), r(2, 2)]),
    'SparseThreshold': (lambda: fbnn.SparseThreshold(0.1), lambda: r(5, 2)),
    'WeightedLookupTable': (lambda: fbnn.WeightedLookupTable(6, 3),
                            lambda: lg.FloatTensor([[0, 0.5], [5, -1], [2, 2]])),
    'FasterLookup': (lambda: fbnn.FasterLookup(6, 3), lambda: lg.LongTensor([0, 5, 2])),
    'LookupTableGPU': (lambda: fbnn.LookupTableGPU(6, 3), lambda: lg.LongTensor([[0, 5], [2, 1]])),
    'TrueNLLCriterion': (lambda: fbnn.TrueNLLCriterion(), lambda: r(3, 4).abs(), lambda: lg.LongTensor([0, 3, 1])),
    'SoftPlusLSECriterion': (lambda: fbnn.SoftPlusLSECriterion(), lambda: r(3, 4)),
    'SoftPlusLSEMinusLSECriterion': (lambda: fbnn.SoftPlusLSEMinusLSECriterion(), lambda: r(3, 4)),
    'ClassNLLCriterionWithUNK': (lambda: fbnn.ClassNLLCriterionWithUNK(0), lambda: r(3, 4),
                                 lambda: lg.LongTensor([0, 3, 1])),
    'SparseNLLCriterion': (lambda: fbnn.SparseNLLCriterion(2), lambda: r(2, 4),
                           lambda: [lg.FloatTensor([[0.5, 0.5], [1, 0]]), lg.LongTensor([[0, 3], [2, 1]])]),
    'SequentialCriterion': (lambda: fbnn.SequentialCriterion(lg.nn.Tanh(), lg.nn.MSECriterion()), lambda: r(3, 4),
                            lambda: r(3, 4)),
    'HSM': (lambda: fbnn.HSM([[0, 0], [0, 1], [1, 0]], 4), lambda: r(2, 4), lambda: lg.LongTensor([2, 0])),
    'ClassHierarchicalNLLCriterion': (lambda: fbnn.ClassHierarchicalNLLCriterion(
        lg.LongTensor([[0, 0], [0, 1], [1, 0]]), lg.LongTensor([2, 1]), 4), lambda: r(4), lambda: 2),
    'Constant': (lambda: fbnn.Constant(0.5), lambda: r(4, 3)),
    'LeakyReLU': (lambda: fbnn.LeakyReLU(0.1), lambda: r(3, 4)),
    'L2Normalize': (lambda: fbnn.L2Normalize(), lambda: r(3, 5)),
    'ProjectiveGradientNormalization': (lambda: fbnn.ProjectiveGradientNormalization(), lambda: r(2, 3, 4)),
    'Dropout': (lambda: fbnn.Dropout(0.5), lambda: r(3, 4)),
    'NestedDropout': (lambda: fbnn.NestedDropout(0.1), lambda: r(3, 4)),
    'IndividualDropout': (lambda: fbnn.IndividualDropout(lg.Tensor([0.2, 0.5, 0.1, 0.9])), lambda: r(3, 4)),
    'Probe': (lambda: fbnn.Probe(lg.nn.Linear(4, 3)), lambda: r(2, 4)),
    'Upsample': (lambda: fbnn.Upsample(2), lambda: r(2, 3, 4)),
    'CrossMapNormalization': (lambda: fbnn.CrossMapNormalization(3, 0.5, 0.75), lambda: r(5, 2, 3)),
    'LocallyConnected': (lambda: fbnn.LocallyConnected(2, 5, 4, 3, 2, 3), lambda: r(2, 4, 5)),
    'LaplacianOfGaussian': (lambda: fbnn.LaplacianOfGaussian(2, 0.5), lambda: r(2, 6, 7)),
    'KMaxPooling': (lambda: fbnn.KMaxPooling(3), lambda: r(6, 4)),
    'GroupKMaxPooling': (lambda: fbnn.GroupKMaxPooling(3), lambda: r(6, 4)),
    'TemporalKMaxPooling': (lambda: fbnn.TemporalKMaxPooling(3), lambda: r(2, 6, 4)),
    'TemporalConvolutionTBC': (lambda: fbnn.TemporalConvolutionTBC(3, 4, 3), lambda: r(6, 2, 3)),
    'UnfoldedTemporalConvolution': (lambda: fbnn.UnfoldedTemporalConvolution(3, 2, 3), lambda: r(2, 5, 3)),
}


@pytest.mark.skipif(test_sweep.ON_GPU, reason="a check of this file's table, made by the CPU sweep")
def test_every_class_is_swept():
    unswept = ('Optim', 'CachingLookupTable', 'DifferenceOfGaussian')
    assert sorted(CASES) == sorted(n for n in fbnn.__all__ if isinstance(getattr(fbnn, n), type) and n not in unswept)


@pytest.mark.filterwarnings('ignore:invalid value encountered:RuntimeWarning')
@pytest.mark.parametrize('kind', [pytest.param(k, marks=test_sweep.DEVICE_MARKS) for k in KINDS])
@pytest.mark.parametrize('name', list(CASES))
def test_bad_input(name, kind):
    test_sweep.sweep(lg.typename(CASES[name][0]()), kind, *test_sweep.built_from(CASES[name]))
