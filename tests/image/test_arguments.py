"""The argument checks every image function shares (legonn/image/arguments.py): a source or destination that is
not a tensor or an array, a source of a type torch/image's C is not built for, or of the wrong dimension count,
is refused with the same message naming the function, whichever family the function is from."""
import numpy as np
import pytest

import legonn as lg
from legonn import image

CALLS = {
    'scale': lambda src: image.scale(src, 4, 4),
    'rotate': lambda src: image.rotate(src, 0.5),
    'hflip': lambda src: image.hflip(src),
    'polar': lambda src: image.polar(src),
    'warp': lambda src: image.warp(src, lg.zeros(2, 3, 3)),
    'rgb2y': lambda src: image.rgb2y(src),
    'y2jet': lambda src: image.y2jet(src),
    'convolve': lambda src: image.convolve(src, lg.ones(3, 3)),
    'minmax': lambda src: image.minmax(src),
}


@pytest.mark.parametrize('name', sorted(CALLS))
def test_a_list_for_the_source_is_refused_naming_the_function(name):
    with pytest.raises(TypeError, match=rf'^image\.{name}: expected (the source image|the image|tensor) as a '
                                        r'legonn\.Tensor, numpy\.ndarray or cupy\.ndarray, got list$'):
        CALLS[name]([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize('name', ['scale', 'rotate', 'hflip', 'polar', 'warp'])
def test_a_source_of_another_type_or_rank_is_refused(name):
    with pytest.raises(TypeError, match=rf"^image\.{name}: the source image must be a Byte, Float or Double tensor"):
        CALLS[name](lg.IntTensor(3, 3).zero())
    with pytest.raises(ValueError, match=rf'^image\.{name}: the source image must have 2 or 3 dimensions, got '
                                         r'size \(2, 2, 3, 3\)$'):
        CALLS[name](np.zeros((2, 2, 3, 3), np.float32))


def test_dst_forms():
    """``f(dst, src)``: a second tensor makes the first the destination, checked too; an extra argument of the
    one-image functions is refused."""
    src = lg.FloatTensor(3, 2, 2).uniform()
    dst = lg.FloatTensor()
    assert image.rgb2y(dst, src) is dst and tuple(dst.size()) == (1, 2, 2)
    assert image.hflip(dst, src) is dst and tuple(dst.size()) == (3, 2, 2)
    with pytest.raises(TypeError, match=r'^image\.hflip: the destination must be a Byte, Float or Double'):
        image.hflip(lg.IntTensor(3, 2, 2), src)
    with pytest.raises(TypeError, match=r'^image\.rgb2y: expected \(\[dst,\] src\), got 3 arguments$'):
        image.rgb2y(dst, src, src)
    with pytest.raises(TypeError, match=r'^image\.rgb2y: expected \(\[dst,\] src\), got 0 arguments$'):
        image.rgb2y()
