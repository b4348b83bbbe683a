"""images.lua: Caffe's preprocessing (RGB to BGR, 0..255, mean subtracted, a batch of one) and its inverse."""
import legonn as lg
from legonn import image

means = [104, 117, 123]


def preprocess(img, scale=None):
    # handle monochrome images
    if img.size(0) == 1:
        copy = lg.FloatTensor(3, img.size(1), img.size(2))
        copy[0] = img[0]
        copy[1] = img[0]
        copy[2] = img[0]
        img = copy
    elif img.size(0) == 4:
        img = img[0:3, :, :]

    w, h = img.size(2), img.size(1)
    if scale:
        if w < h:
            img = image.scale(img, scale * w / h, scale)
        else:
            img = image.scale(img, scale, scale * h / w)

    # reverse channels
    copy = lg.FloatTensor(img.size())
    copy[0] = img[2]
    copy[1] = img[1]
    copy[2] = img[0]
    img = copy

    img.mul(255)
    for i in range(3):
        img[i].add(-means[i])
    return img.view(1, 3, img.size(1), img.size(2))


def depreprocess(img):
    copy = lg.FloatTensor(3, img.size(2), img.size(3)).copy(img)
    for i in range(3):
        copy[i].add(means[i])
    copy.div(255)

    # reverse channels
    copy2 = lg.FloatTensor(copy.size())
    copy2[0] = copy[2]
    copy2[1] = copy[1]
    copy2[2] = copy[0]
    copy2.clamp(0, 1)
    return copy2
