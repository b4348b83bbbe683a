"""mylib/helper.lua of chuanli11/CNNMRF, ported line by line (tests/porting/cnnmrf's docstring lists the edits).
Coordinates are 0-based: ``computegrid`` starts its grids at 0 where the Lua's start at 1."""
import math

import legonn as lg


def computeMRF(input, size, stride, gpu, backend):
    coord_x, coord_y = computegrid(input.size()[2], input.size()[1], size, stride)
    dim_1 = input.size()[0] * size * size
    dim_2 = coord_y.nElement()
    dim_3 = coord_x.nElement()
    t_feature_mrf = lg.Tensor(dim_2 * dim_3, input.size()[0], size, size)

    if gpu >= 0:
        if backend == 'cudnn':
            t_feature_mrf = t_feature_mrf.cuda()
        else:
            t_feature_mrf = t_feature_mrf.cl()
    count = 0
    for i_row in range(dim_2):
        for i_col in range(dim_3):
            t_feature_mrf[count] = input[0:input.size()[0], coord_y[i_row]:coord_y[i_row] + size,
                                         coord_x[i_col]:coord_x[i_col] + size]
            count = count + 1
    feature_mrf = t_feature_mrf.resize(dim_2 * dim_3, dim_1)

    return t_feature_mrf, feature_mrf, coord_x, coord_y


def computeMRFnoTensor(input, size, stride, gpu, backend):
    coord_x, coord_y = computegrid(input.size()[2], input.size()[1], size, stride)
    dim_1 = input.size()[0] * size * size
    dim_2 = coord_y.nElement()
    dim_3 = coord_x.nElement()
    t_feature_mrf = lg.Tensor(dim_2 * dim_3, input.size()[0], size, size)

    if gpu >= 0:
        if backend == 'cudnn':
            t_feature_mrf = t_feature_mrf.cuda()
        else:
            t_feature_mrf = t_feature_mrf.cl()
    count = 0
    for i_row in range(dim_2):
        for i_col in range(dim_3):
            t_feature_mrf[count] = input[0:input.size()[0], coord_y[i_row]:coord_y[i_row] + size,
                                         coord_x[i_col]:coord_x[i_col] + size]
            count = count + 1
    feature_mrf = t_feature_mrf.resize(dim_2 * dim_3, dim_1)

    t_feature_mrf = None
    return feature_mrf, coord_x, coord_y


def drill_computeMRFfull(input, size, stride, gpu):
    coord_x, coord_y = computegrid(input.size()[2], input.size()[1], size, stride, 1)
    dim = lg.Tensor(2)
    return coord_x, coord_y


def sampleMRFAndTensorfromLocation2(coord_x, coord_y, input, size, gpu=None):
    t_feature_mrf = lg.Tensor(coord_x.nElement(), input.size()[0], size, size)
    for i_patch in range(coord_x.nElement()):
        t_feature_mrf[i_patch] = input[0:input.size()[0], coord_y[i_patch]:coord_y[i_patch] + size,
                                       coord_x[i_patch]:coord_x[i_patch] + size]
    feature_mrf = t_feature_mrf.reshape(coord_x.nElement(), input.size()[0] * size * size)
    return t_feature_mrf, feature_mrf


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
        px1 = (((x1 * y4 - y1 * x4) * (x1r - x2r) - (x1 - x4) * (x1r * y2r - y1r * x2r))
               / ((x1 - x4) * (y1r - y2r) - (y1 - y4) * (x1r - x2r)))
        py1 = (((x1 * y4 - y1 * x4) * (y1r - y2r) - (y1 - y4) * (x1r * y2r - y1r * x2r))
               / ((x1 - x4) * (y1r - y2r) - (y1 - y4) * (x1r - x2r)))
        px2 = px1 + 1
        py2 = py1
        # find the intersection Q of line [px1, py1]-[px2, py2] and [x2r, y2r]-[x3r][y3r]

        qx = (((px1 * py2 - py1 * px2) * (x2r - x3r) - (px1 - px2) * (x2r * y3r - y2r * x3r))
              / ((px1 - px2) * (y2r - y3r) - (py1 - py2) * (x2r - x3r)))
        qy = (((px1 * py2 - py1 * px2) * (y2r - y3r) - (py1 - py2) * (x2r * y3r - y2r * x3r))
              / ((px1 - px2) * (y2r - y3r) - (py1 - py2) * (x2r - x3r)))

        min_x = width - qx
        min_y = qy
        max_x = qx
        max_y = height - qy
    else:
        if alpha < 0:
            # find intersection P of line [x2, y2]-[x3, y3] and [x1r, y1r]-[x2r, y2r]
            px1 = (((x2 * y3 - y2 * x3) * (x1r - x2r) - (x2 - x3) * (x1r * y2r - y1r * x2r))
                   / ((x2 - x3) * (y1r - y2r) - (y2 - y3) * (x1r - x2r)))
            py1 = (((x2 * y3 - y1 * x3) * (y1r - y2r) - (y2 - y3) * (x1r * y2r - y1r * x2r))
                   / ((x2 - x3) * (y1r - y2r) - (y2 - y3) * (x1r - x2r)))
            px2 = px1 - 1
            py2 = py1
            # find the intersection Q of line [px1, py1]-[px2, py2] and [x1r, y1r]-[x4r][y4r]
            qx = (((px1 * py2 - py1 * px2) * (x1r - x4r) - (px1 - px2) * (x1r * y4r - y1r * x4r))
                  / ((px1 - px2) * (y1r - y4r) - (py1 - py2) * (x1r - x4r)))
            qy = (((px1 * py2 - py1 * px2) * (y1r - y4r) - (py1 - py2) * (x1r * y4r - y1r * x4r))
                  / ((px1 - px2) * (y1r - y4r) - (py1 - py2) * (x1r - x4r)))
            min_x = qx
            min_y = qy
            max_x = width - min_x
            max_y = height - min_y
        else:
            min_x = x1
            min_y = y1
            max_x = x2
            max_y = y3

    # the Lua's 1-based box, read by the wrapper as 1-based ranges {min_y, max_y}
    return max(math.floor(min_x), 1), max(math.floor(min_y), 1), math.floor(max_x), math.floor(max_y)


def computegrid(width, height, block_size, block_stride, flag_all=None):
    coord_block_y = lg.range(0, height - block_size, block_stride)
    if flag_all == 1:
        if coord_block_y[-1] < height - block_size:
            tail = lg.Tensor(1)
            tail[0] = height - block_size
            coord_block_y = lg.cat(coord_block_y, tail)
    coord_block_x = lg.range(0, width - block_size, block_stride)
    if flag_all == 1:
        if coord_block_x[-1] < width - block_size:
            tail = lg.Tensor(1)
            tail[0] = width - block_size
            coord_block_x = lg.cat(coord_block_x, tail)
    return coord_block_x, coord_block_y


def preprocess(img):
    mean_pixel = lg.Tensor([103.939, 116.779, 123.68])
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).mul(256.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img


# Undo the above preprocessing.
def deprocess(img):
    mean_pixel = lg.Tensor([103.939, 116.779, 123.68])
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img = img + mean_pixel.float()
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).div(256.0)
    return img


def run_tests(run_type, list_params):
    wrapper = run_type
    for i_test in range(len(list_params)):
        wrapper.run_test(*list_params[i_test])
