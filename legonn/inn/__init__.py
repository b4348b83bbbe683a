"""``require 'inn'``: the classes of szagoruyko/imagine-nn as legonn modules, and ``inn.utils``.

inn's CUDA-only classes (SpatialStochasticPooling, ROIPooling) compute their .cu kernels' maths with legonn's
own array code, on NumPy or CuPy: a model built with them also runs on the CPU. The others are, as in inn,
nn's classes or small compositions of them. ``legonn.typename`` names them 'inn.ROIPooling', their repr
starts with ``inn.`` and ``lg.save``/``lg.load`` keep them inn's. Indices are 0-based: ROIPooling's boxes
``(image, x1, y1, x2, y2)`` count images and pixels from 0.
"""
from . import utils
from .affine import ConstAffine, MeanSubtraction
from .normalization import SpatialCrossResponseNormalization, SpatialSameResponseNormalization
from .pooling import SpatialAveragePooling, SpatialMaxPooling, SpatialPyramidPooling, SpatialStochasticPooling
from .roi_pooling import ROIPooling

__all__ = ['ConstAffine', 'MeanSubtraction', 'ROIPooling', 'SpatialAveragePooling', 'SpatialCrossResponseNormalization',
           'SpatialMaxPooling', 'SpatialPyramidPooling', 'SpatialSameResponseNormalization', 'SpatialStochasticPooling',
           'utils']
