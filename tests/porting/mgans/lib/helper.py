"""code/lib/helper.lua of chuanli11/MGANs (MIT licence), ported line by line: computeBB (the axis-aligned box
inside an image rotated by ``alpha``, 1-based pixel coordinates as AG_wrapper.lua crops with them), computegrid
(block positions over an image) and weights_init (DCGAN's initialisation: the same lines as pix2pix's
models.lua, whose port tests/porting/test_pix2pix.py holds, imported from there).

computegrid's block positions stay 1-based, as the Lua computes them: MDAN_wrapper.py, which reads them, takes 1 off
where it slices with them.
"""
import math

import legonn as lg
from tests.porting.test_pix2pix import weights_init  # noqa: F401 (helper.lua defines it)


def computeBB(width, height, alpha):
    x1 = 1
    y1 = 1
    x2 = width
    y2 = 1
    x3 = width
    y3 = height
    x4 = 1
    y4 = height
    x0 = width / 2
    y0 = height / 2

    x1r = x0 + (x1 - x0) * math.cos(alpha) + (y1 - y0) * math.sin(alpha)
    y1r = y0 - (x1 - x0) * math.sin(alpha) + (y1 - y0) * math.cos(alpha)

    x2r = x0 + (x2 - x0) * math.cos(alpha) + (y2 - y0) * math.sin(alpha)
    y2r = y0 - (x2 - x0) * math.sin(alpha) + (y2 - y0) * math.cos(alpha)

    x3r = x0 + (x3 - x0) * math.cos(alpha) + (y3 - y0) * math.sin(alpha)
    y3r = y0 - (x3 - x0) * math.sin(alpha) + (y3 - y0) * math.cos(alpha)

    x4r = x0 + (x4 - x0) * math.cos(alpha) + (y4 - y0) * math.sin(alpha)
    y4r = y0 - (x4 - x0) * math.sin(alpha) + (y4 - y0) * math.cos(alpha)

    if alpha > 0:
        # find intersection P of line [x1, y1]-[x4, y4] and [x1r, y1r]-[x2r, y2r]
        px1 = ((x1 * y4 - y1 * x4) * (x1r - x2r) - (x1 - x4) * (x1r * y2r - y1r * x2r)) / \
            ((x1 - x4) * (y1r - y2r) - (y1 - y4) * (x1r - x2r))
        py1 = ((x1 * y4 - y1 * x4) * (y1r - y2r) - (y1 - y4) * (x1r * y2r - y1r * x2r)) / \
            ((x1 - x4) * (y1r - y2r) - (y1 - y4) * (x1r - x2r))
        px2 = px1 + 1
        py2 = py1
        # find the intersection Q of line [px1, py1]-[px2, py2] and [x2r, y2r]-[x3r][y3r]

        qx = ((px1 * py2 - py1 * px2) * (x2r - x3r) - (px1 - px2) * (x2r * y3r - y2r * x3r)) / \
            ((px1 - px2) * (y2r - y3r) - (py1 - py2) * (x2r - x3r))
        qy = ((px1 * py2 - py1 * px2) * (y2r - y3r) - (py1 - py2) * (x2r * y3r - y2r * x3r)) / \
            ((px1 - px2) * (y2r - y3r) - (py1 - py2) * (x2r - x3r))

        min_x = width - qx
        min_y = qy
        max_x = qx
        max_y = height - qy
    else:
        if alpha < 0:
            # find intersection P of line [x2, y2]-[x3, y3] and [x1r, y1r]-[x2r, y2r]
            px1 = ((x2 * y3 - y2 * x3) * (x1r - x2r) - (x2 - x3) * (x1r * y2r - y1r * x2r)) / \
                ((x2 - x3) * (y1r - y2r) - (y2 - y3) * (x1r - x2r))
            py1 = ((x2 * y3 - y1 * x3) * (y1r - y2r) - (y2 - y3) * (x1r * y2r - y1r * x2r)) / \
                ((x2 - x3) * (y1r - y2r) - (y2 - y3) * (x1r - x2r))
            px2 = px1 - 1
            py2 = py1
            # find the intersection Q of line [px1, py1]-[px2, py2] and [x1r, y1r]-[x4r][y4r]
            qx = ((px1 * py2 - py1 * px2) * (x1r - x4r) - (px1 - px2) * (x1r * y4r - y1r * x4r)) / \
                ((px1 - px2) * (y1r - y4r) - (py1 - py2) * (x1r - x4r))
            qy = ((px1 * py2 - py1 * px2) * (y1r - y4r) - (py1 - py2) * (x1r * y4r - y1r * x4r)) / \
                ((px1 - px2) * (y1r - y4r) - (py1 - py2) * (x1r - x4r))
            min_x = qx
            min_y = qy
            max_x = width - min_x
            max_y = height - min_y
        else:
            min_x = x1
            min_y = y1
            max_x = x2
            max_y = y3

    return math.floor(min_x), math.floor(min_y), math.floor(max_x), math.floor(max_y)


def computegrid(width, height, block_size, block_stride, flag_all):
    coord_block_y = lg.range(1, height - block_size + 1, block_stride)
    if flag_all == 1:
        if coord_block_y[-1] < height - block_size + 1:
            tail = lg.Tensor(1)
            tail[0] = height - block_size + 1
            coord_block_y = lg.cat(coord_block_y, tail)
    coord_block_x = lg.range(1, width - block_size + 1, block_stride)
    if flag_all == 1:
        if coord_block_x[-1] < width - block_size + 1:
            tail = lg.Tensor(1)
            tail[0] = width - block_size + 1
            coord_block_x = lg.cat(coord_block_x, tail)
    return coord_block_x, coord_block_y

