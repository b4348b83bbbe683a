"""jzbontar/mc-cnn (Stereo Matching by Training a Convolutional Neural Network to Compare Image Patches, BSD-2-Clause
licence) ported line by line; the test file is tests/porting/test_mccnn.py. One .py per .lua: main.lua (main.py,
its script as ``main(arg)``), Margin2.lua, Normalize2.lua, StereoJoin.lua, StereoJoin1.lua, BCECriterion2.lua,
SpatialConvolution1_fw.lua; the C/CUDA bindings it requires are adcensus.py (adcensus.cu, ``require
'libadcensus'``) and cv.py (cv.cpp, ``require 'libcv'``: OpenCV's cubic affine warp). main.lua's ``include`` lines
register the classes under their ``nn.`` names (``lg.register``), as its ``torch.class('nn.X', ...)`` does, without
extending legonn's nn namespace (docs/porting.md's torch.class row).

Not ported: SpatialLogSoftMax.lua/.cu (main.lua's include is commented out), Test.lua and test.lua (a Jacobian
checker and the modules' tests on CUDA; test.lua includes a Normalize.lua the repository lacks), which
test_mccnn.py's finite differences and hand-computed values replace, predict_kitti.lua and
samples/ (PNG and .bin converters), preprocess_kitti.lua/preprocess_mb.py (they read the KITTI and Middlebury PNGs
and build the .bin files with make_dataset2; the test writes its synthetic pair in the same .bin/.dim/.type layout),
the hyper-parameter search scripts (hs.py, rgs*.py, *.sh).
"""
import legonn as lg

from .BCECriterion2 import BCECriterion2
from .Margin2 import Margin2
from .Normalize2 import Normalize2
from .SpatialConvolution1_fw import SpatialConvolution1_fw
from .StereoJoin import StereoJoin
from .StereoJoin1 import StereoJoin1

for cls in (Margin2, Normalize2, BCECriterion2, StereoJoin, StereoJoin1, SpatialConvolution1_fw):
    lg.register(cls, 'nn.' + cls.__name__)
