"""test_warpingSO3.lua: warps linen1.png (a 240 x 320 grey image, read from the working directory) by the
rotation (0.2, 0, 0) and saves ``warped.png``. ``main()`` returns ``(out_i, out_r, out_w)`` for a test to look
at (the Lua prints their sizes). ``image.display`` is ``image.save`` of the same image to ``display_<n>.png``
(docs/porting.md's image.display row). ``dofile('imagewarpingSO3.lua')`` is imagewarpingSO3's ``build()``.
"""
import legonn as lg
from legonn import image

from . import imagewarpingSO3


def main():
    tranet, rotation_net, warping_net = imagewarpingSO3.build()

    x = image.loadPNG('linen1.png')
    input = lg.Tensor(1, 1, 240, 320)
    input[0] = x

    r = lg.Tensor(1, 3).zero()
    r[0][0] = 0.2

    t = [input, r]

    out_i = tranet.forward(t)

    print(out_i.size())

    out_r = rotation_net.forward(t)

    print(out_r.size())

    out_w = warping_net.forward(t)

    print(out_w.size())

    w = out_w[0]

    image.save('display_1.png', x)
    image.save('display_2.png', w)

    image.save('warped.png', w)
    return out_i, out_r, out_w
