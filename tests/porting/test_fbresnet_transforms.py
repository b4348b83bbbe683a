"""fb.resnet.torch's datasets/transforms.lua, ported line by line (Lua syntax and 0-based indices only), run
on a synthetic photo: the ImageNet and CIFAR pipelines its datasets/imagenet.lua and cifar10.lua compose."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image


# --- transforms.lua ------------------------------------------------------------------------------------------

def Compose(transforms):
    def run(input):
        for transform in transforms:
            input = transform(input)
        return input
    return run


def ColorNormalize(meanstd):
    def run(img):
        img = img.clone()
        for i in range(3):
            img[i].add(-meanstd['mean'][i])
            img[i].div(meanstd['std'][i])
        return img
    return run


def Scale(size, interpolation='bicubic'):
    """Scales the smaller edge to size."""
    def run(input):
        w, h = input.size(2), input.size(1)
        if (w <= h and w == size) or (h <= w and h == size):
            return input
        if w < h:
            return image.scale(input, size, h / w * size, interpolation)
        return image.scale(input, w / h * size, size, interpolation)
    return run


def CenterCrop(size):
    def run(input):
        w1 = math.ceil((input.size(2) - size) / 2)
        h1 = math.ceil((input.size(1) - size) / 2)
        return image.crop(input, w1, h1, w1 + size, h1 + size)   # center patch
    return run


def RandomCrop(size, padding=0):
    def run(input):
        if padding > 0:
            temp = input.new(3, input.size(1) + 2 * padding, input.size(2) + 2 * padding)
            temp.zero() \
                .narrow(1, padding, input.size(1)) \
                .narrow(2, padding, input.size(2)) \
                .copy(input)
            input = temp
        w, h = input.size(2), input.size(1)
        if w == size and h == size:
            return input
        # torch.random(a, b) draws a .. b, both ends; legonn's random(a, b) stops before b (docs/porting.md)
        x1, y1 = lg.random(0, w - size + 1), lg.random(0, h - size + 1)
        out = image.crop(input, x1, y1, x1 + size, y1 + size)
        assert out.size(1) == size and out.size(2) == size, 'wrong crop size'
        return out
    return run


def TenCrop(size):
    centerCrop = CenterCrop(size)

    def run(input):
        w, h = input.size(2), input.size(1)
        output = []
        for img in (input, image.hflip(input)):
            output.append(centerCrop(img))
            output.append(image.crop(img, 0, 0, size, size))
            output.append(image.crop(img, w - size, 0, w, size))
            output.append(image.crop(img, 0, h - size, size, h))
            output.append(image.crop(img, w - size, h - size, w, h))
        for i, img in enumerate(output):   # view as mini-batch
            output[i] = img.view(1, img.size(0), img.size(1), img.size(2))
        return input.cat(output, 0)
    return run


def RandomScale(minSize, maxSize):
    def run(input):
        w, h = input.size(2), input.size(1)
        targetSz = lg.random(minSize, maxSize + 1)
        targetW, targetH = targetSz, targetSz
        if w < h:
            targetH = lg.round(h / w * targetW)
        else:
            targetW = lg.round(w / h * targetH)
        return image.scale(input, targetW, targetH, 'bicubic')
    return run


def RandomSizedCrop(size):
    scale = Scale(size)
    crop = CenterCrop(size)

    def run(input):
        attempt = 0
        while True:
            area = input.size(1) * input.size(2)
            targetArea = lg.uniform(0.08, 1.0) * area
            aspectRatio = lg.uniform(3 / 4, 4 / 3)
            w = lg.round(math.sqrt(targetArea * aspectRatio))
            h = lg.round(math.sqrt(targetArea / aspectRatio))
            if lg.uniform() < 0.5:
                w, h = h, w
            if h <= input.size(1) and w <= input.size(2):
                y1 = lg.random(0, input.size(1) - h + 1)
                x1 = lg.random(0, input.size(2) - w + 1)
                out = image.crop(input, x1, y1, x1 + w, y1 + h)
                assert out.size(1) == h and out.size(2) == w, 'wrong crop size'
                return image.scale(out, size, size, 'bicubic')
            attempt = attempt + 1
            if attempt >= 10:
                break
        return crop(scale(input))   # fallback
    return run


def HorizontalFlip(prob):
    def run(input):
        if lg.uniform() < prob:
            input = image.hflip(input)
        return input
    return run


def Rotation(deg):
    def run(input):
        if deg != 0:
            input = image.rotate(input, (lg.uniform() - 0.5) * deg * math.pi / 180, 'bilinear')
        return input
    return run


def Lighting(alphastd, eigval, eigvec):
    def run(input):
        if alphastd == 0:
            return input
        alpha = lg.Tensor(3).normal(0, alphastd)
        rgb = eigvec.clone() \
            .cmul(alpha.view(1, 3).expand(3, 3)) \
            .cmul(eigval.view(1, 3).expand(3, 3)) \
            .sum(1) \
            .squeeze()
        input = input.clone()
        for i in range(3):
            input[i].add(rgb[i])
        return input
    return run


def blend(img1, img2, alpha):
    return img1.mul(alpha).add(1 - alpha, img2)


def grayscale(dst, img):
    dst.resizeAs(img)
    dst[0].zero()
    dst[0].add(0.299, img[0]).add(0.587, img[1]).add(0.114, img[2])
    dst[1].copy(dst[0])
    dst[2].copy(dst[0])
    return dst


def Saturation(var):
    gs = None

    def run(input):
        nonlocal gs
        gs = gs if gs is not None else input.new()   # Lua: gs = gs or input.new()
        grayscale(gs, input)
        alpha = 1.0 + lg.uniform(-var, var)
        blend(input, gs, alpha)
        return input
    return run


def Brightness(var):
    gs = None

    def run(input):
        nonlocal gs
        gs = gs if gs is not None else input.new()   # Lua: gs = gs or input.new()
        gs.resizeAs(input).zero()
        alpha = 1.0 + lg.uniform(-var, var)
        blend(input, gs, alpha)
        return input
    return run


def Contrast(var):
    gs = None

    def run(input):
        nonlocal gs
        gs = gs if gs is not None else input.new()   # Lua: gs = gs or input.new()
        grayscale(gs, input)
        gs.fill(gs[0].mean())
        alpha = 1.0 + lg.uniform(-var, var)
        blend(input, gs, alpha)
        return input
    return run


def RandomOrder(ts):
    def run(input):
        img = input
        order = lg.randperm(len(ts))
        for i in range(len(ts)):
            img = ts[int(order[i])](img)
        return img
    return run


def ColorJitter(opt):
    ts = []
    if opt.get('brightness', 0) != 0:
        ts.append(Brightness(opt['brightness']))
    if opt.get('contrast', 0) != 0:
        ts.append(Contrast(opt['contrast']))
    if opt.get('saturation', 0) != 0:
        ts.append(Saturation(opt['saturation']))
    if len(ts) == 0:
        return lambda input: input
    return RandomOrder(ts)


# --- datasets/imagenet.lua --------------------------------------------------------------------------------------

meanstd = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}
pca = {
    'eigval': lg.Tensor([0.2175, 0.0188, 0.0045]),
    'eigvec': lg.Tensor([
        [-0.5675, 0.7192, 0.4009],
        [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203],
    ]),
}


def _loadImage(path):
    try:
        input = image.load(path, 3, 'float')
    except Exception:   # pcall: the file's extension does not match its format; decompress its bytes instead
        with open(path, 'rb') as f:
            data = f.read()
        b = lg.ByteTensor(len(data))
        b.numpy()[:] = np.frombuffer(data, np.uint8)   # ffi.copy(b:data(), data, b:size(1))
        input = image.decompress(b, 3, 'float')
    return input


def preprocess(split, tenCrop=False):
    if split == 'train':
        return Compose([
            RandomSizedCrop(224),
            ColorJitter({'brightness': 0.4, 'contrast': 0.4, 'saturation': 0.4}),
            Lighting(0.1, pca['eigval'], pca['eigvec']),
            ColorNormalize(meanstd),
            HorizontalFlip(0.5),
        ])
    Crop = TenCrop if tenCrop else CenterCrop
    return Compose([Scale(256), ColorNormalize(meanstd), Crop(224)])


# --- the checks -----------------------------------------------------------------------------------------------

def _photo(h=300, w=400):
    """A smooth synthetic colour picture (gradients and a disc), ``3 x h x w`` bytes."""
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    disc = ((x - 0.6) ** 2 + (y - 0.4) ** 2 < 0.05)
    rgb = np.stack([x, y, 0.5 + 0.5 * disc - 0.25 * x])
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def test_imagenet_val_pipeline_from_a_jpeg_file(tmp_path):
    """imagenet.lua's val split: ``_loadImage`` (image.load, and image.decompress of the bytes when the extension
    lies), Scale(256) of the smaller edge, ColorNormalize, CenterCrop(224) and TenCrop(224)."""
    pytest.importorskip('PIL')
    photo = _photo()
    image.save(str(tmp_path / 'a.jpg'), lg.ByteTensor(photo))
    (tmp_path / 'b.png').write_bytes((tmp_path / 'a.jpg').read_bytes())   # a JPEG named .png
    img = _loadImage(str(tmp_path / 'a.jpg'))
    assert img.type() == 'legonn.FloatTensor' and tuple(img.size()) == (3, 300, 400)
    assert np.abs(img.numpy() * 255 - photo).mean() < 2   # JPEG's loss on a smooth picture
    assert np.array_equal(_loadImage(str(tmp_path / 'b.png')).numpy(), img.numpy())

    scaled = Scale(256)(img)
    assert tuple(scaled.size()) == (3, 256, 341)          # 400 / 300 * 256 = 341.3, truncated
    assert Scale(256)(scaled) is scaled                    # already at size: passed through
    out = preprocess('val')(img)
    assert tuple(out.size()) == (3, 224, 224)
    normalized = ColorNormalize(meanstd)(scaled).numpy()
    for i in range(3):
        assert np.allclose(normalized[i], (scaled.numpy()[i] - meanstd['mean'][i]) / meanstd['std'][i], atol=1e-6)
    w1, h1 = math.ceil((341 - 224) / 2), math.ceil((256 - 224) / 2)
    assert np.array_equal(out.numpy(), normalized[:, h1:h1 + 224, w1:w1 + 224])

    ten = preprocess('val', tenCrop=True)(img)
    assert tuple(ten.size()) == (10, 3, 224, 224)
    flipped = normalized[:, :, ::-1]
    assert np.array_equal(ten[0].numpy(), out.numpy())
    assert np.array_equal(ten[2].numpy(), normalized[:, :224, 341 - 224:])
    assert np.array_equal(ten[5].numpy(), flipped[:, h1:h1 + 224, w1:w1 + 224])
    assert np.array_equal(ten[9].numpy(), flipped[:, 256 - 224:, 341 - 224:])


def test_imagenet_train_pipeline_is_seeded_and_sized():
    """imagenet.lua's train split (RandomSizedCrop, ColorJitter in random order, Lighting, ColorNormalize,
    HorizontalFlip): 224 x 224 whatever the crop drawn, and the same picture again under the same seed."""
    img = lg.FloatTensor(_photo()).div(255)
    outs = []
    for seed in (3, 3, 4):
        lg.manualSeed(seed)
        t = preprocess('train')
        outs.append([t(img.clone()).numpy().copy() for _ in range(4)])
    for batch in outs:
        for o in batch:
            assert o.shape == (3, 224, 224) and np.isfinite(o).all()
    assert all(np.array_equal(a, b) for a, b in zip(outs[0], outs[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(outs[0], outs[2]))


def test_lighting_adds_the_pca_colour_shift():
    """Lighting: each channel moves by ``sum_j eigvec[i][j] alpha_j eigval_j`` (AlexNet's PCA noise)."""
    img = lg.FloatTensor(_photo(20, 30)).div(255)
    lg.manualSeed(7)
    alpha = lg.Tensor(3).normal(0, 0.1).numpy().copy()
    lg.manualSeed(7)
    out = Lighting(0.1, pca['eigval'], pca['eigvec'])(img)
    shift = pca['eigvec'].numpy() @ (alpha * pca['eigval'].numpy())
    assert np.allclose(out.numpy() - img.numpy(), shift[:, None, None], atol=1e-6)
    assert Lighting(0, pca['eigval'], pca['eigvec'])(img) is img


def test_cifar_random_crop_with_padding_and_flip():
    """cifar10.lua's train transforms: RandomCrop(32, 4) pads with zeros and crops back to 32, HorizontalFlip(0.5)
    mirrors; the crop is a window of the padded picture."""
    img = lg.FloatTensor(_photo(32, 32)).div(255)
    lg.manualSeed(11)
    crop = RandomCrop(32, 4)(img)
    assert tuple(crop.size()) == (3, 32, 32)
    padded = np.zeros((3, 40, 40), np.float32)
    padded[:, 4:36, 4:36] = img.numpy()
    windows = [padded[:, y:y + 32, x:x + 32] for y in range(9) for x in range(9)]
    assert any(np.array_equal(crop.numpy(), w) for w in windows)
    flips = {bool(np.array_equal(HorizontalFlip(0.5)(img).numpy(), img.numpy()[:, :, ::-1])) for _ in range(20)}
    assert flips == {True, False}


def test_colour_jitter_blends_with_grey():
    """Brightness/Contrast/Saturation blend the picture in place with black, its mean grey or its own grey
    (``0.299 r + 0.587 g + 0.114 b``) by ``alpha = 1 + uniform(-var, var)``."""
    img = lg.FloatTensor(_photo(10, 12)).div(255)
    x = img.numpy().copy()
    grey = 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    lg.manualSeed(5)
    alpha = 1.0 + lg.uniform(-0.4, 0.4)
    lg.manualSeed(5)
    Saturation(0.4)(img)
    assert np.allclose(img.numpy(), alpha * x + (1 - alpha) * grey[None], atol=1e-6)
    img = lg.FloatTensor(x.copy())
    lg.manualSeed(5)
    Contrast(0.4)(img)
    assert np.allclose(img.numpy(), alpha * x + (1 - alpha) * grey.mean(), atol=1e-5)


def test_random_crops_reach_the_last_offset():
    """``torch.random(0, w - size)`` draws ``0 .. w - size`` inclusive: a crop may touch the right edge, and a
    picture exactly as tall as the crop (``h - size = 0``) is cropped across only (found by the DataLoader port,
    tests/porting/test_fbresnet_dataloader.py, whose small pictures give RandomSizedCrop such draws)."""
    img = lg.FloatTensor(_photo(32, 35)).div(255)
    lg.manualSeed(3)
    offsets = set()
    for _ in range(60):
        crop = RandomCrop(32)(img).numpy()
        offsets.add(next(x for x in range(4) if np.array_equal(crop, img.numpy()[:, :, x:x + 32])))
    assert offsets == {0, 1, 2, 3}
    assert {RandomScale(3, 4)(img).size(1) for _ in range(40)} == {3, 4}     # maxSize drawn too
