"""torch/image's doc/saveload.md ("Saving and Loading"), ported by docs/porting.md. The images are written
here (no asset is copied); PNG and JPEG need Pillow (the ``image`` extra). decompressJPG's usage reads the file
into a ByteTensor with a binary ``torch.DiskFile``, which legonn does not have: Python's file gives the bytes
and ``lg.ByteStorage(bytes)`` the storage (docs/porting.md's DiskFile rows)."""
import numpy as np
import pytest

import legonn as lg
from legonn import image

pytestmark = pytest.mark.usefixtures('double_default')
pytest.importorskip('PIL')


@pytest.fixture
def rgb():
    lg.manualSeed(11)
    return lg.rand(3, 6, 5)


@pytest.mark.parametrize('ext', ['png', 'ppm'])
def test_image_load_usage(tmp_path, rgb, ext):
    """image.load: the doc's ``image.load(imagefile, 3, 'byte')`` for an RGB file and
    ``image.load(imagefile, 1, 'byte')`` for a grey one: nChannel x height x width ByteTensors. A floating
    image is written as ``x * 255`` cast to bytes (init.lua's clampImage, line 167, then the C's cast)."""
    path = str(tmp_path / f'x.{ext}')
    image.save(path, rgb)
    img = image.load(path, 3, 'byte')
    assert img.type() == 'torch.ByteTensor' and img.size() == (3, 6, 5)
    np.testing.assert_array_equal(img.numpy(), np.floor(rgb.numpy() * 255).astype(np.uint8))
    grey = str(tmp_path / ('g.' + ('pgm' if ext == 'ppm' else ext)))
    image.save(grey, rgb[:1])
    g = image.load(grey, 1, 'byte')
    assert g.type() == 'torch.ByteTensor' and g.size() == (1, 6, 5)
    np.testing.assert_array_equal(g.numpy(), img.numpy()[:1])
    assert image.load(grey, 3, 'byte').size() == (3, 6, 5)            # depth 3 of a grey file: three copies
    assert image.load(path, None, 'float').type() == 'torch.FloatTensor'
    assert image.load(path).type() == 'torch.DoubleTensor'           # the default type (double here)


@pytest.mark.parametrize('ext', ['png', 'jpg', 'ppm'])
def test_image_getSize(tmp_path, rgb, ext):
    """image.getSize(filename): "a LongTensor", "size 3 (nChannel, height, width)"."""
    path = str(tmp_path / f'x.{ext}')
    image.save(path, rgb)
    size = image.getSize(path)
    assert size.type() == 'torch.LongTensor'
    assert size.tolist() == [3, 6, 5]


def test_image_save_clamps(tmp_path, rgb):
    """image.save: "the tensor is clamped between 0 and 1 before being saved"."""
    path = str(tmp_path / 'c.png')
    image.save(path, rgb * 3 - 1)
    back = image.load(path, 3, 'byte').numpy()
    np.testing.assert_array_equal(back, np.floor(np.clip(rgb.numpy() * 3 - 1, 0, 1) * 255))


def test_image_decompressJPG_usage(tmp_path, rgb):
    """image.decompressJPG: the doc's usage, a file's bytes read into a ByteTensor and decompressed (the
    DiskFile's 1-based ``position() - 1`` and ``seek(1)`` read the whole file); depth and tensortype optional."""
    imfile = str(tmp_path / 'x.jpg')
    image.save(imfile, rgb)
    with open(imfile, 'rb') as fin:
        img_binary = lg.ByteTensor(lg.ByteStorage(fin.read()))
    im = image.decompressJPG(img_binary)
    assert im.size() == (3, 6, 5) and im.type() == 'torch.DoubleTensor'
    np.testing.assert_array_equal(im.numpy(), image.load(imfile).numpy())
    # depth 1 of a colour image is its Y plane, H x W (init.lua's todepth, line 77), not the doc's 1 x H x W
    grey = image.decompressJPG(img_binary, 1, 'byte')
    assert grey.size() == (6, 5) and grey.type() == 'torch.ByteTensor'


def test_image_compressJPG_quality(rgb):
    """image.compressJPG(tensor, [quality]): a ByteTensor in memory; quality 1 to 100 trades size for
    fidelity."""
    big = lg.rand(3, 64, 64)
    low, high = image.compressJPG(big, 10), image.compressJPG(big, 100)
    assert low.type() == 'torch.ByteTensor' and low.dim() == 1
    assert low.nElement() < image.compressJPG(big).nElement() < high.nElement()
    err_low = np.abs(image.decompressJPG(low).numpy() - big.numpy()).mean()
    err_high = np.abs(image.decompressJPG(high).numpy() - big.numpy()).mean()
    assert err_high < err_low
