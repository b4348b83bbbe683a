"""torch/image's test/test_rotate.lua (75 lines) and test/test_warp.lua (146 lines), ported literally. Both are
scripts a person runs and looks at: they print mean distances and timings and open windows with
``image.display``, asserting nothing. Each script block is one test here, naming its lines; the edits are
docs/porting.md's (``torch.`` is ``lg.``, ``:`` is ``.``, 0-based indices, ``sys.clock`` is
``time.perf_counter``), and each test asserts what the person was to see, as the docstrings say:

- test_rotate.lua: rotating by theta and then by 2 pi - theta gives back the centre of the picture (the
  mean distance it prints is small), and ``rotate(src, theta)`` and ``rotate(dst, src, theta)`` agree;
- test_warp.lua: the upscaling field reads the source at its pixels every 73 destination pixels (all four
  modes give them back), bilinear upscaling is ``image.scale``'s, the rotation field is ``image.rotate``'s by
  the opposite angle, the pad value fills exactly the points the field sends off the picture, and a zero
  displacement field copies the picture's top-left corner (float and double).

``image.display`` is refused in legonn (no window system, docs/porting.md's image.display row): its calls
are left out, each marked where it stood. ``image.lena()`` is the picture of tests/porting/image_testlua.py.
Both scripts run in FloatTensor (their line 3)."""
import math
import time

import pytest

import legonn as lg
from legonn import image
from tests.porting.image_testlua import photograph


@pytest.fixture
def lena(tmp_path):
    """``image.lena``: init.lua's ``image.load(path, 3)`` of a 3 x 512 x 512 picture (in the default type)."""
    return photograph(tmp_path, 'lena.ppm', 512, 512, 3)


# ---- test_rotate.lua ------------------------------------------------------------------------------------

def _test_rotate(src, mode):
    """test_rotate.lua lines 6-64 (its local ``test_rotate``): ten random angles, each rotated there and back
    in both call forms; the mean distance of the centre crops to the source's is printed (and asserted, with
    the forms' agreement: see the module docstring)."""
    lg.manualSeed(11)
    mean_dist = 0.0
    mean_turned = 0.0   # not in the Lua: the same distance for the picture rotated once, to compare with
    for i in range(10):
        theta = lg.uniform(0, 2 * math.pi)

        # rotate
        if mode:
            d1 = image.rotate(src, theta, mode)
            d2 = src.new().resizeAs(src)
            image.rotate(d2, src, theta, mode)
        else:
            d1 = image.rotate(src, theta)
            d2 = src.new().resizeAs(src)
            image.rotate(d2, src, theta)
        assert d1.equal(d2), 'the two forms of image.rotate differ'

        # revert
        revert = 2 * math.pi - theta
        if mode:
            d3 = image.rotate(d1, revert, mode)
            d4 = src.new().resizeAs(src)
            image.rotate(d4, d2, revert, mode)
        else:
            d3 = image.rotate(d1, revert)
            d4 = src.new().resizeAs(src)
            image.rotate(d4, d2, revert)

        # diff
        if src.dim() == 3:
            cs = image.crop(src, src.size(1) / 4, src.size(2) / 4, src.size(1) / 4 * 3, src.size(2) / 4 * 3)
            c3 = image.crop(d3, src.size(1) / 4, src.size(2) / 4, src.size(1) / 4 * 3, src.size(2) / 4 * 3)
            c4 = image.crop(d4, src.size(1) / 4, src.size(2) / 4, src.size(1) / 4 * 3, src.size(2) / 4 * 3)
            c1 = image.crop(d1, src.size(1) / 4, src.size(2) / 4, src.size(1) / 4 * 3, src.size(2) / 4 * 3)
            mean_dist = mean_dist + cs.dist(c3)
            mean_dist = mean_dist + cs.dist(c4)
        elif src.dim() == 2:
            cs = image.crop(src, src.size(0) / 4, src.size(1) / 4, src.size(0) / 4 * 3, src.size(1) / 4 * 3)
            c3 = image.crop(d3, src.size(0) / 4, src.size(1) / 4, src.size(0) / 4 * 3, src.size(1) / 4 * 3)
            c4 = image.crop(d4, src.size(0) / 4, src.size(1) / 4, src.size(0) / 4 * 3, src.size(1) / 4 * 3)
            c1 = image.crop(d1, src.size(0) / 4, src.size(1) / 4, src.size(0) / 4 * 3, src.size(1) / 4 * 3)
            mean_dist = mean_dist + cs.dist(c3)
            mean_dist = mean_dist + cs.dist(c4)
        mean_turned = mean_turned + 2 * cs.dist(c1)
        # (lines 45-53: image.display of src, d1 .. d4 at i == 1, commented out in the Lua)
    if mode:
        print("mode = " + mode + ", mean dist: " + str(mean_dist / (10 * 2)))
    else:
        print("mode = nil, mean dist: " + str(mean_dist / (10 * 2)))
    # rotating there and back resamples twice: the centre keeps all but a few percent of the picture, and is
    # ten times nearer the source than the picture rotated once
    assert mean_dist / (10 * 2) < 0.05 * cs.norm()
    assert mean_dist < 0.1 * mean_turned


def test_rotate_dim3(lena):
    """test_rotate.lua lines 1-4 and 65-70: a 3 x 128 x 128 picture, the default mode, 'simple', 'bilinear'."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.setnumthreads(16)
    src = image.scale(lena(), 128, 128, 'bilinear')
    print("** dim3")
    _test_rotate(src, None)
    _test_rotate(src, 'simple')
    _test_rotate(src, 'bilinear')


def test_rotate_dim2(lena):
    """test_rotate.lua lines 1-4, 65 and 71-75: its first channel, 128 x 128."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.setnumthreads(16)
    src = image.scale(lena(), 128, 128, 'bilinear')
    print("** dim2")
    src = src.select(0, 0)
    _test_rotate(src, None)
    _test_rotate(src, 'simple')
    _test_rotate(src, 'bilinear')


# ---- test_warp.lua --------------------------------------------------------------------------------------

def test_warp_upscale(lena):
    """test_warp.lua lines 1-56: an 8x upscaling field (absolute positions from 0 to the last pixel) applied
    in the four modes. Each mode gives the source's pixel back where the field lands on one: every 73rd
    destination pixel (73 * 63 / 511 = 9); bilinear is image.scale's bilinear enlargement."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.setnumthreads(16)

    im = lena()
    # Subsample lena like crazy
    im = image.scale(im, im.size()[2] / 8, im.size()[1] / 8, 'bilinear')

    width = im.size()[2]  # 512 / 8
    height = im.size()[1]  # 512 / 8
    upscale = 8
    width_up = width * upscale
    height_up = height * upscale

    # ******************************************
    # COMPARE RESULTS OF UPSCALE (INTERPOLATION)
    # ******************************************

    # x/y grids
    grid_y = lg.ger(lg.linspace(-1, 1, height_up), lg.ones(width_up))
    grid_x = lg.ger(lg.ones(height_up), lg.linspace(-1, 1, width_up))

    flow = lg.FloatTensor()
    flow.resize(2, height_up, width_up)
    flow.zero()

    # Apply scale
    flow_scale = lg.FloatTensor()
    flow_scale.resize(2, height_up, width_up)
    flow_scale[0] = grid_y
    flow_scale[1] = grid_x
    flow_scale[0].add(1).mul(0.5)  # 0 to 1
    flow_scale[1].add(1).mul(0.5)  # 0 to 1
    flow_scale[0].mul(height - 1)
    flow_scale[1].mul(width - 1)
    flow.add(flow_scale)

    results = {}
    for mode in ('simple', 'bilinear', 'bicubic', 'lanczos'):
        t0 = time.perf_counter()
        results[mode] = image.warp(im, flow, mode, False)
        t1 = time.perf_counter()
        print("Upscale Time " + mode + " = " + str(t1 - t0))  # Not a robust measure (should average)
        # image.display{image = im_<mode>, zoom = 1, legend = 'upscale <mode>'}: refused (see the docstring)
        assert tuple(results[mode].size()) == (3, height_up, width_up)
        err = (results[mode][:, ::73, ::73] - im[:, ::9, ::9]).abs().max()
        assert err < 1e-5, f"upscale {mode}: the source pixels are not given back (max error {err})"
    scaled = image.scale(im, width_up, height_up, 'bilinear')
    assert (results['bilinear'] - scaled).abs().max() < 1e-5


def _rotation_field(im):
    """test_warp.lua lines 74-107: an identity field (absolute positions) plus the displacement rotating the
    picture by 360/7 degrees about its centre; returns (flow, rot_angle)."""
    width = im.size()[2]  # 512 / 4
    height = im.size()[1]  # 512 / 4

    grid_y = lg.ger(lg.linspace(-1, 1, height), lg.ones(width))
    grid_x = lg.ger(lg.ones(height), lg.linspace(-1, 1, width))

    flow = lg.FloatTensor()
    flow.resize(2, height, width)
    flow.zero()

    # Apply uniform scale
    flow_scale = lg.FloatTensor()
    flow_scale.resize(2, height, width)
    flow_scale[0] = grid_y
    flow_scale[1] = grid_x
    flow_scale[0].add(1).mul(0.5)  # 0 to 1
    flow_scale[1].add(1).mul(0.5)  # 0 to 1
    flow_scale[0].mul(height - 1)
    flow_scale[1].mul(width - 1)
    flow.add(flow_scale)

    flow_rot = lg.FloatTensor()
    flow_rot.resize(2, height, width)
    flow_rot[0] = grid_y * ((height - 1) / 2) * -1
    flow_rot[1] = grid_x * ((width - 1) / 2) * -1
    view = flow_rot.reshape(2, height * width)

    def rmat(deg):
        r = deg / 180 * math.pi
        return lg.FloatTensor([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])

    rot_angle = 360 / 7  # a nice non-integer value
    rotmat = rmat(rot_angle)
    flow_rotr = lg.mm(rotmat, view)
    flow_rot = flow_rot - flow_rotr.reshape(2, height, width)
    flow.add(flow_rot)
    return flow, rot_angle


def test_warp_rotation(lena):
    """test_warp.lua lines 58-137: a field rotating the picture by 360/7 degrees, in the four modes, then
    lanczos with clamp_mode 'pad' (pad value 0, then 1). The field reads the source at ``c + R (p - c)``, which
    is image.rotate's point for the angle ``-rot_angle``: bilinear matches image.rotate's bilinear inside the
    inscribed circle; every mode keeps the picture's range there (to lanczos' ringing); with 'pad' the points
    sent off the picture get the pad value and the others the clamped result."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.setnumthreads(16)

    # *********************************************
    # NOW TRY A ROTATION AT THE STANDARD RESOLUTION
    # *********************************************

    im = lena()
    # Subsample lena a little bit
    im = image.scale(im, im.size()[2] / 4, im.size()[1] / 4, 'bilinear')
    nchan = im.size()[0]  # 3
    flow, rot_angle = _rotation_field(im)

    results = {}
    for mode in ('simple', 'bilinear', 'bicubic', 'lanczos'):
        t0 = time.perf_counter()
        results[mode] = image.warp(im, flow, mode, False)
        t1 = time.perf_counter()
        print("Rotation Time " + mode + " = " + str(t1 - t0))  # Not a robust measure (should average)
        # image.display{image = im_<mode>, zoom = 4, legend = 'rotation <mode>'}: refused
        inner = image.crop(results[mode], 32, 32, 96, 96)
        assert tuple(inner.size()) == (nchan, 64, 64)
        assert im.min() - 0.05 <= inner.min() and inner.max() <= im.max() + 0.05
    rotated = image.rotate(im, -rot_angle / 180 * math.pi, 'bilinear')
    assert (image.crop(results['bilinear'], 32, 32, 96, 96) - image.crop(rotated, 32, 32, 96, 96)).abs().max() < 1e-4

    im_lanczos = image.warp(im, flow, 'lanczos', False, 'pad')
    # image.display{image = im_lanczos, zoom = 4, legend = 'rotation lanczos (default pad)'}: refused

    im_lanczos_1 = image.warp(im, flow, 'lanczos', False, 'pad', 1)
    # image.display{image = im_lanczos, zoom = 4, legend = 'rotation lanczos (pad 1)'}: refused
    # image.display{image = im, zoom = 4, legend = 'source image'}: refused

    off = (flow[0].lt(0) + flow[0].gt(im.size(1) - 1) + flow[1].lt(0) + flow[1].gt(im.size(2) - 1)).gt(0)
    off = off.view(1, *off.size()).expandAs(im)
    assert 0 < off.sum() < off.nElement()
    assert im_lanczos[off].eq(0).all() and im_lanczos_1[off].eq(1).all()
    on = off.eq(0)
    assert im_lanczos[on].equal(results['lanczos'][on]) and im_lanczos_1[on].equal(results['lanczos'][on])


def test_warp_float_and_double(lena):
    """test_warp.lua lines 139-146 (with lines 65-67's picture): a zero displacement field of 32 x 32 (offset
    mode, the default) reads each destination pixel at its own place: the picture's 32 x 32 top-left corner,
    from a Float and from a Double picture."""
    lg.setdefaulttensortype('torch.FloatTensor')
    im = lena()
    im = image.scale(im, im.size()[2] / 4, im.size()[1] / 4, 'bilinear')

    # ***********************************************
    # NOW MAKE SURE BOTH FLOAT AND DOUBLE INPUTS WORK
    # ***********************************************

    mtx = lg.zeros(2, 32, 32)
    out = image.warp(im.float(), mtx.float(), 'bilinear')
    assert out.type() == 'torch.FloatTensor' and out.equal(im[:, :32, :32])
    out = image.warp(im.double(), mtx.double(), 'bilinear')
    assert out.type() == 'torch.DoubleTensor' and out.equal(im.double()[:, :32, :32])
