"""ankurhanda/gvnn (GPL, README.md's License section: "GPL. We would like to thank Dyson Technologies Limited
for supporting this work.") ported line by line onto legonn, one Python file per Lua file under the Lua file's
name; tests/porting/test_gvnn.py runs it.

init.lua: ``require 'nn'`` and ``include`` of each module file, ``return nn``. The modules gvnn copies from
qassemoquab/stnbhwd (AffineTransformMatrixGenerator.lua, AffineGridGeneratorBHWD.lua, BilinearSamplerBHWD.lua
with its C kernel generic/BilinearSamplerBHWD.c and the CUDA one; the same code as stnbhwd's but for blank
lines, comments and the C kernel reading ``self.output`` where stnbhwd passes it) are legonn's own ``nn.``
classes, not ported again. The others are this package's classes, each registered under its Torch7 name (``nn.X``, which
``lg.register`` lets ``lg.load`` and the Torch7 files use; none is a name legonn's nn has), and reached as
``gvnn.X`` where the Lua says ``nn.X``: a ported package adds no classes to legonn's nn (docs/porting.md's
``torch.class('nn.MyLayer', 'nn.Module')`` row). ``require 'cutorch'``, ``libgvnn`` and ``libcugvnn`` are the
C/CUDA libraries of the sampler: legonn's BilinearSamplerBHWD computes on NumPy and CuPy.

Not ported: SlantedPlaneDisparityBHWD.lua, which init.lua does not include (its updateGradInput reads the nil
local ``PerPixelSlant``); init.lua's commented-out TransformationMatrix3x4GeneratorQuat, Transform3DPoints and
Huber (no such files in the repository).

Edits common to several files (each file's docstring lists its own):

* Pixel coordinates: the modules' ``for i=1,self.height do ... fill((i - v0)/fy)`` use the loop variable as a
  value, a 1-based pixel coordinate: the loops run over ``range(1, height + 1)`` and index with ``i - 1``, so
  the grids hold the Lua's numbers; only indices are 0-based.
* Each Lua file has its own ``local function addOuterDim`` (and the SO3 files their ``dR_by_dvi``), the same
  code: the first port holding it (Transform3DPoints_R.py, TransformationRotationSO3.py,
  NonRigidPerPixelSO3.py) defines it and the others import it.
"""
from .DenseAffineOpticFlowBHWD import DenseAffineOpticFlowBHWD
from .Disparity1D import Disparity1DBHWD
from .NonRigidPerPixelSE2 import NonRigidSE2BHWD
from .NonRigidPerPixelSE3 import NonRigidPerPixelSE3
from .NonRigidPerPixelSO3 import NonRigidRotationSO3
from .OpticalFlow2D import OpticalFlow2DBHWD
from .PinHoleCameraProjectionBHWD import PinHoleCameraProjectionBHWD
from .ReverseXYOrder import ReverseXYOrder
from .Transform3DPoints_depth import Transform3DPoints_depth
from .Transform3DPoints_R import Transform3DPoints_R
from .Transform3DPoints_Rt import Transform3DPoints_Rt
from .TransformationMatrix3x4GeneratorEuler import TransformationMatrix3x4Euler
from .TransformationMatrix3x4GeneratorSO3 import TransformationMatrix3x4SO3
from .TransformationRotationSO3 import TransformationRotationSO3
