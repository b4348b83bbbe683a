"""test_warpingSE3.lua: warps iclnuim/rgb/100.png by the camera motion (0.00104319, -0.00694122, -0.00333668,
0, 0, 0) over iclnuim/depth/100.png (read from the working directory, scaled by 65535/5000 as the Lua does),
on the GPU (``:cuda()`` kept: it runs where a GPU or CuPy's host simulator is). Returns ``outImage`` (the Lua
displays its first image: ``image.save('display_1.png', ...)``, docs/porting.md's image.display row).
``dofile('imagewarpingSE3.lua')`` is imagewarpingSE3's ``build()``.
"""
import legonn as lg
from legonn import image

from . import imagewarpingSE3


def main():
    warping_net = imagewarpingSE3.build()

    ref_rgb_image = image.load('iclnuim/rgb/100.png')

    ref_depth_image = image.load('iclnuim/depth/100.png')
    ref_depth_image = (ref_depth_image * 65535) / 5000.0

    print(ref_rgb_image.size())
    print(ref_depth_image.size())

    data_ref_rgb = lg.Tensor(1, 3, 480, 640)
    data_ref_rgb[0] = ref_rgb_image

    data_ref_depth = lg.Tensor(1, 1, 480, 640)
    data_ref_depth[0] = ref_depth_image

    so3_t_vector = lg.Tensor(1, 6).uniform()

    # tx, ty, tz, rx, ry, rz
    # -0.00119339 -0.00449791 -0.00122229 0.00104319 -0.00694122 -0.00333668

    # so3 and translation vector

    so3_t_vector[0][0] = 0.00104319
    so3_t_vector[0][1] = -0.00694122
    so3_t_vector[0][2] = -0.00333668

    so3_t_vector[0][3] = 0  # -0.0119339
    so3_t_vector[0][4] = 0  # -0.00449791
    so3_t_vector[0][5] = 0  # -0.00122229

    inputTable = [data_ref_rgb.cuda(), so3_t_vector.cuda(), data_ref_depth.cuda()]

    outImage = warping_net.cuda().forward(inputTable)

    image.save('display_1.png', outImage[0])
    return outImage
