"""``require 'fbnn'``: the classes of facebookarchive/fbnn as legonn modules.

Each keeps the name its Lua's torch.class gives it: ``legonn.typename`` says 'nn.TrueNLLCriterion' or
'fbnn.NormalizedLinearNoBias' and reprs start so. fbnn's classes live in this package, never in
``legonn.nn``: loading fbnn in Lua replaces some of nn's classes (SparseLinear, LeakyReLU, ...), and legonn's
packages never change each other. ``lg.save`` records them as 'fbnn.X', so a file can hold fbnn's and nn's
class of one name. Labels and indices are 0-based.

fbcunn's LookupTableGPU and TemporalKMaxPooling (classes that are no CUDA twins of nn classes) are here too:
facebookarchive/SCRNNs builds its embeddings with the first, facebookarchive/NAMAS's beam search picks its
k best words with the second.

Not provided: the classes that need Facebook's non-open ``sparse`` package (SparseConverter, SparseKmax,
SparseLookupTable, SparseSum).
"""
from .caching_lookup import CachingLookupTable
from .criterions import (ClassNLLCriterionWithUNK, SequentialCriterion, SoftPlusLSECriterion, SparseNLLCriterion,
                         SoftPlusLSEMinusLSECriterion, TrueNLLCriterion)
from .dropout import Dropout, IndividualDropout, NestedDropout
from .filters import DifferenceOfGaussian, LaplacianOfGaussian
from .hierarchical import ClassHierarchicalNLLCriterion
from .hsm import HSM
from .linears import LinearNB, LinearNoBackprop, NormalizedLinearNoBias
from .lookups import FasterLookup, LookupTableGPU, WeightedLookupTable
from .misc import Constant, LeakyReLU
from .normalization import L2Normalize, ProjectiveGradientNormalization
from .optim import Optim
from .probe import Probe
from .seg_sparse_linear import SegSparseLinear
from .sparse import SparseThreshold
from .sparse_linear import SparseLinear
from .spatial import CrossMapNormalization, LocallyConnected, Upsample
from .temporal import (GroupKMaxPooling, KMaxPooling, TemporalConvolutionTBC, TemporalKMaxPooling,
                       UnfoldedTemporalConvolution)

__all__ = ['CachingLookupTable', 'ClassHierarchicalNLLCriterion', 'ClassNLLCriterionWithUNK', 'Constant',
           'CrossMapNormalization', 'DifferenceOfGaussian', 'Dropout', 'FasterLookup', 'GroupKMaxPooling', 'HSM',
           'IndividualDropout', 'KMaxPooling', 'L2Normalize', 'LaplacianOfGaussian', 'LeakyReLU', 'LinearNB',
           'LinearNoBackprop', 'LocallyConnected', 'LookupTableGPU', 'NestedDropout', 'NormalizedLinearNoBias', 'Optim', 'Probe',
           'ProjectiveGradientNormalization', 'SegSparseLinear', 'SequentialCriterion', 'SoftPlusLSECriterion',
           'SoftPlusLSEMinusLSECriterion', 'SparseLinear', 'SparseNLLCriterion', 'SparseThreshold',
           'TemporalConvolutionTBC', 'TemporalKMaxPooling', 'TrueNLLCriterion', 'UnfoldedTemporalConvolution',
           'Upsample',
           'WeightedLookupTable']
