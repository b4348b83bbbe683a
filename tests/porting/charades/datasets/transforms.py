"""datasets/transforms.lua: fb.resnet.torch's transforms (ported in tests/porting/test_fbresnet_transforms.py and
imported from there) with the two functions charades-algorithms changed: ColorNormalize normalises every
channel of the image (``for i=1,img:size(1)``: the 20 planes of a flow stack) where fb.resnet's does three, and
RandomOrder returns its input (``return input``, line 265), which its in-place transforms have changed;
ColorJitter is fb.resnet's, ported here so that it composes this RandomOrder."""
import legonn as lg
from tests.porting.test_fbresnet_transforms import (  # noqa: F401 (the module's M.*)
    Brightness, CenterCrop, Compose, Contrast, HorizontalFlip, Lighting, RandomCrop, RandomScale, RandomSizedCrop,
    Rotation, Saturation, Scale, TenCrop, blend, grayscale)


def ColorNormalize(meanstd):
    def run(img):
        img = img.clone()
        for i in range(img.size(0)):
            img[i].add(-meanstd['mean'][i])
            img[i].div(meanstd['std'][i])
        return img
    return run


def RandomOrder(ts):
    def run(input):
        img = input   # input.img or input: a tensor has no field img
        order = lg.randperm(len(ts))
        for i in range(len(ts)):
            img = ts[int(order[i])](img)
        return input
    return run


def ColorJitter(opt):
    brightness = opt.get('brightness', 0)
    contrast = opt.get('contrast', 0)
    saturation = opt.get('saturation', 0)

    ts = []
    if brightness != 0:
        ts.append(Brightness(brightness))
    if contrast != 0:
        ts.append(Contrast(contrast))
    if saturation != 0:
        ts.append(Saturation(saturation))

    if len(ts) == 0:
        return lambda input: input

    return RandomOrder(ts)
