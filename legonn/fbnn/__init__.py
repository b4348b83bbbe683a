"""``require 'fbnn'``: facebookarchive/fbnn's classes (this helper's part: spatial, temporal and misc)."""
from .dropout import Dropout, IndividualDropout, NestedDropout
from .filters import DifferenceOfGaussian, LaplacianOfGaussian
from .misc import Constant, LeakyReLU
from .normalization import L2Normalize, ProjectiveGradientNormalization
from .probe import Probe
from .spatial import CrossMapNormalization, LocallyConnected, Upsample
from .temporal import GroupKMaxPooling, KMaxPooling, TemporalConvolutionTBC, UnfoldedTemporalConvolution

__all__ = ['Constant', 'CrossMapNormalization', 'DifferenceOfGaussian', 'Dropout', 'GroupKMaxPooling',
           'IndividualDropout', 'KMaxPooling', 'L2Normalize', 'LaplacianOfGaussian', 'LeakyReLU', 'LocallyConnected',
           'NestedDropout', 'Probe', 'ProjectiveGradientNormalization', 'TemporalConvolutionTBC',
           'UnfoldedTemporalConvolution', 'Upsample']
