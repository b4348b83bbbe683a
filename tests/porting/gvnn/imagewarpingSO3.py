"""imagewarpingSO3.lua: the warping network of a rotation-only camera motion. The Lua sets globals (concat,
height, width, u0, v0, fx, fy, tranet, rotation_net, warping_net) for test_warpingSO3.lua's ``dofile``: the
port is ``build()``, returning the three networks test_warpingSO3 uses, ``(tranet, rotation_net,
warping_net)``. ``nn.Transpose({2,3},{3,4})`` takes 0-based dimension pairs.
"""
import legonn as lg  # noqa: F401 -- the Lua's require 'nn' / 'gvnn'
from legonn import nn

from . import PinHoleCameraProjectionBHWD, ReverseXYOrder, Transform3DPoints_R, TransformationRotationSO3

height = 240
width = 320
u0 = 160
v0 = 120

fx = 240
fy = 240


def build():
    concat = nn.ConcatTable()

    # first branch is there to transpose inputs to BHWD, for the bilinear sampler
    tranet = nn.Sequential()
    tranet.add(nn.SelectTable(0))
    tranet.add(nn.Identity())
    tranet.add(nn.Transpose([1, 2], [2, 3]))

    rotation_net = nn.Sequential()
    rotation_net.add(nn.SelectTable(1))
    rotation_net.add(TransformationRotationSO3())
    rotation_net.add(Transform3DPoints_R(height, width, fx, fy, u0, v0))
    rotation_net.add(PinHoleCameraProjectionBHWD(height, width, fx, fy, u0, v0))
    rotation_net.add(ReverseXYOrder())

    concat.add(tranet)
    concat.add(rotation_net)

    warping_net = nn.Sequential()
    warping_net.add(concat)
    warping_net.add(nn.BilinearSamplerBHWD())
    warping_net.add(nn.Transpose([2, 3], [1, 2]))
    return tranet, rotation_net, warping_net
