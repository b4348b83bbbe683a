"""utils.lua of satoshiiizuka/siggraph2017_inpainting, ported line by line: a mask image read as one grey channel,
and the conversions between a 3 x H x W float image in [0, 1] and OpenCV's H x W x 3 BGR bytes."""
from legonn import image


def load_image_gray(path):
    img = image.load(path)
    if img.size(0) > 3:  # rgb + alpha
        img = img[0:3, :, :]
    if img.size(0) == 2:  # grayscale + alpha
        img = img[0:1, :, :]
    if img.size(0) > 1:  # rgb -> grayscale
        img = image.rgb2y(img)
    return img


def tensor2cvimg(src):  # return byte tensor [0, 255]
    out = src.clone().permute(1, 2, 0).mul(255).byte()
    outc = out[:, :, 0:1].clone()
    out[:, :, 0:1] = out[:, :, 2:3]
    out[:, :, 2:3] = outc
    return out


def cvimg2tensor(src):  # return float tensor [0, 1]
    out = src.clone().permute(2, 0, 1).float().div(255)
    outc = out[0:1, :, :].clone()
    out[0:1, :, :] = out[2:3, :, :]
    out[2:3, :, :] = outc
    return out
