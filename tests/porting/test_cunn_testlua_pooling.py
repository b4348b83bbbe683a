"""torch/cunn's test.lua, lines 1689-3239 (``cunntest.SpatialDilatedConvolution_forward_single`` ...
``cunntest.SpatialLPPooling_backward``), ported literally: one test per ``cunntest.X``, each naming its lines.
Each compares a module on every CUDA type of ``typenames`` (CudaTensor, CudaDoubleTensor, CudaHalfTensor) with
the same module on that type's CPU twin, with cunn's tolerances; the set-up (lines 1-83) is
tests/porting/cunn_testlua.py.

The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, dimensions are 0-based
(``transpose(2,3)`` is ``transpose(1, 2)``), ``mytester:assertlt`` stays a Tester call, set to raise. Lua's
``math.random(a, b)`` is ``random.randint(a, b)`` (the porting guide's row); nn.testcuda's initSeed seeds it with
torch's seed, and the ``cunn_setup`` fixture (tests/porting/conftest.py) seeds Python's ``random`` so: the same
draws every run.
The timing tables (``times``, ``torch.Timer``) of the LPPooling tests are dropped: they only time.

Shrunk (each comment says how, and what the Lua's sizes took on the simulator with these seeds): the cases over
~3 s draw fewer planes, smaller batches or smaller outputs (the Lua's largest draws hold GBs: 64 planes of 1024 x
1024 in batches of 10); the others keep the Lua's sizes, and every case its geometry's ranges (kernels, strides,
padding, dilation, ceil mode)."""
import random

import pytest

import legonn as lg
from legonn import cutorch, nn
from tests.porting.cunn_testlua import (makeNonContiguous, mytester, nloop, precision_backward,
                                        precision_backward_conv_weightbias, precision_backward_type,
                                        precision_forward, precision_forward_type, t2cpu, typenames)

pytestmark = [pytest.mark.gpu, pytest.mark.usefixtures('cunn_setup')]


def _assert_forward(rescuda, groundtruth, typename):
    """The comparison every forward test ends with."""
    error = rescuda.double() - groundtruth.double()
    mytester.assertlt(error.abs().max(), precision_forward_type(precision_forward, typename),
                      f'error on state (forward) with {typename}')


def _assert_backward(rescuda, groundgrad, typename):
    """The comparison every pooling backward test ends with."""
    error = rescuda.double() - groundgrad.double()
    mytester.assertlt(error.abs().max(), precision_backward_type(precision_backward, typename),
                      f'error on state (backward) with {typename}')


def _dilated_conv_draws(from_max=32):
    """Lines 1690-1703 (and their copies): the geometry of a dilated convolution, ``from`` 1..from_max."""
    from_ = random.randint(1, from_max)
    to = random.randint(1, 8) * 8
    ki = random.randint(3, 15)
    kj = random.randint(3, 15)
    si = random.randint(1, 3)
    sj = random.randint(1, 3)
    padW = random.randint(0, 1)
    padH = random.randint(0, 1)
    outi = random.randint(ki, 64)
    outj = random.randint(kj, 64)
    dilationW = random.randint(1, 10)
    dilationH = random.randint(1, 10)
    ini = (outi - 1) * si - 2 * padW + dilationW * (ki - 1) + 1
    inj = (outj - 1) * sj - 2 * padH + dilationH * (kj - 1) + 1
    return from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH, ini, inj


def _dilated_conv_forward(batch):
    if batch:   # shrunk: batch (1..4)*4 -> (1..2)*2, ``from`` 1..32 -> 1..8 (the Lua's: 9 s)
        bs = random.randint(1, 2) * 2
        from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH, ini, inj = _dilated_conv_draws(8)
    else:
        from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH, ini, inj = _dilated_conv_draws()
    for typename in typenames:
        input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialDilatedConvolution(from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH).type(ctype)
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialDilatedConvolution(from_, to, ki, kj, si, sj, padW, padH, dilationW,
                                             dilationH).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)


def test_SpatialDilatedConvolution_forward_single():
    """test.lua lines 1689-1723."""
    _dilated_conv_forward(batch=False)


def test_SpatialDilatedConvolution_forward_batch():
    """test.lua lines 1725-1760 (shrunk: see ``_dilated_conv_forward``)."""
    _dilated_conv_forward(batch=True)


def _dilated_conv_backward(batch):
    if batch:   # shrunk: batch (1..4)*4 -> (1..2)*2, ``from`` 1..32 -> 1..4 (the Lua's: 20 s)
        bs = random.randint(1, 2) * 2
        from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH, ini, inj = _dilated_conv_draws(4)
    else:
        from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH, ini, inj = _dilated_conv_draws()
    for typename in typenames:
        input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialDilatedConvolution(from_, to, ki, kj, si, sj, padW, padH, dilationW, dilationH).type(ctype)
        output = sconv.forward(input)
        gradOutput = makeNonContiguous(output.clone().normal())
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)
        groundweight = sconv.gradWeight
        groundbias = sconv.gradBias

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = nn.SpatialDilatedConvolution(from_, to, ki, kj, si, sj, padW, padH, dilationW,
                                             dilationH).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)
        weightcuda = gconv.gradWeight
        biascuda = gconv.gradBias

        error = rescuda.double() - groundgrad.double()
        werror = weightcuda.double() - groundweight.double()
        berror = biascuda.double() - groundbias.double()

        mytester.assertlt(error.abs().max(), precision_backward_type(precision_backward, typename),
                          f'error on state (backward) with {typename}')
        mytester.assertlt(werror.abs().max(),
                          precision_backward_conv_weightbias(precision_backward, typename, weightcuda.abs().max()),
                          f'error on weight (backward) with {typename}')
        mytester.assertlt(berror.abs().max(),
                          precision_backward_conv_weightbias(precision_backward, typename, biascuda.abs().max()),
                          f'error on bias (backward) with {typename}')


def test_SpatialDilatedConvolution_backward_single():
    """test.lua lines 1762-1815."""
    _dilated_conv_backward(batch=False)


def test_SpatialDilatedConvolution_backward_batch():
    """test.lua lines 1817-1871 (shrunk: see ``_dilated_conv_backward``)."""
    _dilated_conv_backward(batch=True)


def _subsampling_draws(outmax, from_max=64):
    """Lines 1874-1883: SpatialSubSampling's geometry, ``from`` 1..from_max, outputs 32..outmax."""
    from_ = random.randint(1, from_max)
    to = from_
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = random.randint(2, 4)
    sj = random.randint(2, 4)
    outi = random.randint(32, outmax)
    outj = random.randint(32, outmax)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    return from_, to, ki, kj, si, sj, outi, outj, ini, inj


def _subsampling_forward(batch):
    if batch:   # shrunk: batch 4..10 -> 2..4, ``from`` 1..64 -> 1..8, outputs 32..256 -> 32..128 (the Lua's: 70 s)
        bs = random.randint(2, 4)
        from_, to, ki, kj, si, sj, outi, outj, ini, inj = _subsampling_draws(128, 8)
    else:       # shrunk: ``from`` 1..64 -> 1..16 (the Lua's: 6 s)
        from_, to, ki, kj, si, sj, outi, outj, ini, inj = _subsampling_draws(256, 16)
    for typename in typenames:
        input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialSubSampling(from_, ki, kj, si, sj).type(ctype)
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialSubSampling(from_, ki, kj, si, sj).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)


def test_SpatialSubSampling_forward():
    """test.lua lines 1873-1903 (shrunk: see ``_subsampling_forward``)."""
    _subsampling_forward(batch=False)


def test_Sampling_forward_batch():
    """test.lua lines 1905-1936: SpatialSubSampling on a batch (shrunk: see ``_subsampling_forward``)."""
    _subsampling_forward(batch=True)


def test_SpatialSubSampling_backward():
    """test.lua lines 1938-1994."""
    from_, to, ki, kj, si, sj, outi, outj, ini, inj = _subsampling_draws(64)
    for typename in typenames:
        # FIXME: SpatialSubSampling accumulates directly to real, causes
        # precision issues with half
        precision_b = 0.4 if typename == 'torch.CudaHalfTensor' else precision_backward
        input = lg.randn(from_, inj, ini).type(typename)
        gradOutput = lg.randn(to, outj, outi).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = nn.SpatialSubSampling(from_, ki, kj, si, sj).type(ctype)
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)
        groundweight = sconv.gradWeight
        groundbias = sconv.gradBias

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = nn.SpatialSubSampling(from_, ki, kj, si, sj).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)
        weightcuda = gconv.gradWeight
        biascuda = gconv.gradBias

        error = rescuda.double() - groundgrad.double()
        werror = weightcuda.double() - groundweight.double()
        berror = biascuda.double() - groundbias.double()

        mytester.assertlt(error.abs().max(), precision_backward_type(precision_b, typename),
                          f'error on state (backward) with {typename}')
        mytester.assertlt(werror.abs().max(), precision_backward_type(precision_b, typename),
                          f'error on weight (backward) with {typename}')
        mytester.assertlt(berror.abs().max(), precision_backward_type(precision_b, typename),
                          f'error on bias (backward) with {typename}')


def test_SpatialSubSampling_backward_batch():
    """test.lua lines 1996-2050 (shrunk: batch 4..10 -> 2..4; the Lua's took 6 s)."""
    bs = random.randint(2, 4)
    from_, to, ki, kj, si, sj, outi, outj, ini, inj = _subsampling_draws(64)
    for typename in typenames:
        input = lg.randn(bs, from_, inj, ini).type(typename)
        gradOutput = lg.randn(bs, to, outj, outi).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = nn.SpatialSubSampling(from_, ki, kj, si, sj).type(ctype)
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)
        groundweight = sconv.gradWeight
        groundbias = sconv.gradBias

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = nn.SpatialSubSampling(from_, ki, kj, si, sj).type(typename)
        gconv.weight = sconv.weight.type(typename)
        gconv.bias = sconv.bias.type(typename)
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)
        weightcuda = gconv.gradWeight
        biascuda = gconv.gradBias

        error = rescuda.double() - groundgrad.double()
        werror = weightcuda.double() - groundweight.double()
        berror = biascuda.double() - groundbias.double()

        # FIXME: SpatialSubSampling accumulates directly to real, causes
        # precision issues with half, so we double the error tolerance
        mytester.assertlt(error.abs().max(),
                          2 * precision_backward_type(precision_backward, typename, rescuda.abs().max()),
                          f'error on state (backward) with {typename}')
        mytester.assertlt(werror.abs().max(),
                          2 * precision_backward_type(precision_backward, typename, weightcuda.abs().max()),
                          f'error on weight (backward) with {typename}')
        mytester.assertlt(berror.abs().max(),
                          2 * precision_backward_type(precision_backward, typename, biascuda.abs().max()),
                          f'error on bias (backward) with {typename}')


def _pool_draws(smin, outmax, dilated=False, from_max=64):
    """Lines 2053-2064 (and their copies): a max pooling's geometry, strides from ``smin``, outputs
    32..outmax, ``from`` 1..from_max."""
    from_ = random.randint(1, from_max)
    to = from_
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = random.randint(smin, 4)
    sj = random.randint(smin, 4)
    outi = random.randint(32, outmax)
    outj = random.randint(32, outmax)
    padi = random.randint(0, ki // 2 - 1)
    padj = random.randint(0, kj // 2 - 1)
    if dilated:
        dilationi = random.randint(1, 10)
        dilationj = random.randint(1, 10)
        ini = (outi - 1) * si + (dilationi * (ki - 1) + 1) - 2 * padi
        inj = (outj - 1) * sj + (dilationj * (kj - 1) + 1) - 2 * padj
        return from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, dilationi, dilationj
    ini = (outi - 1) * si + ki - padi * 2
    inj = (outj - 1) * sj + kj - padj * 2
    return from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj


def test_SpatialMaxPooling_forward():
    """test.lua lines 2052-2087 (shrunk: ``from`` 1..64 -> 1..16, outputs 32..256 -> 32..128; the Lua's:
    28 s)."""
    from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj = _pool_draws(1, 128, from_max=16)
    ceil_mode = random.randint(0, 1) == 1

    for typename in typenames:
        input = lg.randn(from_, inj, ini).type(typename)
        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(typename)
        if ceil_mode:
            gconv.ceil()
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)
        error_ind = gconv.indices.long() - sconv.indices
        mytester.asserteq(error_ind.max(), 0, f'error on indices (forward) with {typename}')


def test_SpatialMaxPooling_forward_batch():
    """test.lua lines 2089-2122 (shrunk: batch 4..10 -> 2..4, ``from`` 1..64 -> 1..8, outputs 32..256 ->
    32..128; the Lua's: 127 s)."""
    bs = random.randint(2, 4)
    from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj = _pool_draws(2, 128, from_max=8)
    ceil_mode = random.randint(0, 1) == 1

    for typename in typenames:
        input = lg.randn(bs, from_, inj, ini).type(typename)
        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(typename)
        if ceil_mode:
            gconv.ceil()
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)


def _unpool_draws(bs_min=4, bs_max=10, from_max=64):
    """Lines 2125-2139: the geometry of SpatialMaxUnpooling's tests (``ini``/``inj``, unused by the Lua, are
    kept), batch bs_min..bs_max, ``from`` 1..from_max."""
    bs = random.randint(bs_min, bs_max)
    from_ = random.randint(1, from_max)
    to = from_
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = ki
    sj = kj
    outi = random.randint(32, 256)
    outj = random.randint(32, 256)
    padi = random.randint(0, ki // 2 - 1)
    padj = random.randint(0, kj // 2 - 1)
    ceil_mode = random.randint(0, 1) == 1
    fun = lg.ceil if ceil_mode else lg.floor
    ini = fun((outi + padi * 2 - ki) / si) + 1
    inj = fun((outj + padj * 2 - kj) / sj) + 1
    return bs, from_, to, ki, kj, si, sj, outi, outj, padi, padj, ceil_mode, ini, inj


def test_SpatialMaxUnpooling_forward_batch():
    """test.lua lines 2124-2164."""
    bs, from_, to, ki, kj, si, sj, outi, outj, padi, padj, ceil_mode, ini, inj = _unpool_draws()

    for typename in typenames:
        ctype = t2cpu[typename]
        pooler = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(ctype)
        if ceil_mode:
            pooler.ceil()
        sunpool = nn.SpatialMaxUnpooling(pooler).type(ctype)

        original = lg.randn(bs, from_, outj, outi).type(typename)
        original = makeNonContiguous(original.type(ctype))
        input = pooler.forward(original)
        groundtruth = sunpool.forward(input)

        original = makeNonContiguous(original.type(typename))
        pooler = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(typename)
        if ceil_mode:
            pooler.ceil()
        gunpool = nn.SpatialMaxUnpooling(pooler).type(typename)

        input = pooler.forward(original)
        rescuda = gunpool.forward(input)

        _assert_forward(rescuda, groundtruth, typename)


def _max_pooling_backward(batch, smin, ceil_mode=None, dilated=False):
    """The body of lines 2166-2250 and 2379-2466 (SpatialMaxPooling and SpatialDilatedMaxPooling, single
    and batch)."""
    if batch:   # shrunk: batch 4..10 -> 2..4, ``from`` 1..64 -> 1..32 (the Lua's: 6-8 s)
        bs = random.randint(2, 4)
        draws = _pool_draws(smin, 64, dilated, from_max=32)
    else:
        draws = _pool_draws(smin, 64, dilated)
    from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj = draws[:12]
    extra = draws[12:]
    if ceil_mode is None:
        ceil_mode = random.randint(0, 1) == 1
    make = nn.SpatialDilatedMaxPooling if dilated else nn.SpatialMaxPooling

    for typename in typenames:
        input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)
        gradOutput = (lg.randn(bs, to, outj, outi) if batch else lg.randn(to, outj, outi)).type(typename)
        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))

        sconv = make(ki, kj, si, sj, padi, padj, *extra).type(ctype)
        if ceil_mode:
            sconv.ceil()
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = make(ki, kj, si, sj, padi, padj, *extra).type(typename)
        if ceil_mode:
            gconv.ceil()
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)

        _assert_backward(rescuda, groundgrad, typename)


def test_SpatialMaxPooling_backward():
    """test.lua lines 2166-2207: ``ceil_mode = true--math.random(0,1) == 1`` as in the Lua."""
    _max_pooling_backward(batch=False, smin=1, ceil_mode=True)


def test_SpatialMaxPooling_backward_batch():
    """test.lua lines 2209-2250 (shrunk: see ``_max_pooling_backward``)."""
    _max_pooling_backward(batch=True, smin=2)


def test_SpatialMaxUnpooling_backward_batch():
    """test.lua lines 2252-2301 (shrunk: batch 4..10 -> 2..4, ``from`` 1..64 -> 1..32; the Lua's: 11 s)."""
    bs, from_, to, ki, kj, si, sj, outi, outj, padi, padj, ceil_mode, ini, inj = _unpool_draws(2, 4, 32)

    for typename in typenames:
        ctype = t2cpu[typename]
        pooler = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(ctype)
        if ceil_mode:
            pooler.ceil()
        sunpool = nn.SpatialMaxUnpooling(pooler).type(ctype)

        original = lg.randn(bs, from_, outj, outi).type(typename)
        original = makeNonContiguous(original.type(ctype))
        input = pooler.forward(original)
        gradOutput = lg.randn(original.size()).type(typename)
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sunpool.forward(input)
        sunpool.zeroGradParameters()
        groundgrad = sunpool.backward(input, gradOutput)

        pooler = nn.SpatialMaxPooling(ki, kj, si, sj, padi, padj).type(typename)
        if ceil_mode:
            pooler.ceil()
        gunpool = nn.SpatialMaxUnpooling(pooler).type(typename)

        original = makeNonContiguous(original.type(typename))
        input = pooler.forward(original)
        gunpool.forward(input)

        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gunpool.zeroGradParameters()
        rescuda = gunpool.backward(input, gradOutput)

        _assert_backward(rescuda, groundgrad, typename)


def test_SpatialDilatedMaxPooling_forward():
    """test.lua lines 2303-2340 (shrunk: ``from`` 1..64 -> 1..16, outputs 32..256 -> 32..128; the Lua's:
    28 s)."""
    from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, dilationi, dilationj = \
        _pool_draws(1, 128, True, from_max=16)
    ceil_mode = random.randint(0, 1) == 1

    for typename in typenames:
        input = lg.randn(from_, inj, ini).type(typename)
        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialDilatedMaxPooling(ki, kj, si, sj, padi, padj, dilationi, dilationj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialDilatedMaxPooling(ki, kj, si, sj, padi, padj, dilationi, dilationj).type(typename)
        if ceil_mode:
            gconv.ceil()
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)
        error_ind = gconv.indices.long() - sconv.indices
        mytester.asserteq(error_ind.max(), 0, f'error on indices (forward) with {typename}')


def test_SpatialDilatedMaxPooling_forward_batch():
    """test.lua lines 2342-2377 (shrunk: batch 4..10 -> 2..4, ``from`` 1..64 -> 1..8, outputs 32..256 ->
    32..128; the Lua's: 111 s)."""
    bs = random.randint(2, 4)
    from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, dilationi, dilationj = \
        _pool_draws(2, 128, True, from_max=8)
    ceil_mode = random.randint(0, 1) == 1

    for typename in typenames:
        input = lg.randn(bs, from_, inj, ini).type(typename)
        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialDilatedMaxPooling(ki, kj, si, sj, padi, padj, dilationi, dilationj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialDilatedMaxPooling(ki, kj, si, sj, padi, padj, dilationi, dilationj).type(typename)
        if ceil_mode:
            gconv.ceil()
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)


def test_SpatialDilatedMaxPooling_backward():
    """test.lua lines 2379-2421."""
    _max_pooling_backward(batch=False, smin=1, dilated=True)


def test_SpatialDilatedMaxPooling_backward_batch():
    """test.lua lines 2423-2466 (shrunk: see ``_max_pooling_backward``)."""
    _max_pooling_backward(batch=True, smin=2, dilated=True)


def _fractional_draws():
    """Lines 2469-2480: SpatialFractionalMaxPooling's sizes (the Lua's own, small)."""
    batch = random.randint(1, 3)
    plane = random.randint(1, 3)
    outW = random.randint(1, 7)
    outH = random.randint(1, 7)
    poolSizeW = random.randint(2, 4)
    poolSizeH = random.randint(2, 4)

    minInW = outW + poolSizeW
    minInH = outH + poolSizeH

    inW = random.randint(minInW, minInW + 6)
    inH = random.randint(minInH, minInH + 6)
    return batch, plane, outW, outH, poolSizeW, poolSizeH, inW, inH


def test_SpatialFractionalMaxPooling_forward():
    """test.lua lines 2468-2535."""
    batch, plane, outW, outH, poolSizeW, poolSizeH, inW, inH = _fractional_draws()

    useRatio = (random.randint(1, 2) == 1)
    ratioW = outW / inW
    ratioH = outH / inH

    for typename in typenames:
        input = None
        if batch == 1:
            input = lg.Tensor(plane, inH, inW).uniform().type(typename)
        else:
            input = lg.Tensor(batch, plane, inH, inW).uniform().type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        module = None
        if useRatio:
            module = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, ratioW, ratioH).type(ctype)
        else:
            module = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH).type(ctype)

        module.fixPoolingRegions()

        groundtruth = module.forward(input)

        input = makeNonContiguous(input.type(typename))

        gmodule = None
        if useRatio:
            gmodule = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, ratioW, ratioH)
        else:
            gmodule = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH)

        gmodule = gmodule.fixPoolingRegions().type(typename)

        # For comparison purposes, make sure we are using the same random pooling regions
        # as the CPU
        gmodule.randomSamples = module.randomSamples.type(typename)

        rescuda = gmodule.forward(input)

        _assert_forward(rescuda, groundtruth, typename)
        error_ind = gmodule.indices.long() - module.indices
        mytester.asserteq(error_ind.abs().max(), 0, f'error on indices (forward) with {typename}')


def test_SpatialFractionalMaxPooling_backward():
    """test.lua lines 2537-2595."""
    batch, plane, outW, outH, poolSizeW, poolSizeH, inW, inH = _fractional_draws()

    for typename in typenames:
        input = None
        gradOutput = None
        if batch == 1:
            input = lg.Tensor(plane, inH, inW).uniform().type(typename)
            gradOutput = lg.Tensor(plane, outH, outW).uniform().type(typename)
        else:
            input = lg.Tensor(batch, plane, inH, inW).uniform().type(typename)
            gradOutput = lg.Tensor(batch, plane, outH, outW).uniform().type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        module = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH).fixPoolingRegions().type(ctype)

        # convert type of randomSamples and ensure we don't resample
        module.initSampleBuffer_(input)
        module.fixPoolingRegions()
        module.randomSamples = module.randomSamples.type(typename).type(ctype)
        module.forward(input)
        module.zeroGradParameters()
        groundgrad = module.backward(input, gradOutput)

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))

        gmodule = nn.SpatialFractionalMaxPooling(poolSizeW, poolSizeH, outW, outH).fixPoolingRegions().type(typename)
        # For comparison purposes, make sure we are using the same random pooling regions
        # as the CPU
        gmodule.randomSamples = module.randomSamples.type(typename)

        gmodule.forward(input)
        gmodule.zeroGradParameters()
        rescuda = gmodule.backward(input, gradOutput)

        _assert_backward(rescuda, groundgrad, typename)


def test_SpatialAveragePooling_includepad():
    """test.lua lines 2597-2616."""
    for typename in typenames:
        net = nn.SpatialAveragePooling(2, 2, 1, 1, 1, 1).type(typename)
        net_no_include_pad = net.clone()
        net_no_include_pad.setCountExcludePad()
        net_include_pad = net.clone()
        net_include_pad.setCountIncludePad()

        input = makeNonContiguous(lg.FloatTensor(1, 1, 1, 1).type(typename))
        input[0][0][0][0] = 3
        out_noinclude = net_no_include_pad.forward(input)
        out_include = net_include_pad.forward(input)

        noinc_out = out_noinclude[0][0][0][0]
        inc_out = out_include[0][0][0][0]
        mytester.assertne(noinc_out, inc_out)
        mytester.asserteq(3, noinc_out)
        mytester.asserteq(3 / 4, inc_out)


def _average_pooling_draws(outmax, from_max=64):
    """Lines 2619-2632: an average pooling's geometry (strides 1..k, outputs 32..outmax, ``from``
    1..from_max), ceil mode and ``count_exclude_pad``."""
    from_ = random.randint(1, from_max)
    to = from_
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = random.randint(1, ki)
    sj = random.randint(1, kj)
    outi = random.randint(32, outmax)
    outj = random.randint(32, outmax)
    padi = random.randint(0, ki // 2 - 1)
    padj = random.randint(0, kj // 2 - 1)
    ini = (outi - 1) * si + ki - padi * 2
    inj = (outj - 1) * sj + kj - padj * 2
    ceil_mode = random.randint(0, 1) == 1
    count_exclude_pad = random.randint(0, 1) == 1
    return from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, ceil_mode, count_exclude_pad


def _average_pooling_forward(batch):
    if batch:   # shrunk: batch 4..10 -> 2..4, ``from`` 1..64 -> 1..8, outputs 32..256 -> 32..128 (the Lua's: 109 s)
        bs = random.randint(2, 4)
        from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, ceil_mode, count_exclude_pad = \
            _average_pooling_draws(128, 8)
    else:       # shrunk: ``from`` 1..64 -> 1..16, outputs 32..256 -> 32..128 (the Lua's: 30 s)
        from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, ceil_mode, count_exclude_pad = \
            _average_pooling_draws(128, 16)

    for typename in typenames:
        input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        sconv = nn.SpatialAveragePooling(ki, kj, si, sj, padi, padj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        if count_exclude_pad:
            sconv.setCountExcludePad()
        groundtruth = sconv.forward(input)

        input = makeNonContiguous(input.type(typename))
        gconv = nn.SpatialAveragePooling(ki, kj, si, sj, padi, padj).type(typename)
        if ceil_mode:
            gconv.ceil()
        if count_exclude_pad:
            gconv.setCountExcludePad()
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)


def test_SpatialAveragePooling_forward():
    """test.lua lines 2618-2654 (shrunk: see ``_average_pooling_forward``)."""
    _average_pooling_forward(batch=False)


def test_SpatialAveragePooling_forward_batch():
    """test.lua lines 2656-2693 (shrunk: see ``_average_pooling_forward``)."""
    _average_pooling_forward(batch=True)


def _average_pooling_backward(batch):
    bs = random.randint(4, 10)
    from_, to, ki, kj, si, sj, outi, outj, padi, padj, ini, inj, ceil_mode, count_exclude_pad = \
        _average_pooling_draws(64)

    for typename in typenames:
        input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)
        gradOutput = (lg.randn(bs, to, outj, outi) if batch else lg.randn(to, outj, outi)).type(typename)

        ctype = t2cpu[typename]
        input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = nn.SpatialAveragePooling(ki, kj, si, sj, padi, padj).type(ctype)
        if ceil_mode:
            sconv.ceil()
        if count_exclude_pad:
            sconv.setCountExcludePad()
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)

        input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = nn.SpatialAveragePooling(ki, kj, si, sj, padi, padj).type(typename)
        if ceil_mode:
            gconv.ceil()
        if count_exclude_pad:
            gconv.setCountExcludePad()
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)

        _assert_backward(rescuda, groundgrad, typename)


def test_SpatialAveragePooling_backward():
    """test.lua lines 2695-2739."""
    _average_pooling_backward(batch=False)


def test_SpatialAveragePooling_backward_batch():
    """test.lua lines 2741-2786."""
    _average_pooling_backward(batch=True)


def _adaptive_draws(planes=64, outs=64):
    """Lines 2789-2794: the adaptive poolings' sizes, ``from`` 1..planes, outputs 2..outs."""
    from_ = random.randint(1, planes)
    to = from_
    outi = random.randint(2, outs)
    outj = random.randint(2, outs)
    ini = random.randint(10, 256)
    inj = random.randint(10, 256)
    return from_, to, outi, outj, ini, inj


def _adaptive_forward(make, batch=False, noncontig=False, check_indices=False):
    """The body of lines 2788-2868 and 2970-3044: forward of an adaptive pooling on a plain, transposed
    (``_noncontig``) or batched input."""
    bs = random.randint(2, 4)       # shrunk from 4..10 (the Lua's batches: 3-7 s)
    from_, to, outi, outj, ini, inj = _adaptive_draws(48, 48) if batch else _adaptive_draws()

    for typename in typenames:
        ctype = t2cpu[typename]
        if noncontig:
            input0 = lg.randn(from_, ini, inj).type(typename)
            input = makeNonContiguous(input0.type(ctype).transpose(1, 2))
        else:
            input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)
            input = makeNonContiguous(input.type(ctype))
        sconv = make(outi, outj).type(ctype)
        groundtruth = sconv.forward(input).type(ctype)

        if noncontig:
            input = makeNonContiguous(input0.type(typename).transpose(1, 2))
        else:
            input = makeNonContiguous(input.type(typename))
        gconv = make(outi, outj).type(typename)
        rescuda = gconv.forward(input)

        _assert_forward(rescuda, groundtruth, typename)
        if check_indices:
            error_ind = gconv.indices.long() - sconv.indices
            mytester.asserteq(error_ind.max(), 0, f'error on indices (forward) with {typename}')


def _adaptive_backward(make, batch=False, noncontig=False):
    """The body of lines 2870-2968 and 3046-3144."""
    bs = random.randint(2, 4)       # shrunk from 4..10, and ``from`` 1..64 -> 1..32 (the Lua's batches: 2-11 s)
    from_, to, outi, outj, ini, inj = _adaptive_draws(32) if batch else _adaptive_draws()

    for typename in typenames:
        ctype = t2cpu[typename]
        if noncontig:
            input0 = lg.randn(from_, ini, inj).type(typename)
            gradOutput = lg.randn(to, outj, outi).type(typename)
            input = makeNonContiguous(input0.type(ctype).transpose(1, 2))
        else:
            input = (lg.randn(bs, from_, inj, ini) if batch else lg.randn(from_, inj, ini)).type(typename)
            gradOutput = (lg.randn(bs, to, outj, outi) if batch else lg.randn(to, outj, outi)).type(typename)
            input = makeNonContiguous(input.type(ctype))
        gradOutput = makeNonContiguous(gradOutput.type(ctype))
        sconv = make(outi, outj).type(ctype)
        sconv.forward(input)
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)

        if noncontig:
            input = makeNonContiguous(input0.type(typename).transpose(1, 2))
        else:
            input = makeNonContiguous(input.type(typename))
        gradOutput = makeNonContiguous(gradOutput.type(typename))
        gconv = make(outi, outj).type(typename)
        gconv.forward(input)
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)

        _assert_backward(rescuda, groundgrad, typename)


def test_SpatialAdaptiveMaxPooling_forward():
    """test.lua lines 2788-2814."""
    _adaptive_forward(nn.SpatialAdaptiveMaxPooling, check_indices=True)


def test_SpatialAdaptiveMaxPooling_forward_noncontig():
    """test.lua lines 2816-2842."""
    _adaptive_forward(nn.SpatialAdaptiveMaxPooling, noncontig=True, check_indices=True)


def test_SpatialAdaptiveMaxPooling_forward_batch():
    """test.lua lines 2844-2868 (shrunk: see ``_adaptive_forward``)."""
    _adaptive_forward(nn.SpatialAdaptiveMaxPooling, batch=True)


def test_SpatialAdaptiveMaxPooling_backward():
    """test.lua lines 2870-2901."""
    _adaptive_backward(nn.SpatialAdaptiveMaxPooling)


def test_SpatialAdaptiveMaxPooling_backward_noncontig():
    """test.lua lines 2903-2934."""
    _adaptive_backward(nn.SpatialAdaptiveMaxPooling, noncontig=True)


def test_SpatialAdaptiveMaxPooling_backward_batch():
    """test.lua lines 2936-2968 (shrunk: see ``_adaptive_backward``)."""
    _adaptive_backward(nn.SpatialAdaptiveMaxPooling, batch=True)


def test_SpatialAdaptiveAveragePooling_forward():
    """test.lua lines 2970-2993."""
    _adaptive_forward(nn.SpatialAdaptiveAveragePooling)


def test_SpatialAdaptiveAveragePooling_forward_noncontig():
    """test.lua lines 2995-3018."""
    _adaptive_forward(nn.SpatialAdaptiveAveragePooling, noncontig=True)


def test_SpatialAdaptiveAveragePooling_forward_batch():
    """test.lua lines 3020-3044 (shrunk: see ``_adaptive_forward``)."""
    _adaptive_forward(nn.SpatialAdaptiveAveragePooling, batch=True)


def test_SpatialAdaptiveAveragePooling_backward():
    """test.lua lines 3046-3077."""
    _adaptive_backward(nn.SpatialAdaptiveAveragePooling)


def test_SpatialAdaptiveAveragePooling_backward_noncontig():
    """test.lua lines 3079-3110."""
    _adaptive_backward(nn.SpatialAdaptiveAveragePooling, noncontig=True)


def test_SpatialAdaptiveAveragePooling_backward_batch():
    """test.lua lines 3112-3144 (shrunk: see ``_adaptive_backward``)."""
    _adaptive_backward(nn.SpatialAdaptiveAveragePooling, batch=True)


def _lp_pooling_draws(outmax):
    """Lines 3147-3157: SpatialLPPooling's geometry, non-overlapping windows, outputs 32..outmax."""
    from_ = random.randint(1, 64)
    to = from_
    pnorm = 2
    ki = random.randint(2, 4)
    kj = random.randint(2, 4)
    si = ki
    sj = kj
    outi = random.randint(32, outmax)
    outj = random.randint(32, outmax)
    ini = (outi - 1) * si + ki
    inj = (outj - 1) * sj + kj
    return from_, to, pnorm, ki, kj, si, sj, outi, outj, ini, inj


def test_SpatialLPPooling_forward():
    """test.lua lines 3146-3185: the default type (FloatTensor) against ``cuda()``."""
    from_, to, pnorm, ki, kj, si, sj, outi, outj, ini, inj = _lp_pooling_draws(256)

    input = makeNonContiguous(lg.randn(from_, inj, ini))
    sconv = nn.SpatialLPPooling(from_, pnorm, ki, kj, si, sj)
    groundtruth = sconv.forward(input)
    for i in range(nloop):
        groundtruth = sconv.forward(input)

    input = makeNonContiguous(input.cuda())
    gconv = nn.SpatialLPPooling(from_, pnorm, ki, kj, si, sj).cuda()
    rescuda = gconv.forward(input)
    for i in range(nloop):
        rescuda = gconv.forward(input)
    cutorch.synchronize()

    error = rescuda.float() - groundtruth
    mytester.assertlt(error.abs().max(), precision_forward, 'error on state (forward) ')


def test_SpatialLPPooling_backward():
    """test.lua lines 3187-3237."""
    from_, to, pnorm, ki, kj, si, sj, outi, outj, ini, inj = _lp_pooling_draws(64)

    input = makeNonContiguous(lg.randn(from_, inj, ini))
    gradOutput = makeNonContiguous(lg.randn(to, outj, outi))
    sconv = nn.SpatialLPPooling(from_, pnorm, ki, kj, si, sj)
    sconv.forward(input)
    sconv.zeroGradParameters()
    groundgrad = sconv.backward(input, gradOutput)
    for i in range(nloop):
        sconv.zeroGradParameters()
        groundgrad = sconv.backward(input, gradOutput)

    input = makeNonContiguous(input.cuda())
    gradOutput = makeNonContiguous(gradOutput.cuda())
    gconv = sconv.clone().cuda()
    gconv.forward(input)
    gconv.zeroGradParameters()
    rescuda = gconv.backward(input, gradOutput)
    for i in range(nloop):
        gconv.zeroGradParameters()
        rescuda = gconv.backward(input, gradOutput)
    cutorch.synchronize()

    error = rescuda.float() - groundgrad

    mytester.assertlt(error.abs().max(), precision_backward, 'error on state (backward) ')
