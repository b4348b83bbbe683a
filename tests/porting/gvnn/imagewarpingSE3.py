"""imagewarpingSE3.lua: the warping network of a camera motion [R | t] over a depth map (480 x 640, the
ICL-NUIM camera with fy = -480). The Lua's globals (concat, concat_Rt_depth, height, ..., tranet, Rt_net, depth,
Transformation3x4net, warping_net) are ``build()``'s, which returns ``warping_net`` (the one test_warpingSE3.lua
uses). ``nn.SelectTable(3)`` and the Transposes take 0-based numbers.
"""
import legonn as lg  # noqa: F401 -- the Lua's require 'nn' / 'gvnn'
from legonn import nn

from . import PinHoleCameraProjectionBHWD, ReverseXYOrder, Transform3DPoints_Rt, TransformationMatrix3x4SO3

height = 480  # 240
width = 640  # 320
u0 = 320  # 160
v0 = 240  # 120

fx = 480  # 240
fy = -480  # 240


def build():
    concat = nn.ConcatTable()
    concat_Rt_depth = nn.ConcatTable()

    # first branch is there to transpose inputs to BHWD, for the bilinear sampler
    tranet = nn.Sequential()
    tranet.add(nn.SelectTable(0))
    tranet.add(nn.Identity())
    tranet.add(nn.Transpose([1, 2], [2, 3]))

    # converts the 6-vector (3-vector so3 for rotation and 3-vector for translation)
    Rt_net = nn.Sequential()
    Rt_net.add(nn.SelectTable(1))
    Rt_net.add(TransformationMatrix3x4SO3(True, False, True))

    depth = nn.Sequential()
    depth.add(nn.SelectTable(2))

    concat_Rt_depth.add(Rt_net)
    concat_Rt_depth.add(depth)

    Transformation3x4net = nn.Sequential()
    Transformation3x4net.add(concat_Rt_depth)
    Transformation3x4net.add(Transform3DPoints_Rt(height, width, fx, fy, u0, v0))
    Transformation3x4net.add(PinHoleCameraProjectionBHWD(height, width, fx, fy, u0, v0))
    Transformation3x4net.add(ReverseXYOrder())

    concat.add(tranet)
    concat.add(Transformation3x4net)

    warping_net = nn.Sequential()
    warping_net.add(concat)
    warping_net.add(nn.BilinearSamplerBHWD())
    warping_net.add(nn.Transpose([2, 3], [1, 2]))
    return warping_net
