"""fbnn's Upsample (fbnn/Upsample.lua): finite-difference Jacobians in float64, float() / double(), the GPU twin,
the Lua's expand/transpose copy and "downsumming" transcribed as float64 loops, fbnn/test.lua's testUpsample,
bad input naming the module."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn
from tests.checks import assert_rejected, standard_tests

CASES = {'single_f1': (1, (2, 3, 4)), 'single_f2': (2, (2, 3, 4)), 'batch_f3': (3, (2, 2, 3, 2))}


def _build(name):
    factor, size = CASES[name]
    return fbnn.Upsample(factor), lg.from_numpy(np.random.default_rng(0).standard_normal(size))


test_jacobian, test_type_roundtrip, test_gpu = standard_tests(sorted(CASES), _build)


def test_matches_lua_loops():
    """Upsample.lua: output[c, y, x] = input[c, y // f, x // f]; gradInput[c, i, j] sums gradOutput over the
    f x f block of (i, j)."""
    rng = np.random.default_rng(1)
    x, f = rng.standard_normal((2, 3, 4)), 3
    g = rng.standard_normal((2, 9, 12))
    m = fbnn.Upsample(f).double()
    out = m.forward(lg.from_numpy(x)).numpy()
    gi = m.backward(lg.from_numpy(x), lg.from_numpy(g)).numpy()
    ref, ref_gi = np.zeros((2, 9, 12)), np.zeros((2, 3, 4))
    for c in range(2):
        for y in range(9):
            for xx in range(12):
                ref[c, y, xx] = x[c, y // f, xx // f]
                ref_gi[c, y // f, xx // f] += g[c, y, xx]
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(gi, ref_gi, rtol=1e-12)


@pytest.mark.parametrize('factor', (1, 2, 3, 4.0))
def test_upsample_of_fbnn_test_lua(factor):
    """fbnn/test.lua testUpsample: single images and a batch of 8, factors 1..4 (a Lua number, 4.0, too): the
    sizes scale by the factor and backward(im, upsampled) / factor^2 gives the image back."""
    f = int(factor)
    im = lg.from_numpy(np.random.default_rng(2).uniform(size=(3, 32, 32)))
    for x in (im, lg.from_numpy(im.numpy()[None] + np.random.default_rng(3).standard_normal((8, 3, 32, 32)))):
        m = fbnn.Upsample(factor).double()
        up = m.forward(x)
        assert tuple(up.size()) == tuple(x.size())[:-2] + (32 * f, 32 * f)
        recon = m.backward(x, up).div(f * f)
        assert np.abs(recon.numpy() - x.numpy()).sum() < 1e-5


def test_bad_input_names_the_module():
    """Upsample.lua's asserts (a whole factor >= 1) at construction; a 2-D input or a gradOutput of the wrong
    size names the module."""
    for bad in (1.5, 0, True):
        with pytest.raises(ValueError, match='fbnn.Upsample'):
            fbnn.Upsample(bad)
    assert_rejected(fbnn.Upsample(2), ValueError, 'Upsample', 'forward', lg.zeros(3, 4))
    m = fbnn.Upsample(2)
    m.forward(lg.zeros(1, 2, 2))
    assert_rejected(m, ValueError, 'Upsample.*gradOutput', 'backward', lg.zeros(1, 2, 2), lg.zeros(1, 4, 3))
    assert lg.typename(m) == 'fbnn.Upsample' and repr(m) == 'fbnn.Upsample(factor 2)'
