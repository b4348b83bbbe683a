"""lib/data_augmentation.lua: nine 24 x 24 crops, nine 28 x 28 crops scaled to 24 x 24, and the horizontal
reflections of all eighteen (36 images per 3 x 32 x 32 image); a batch and its one-hot labels for training, one
image for prediction. ``image.crop``'s corners are 0-based in Torch7's image package too, so the offsets stay. The
``collectgarbage()`` every 100 images is dropped (docs/porting.md)."""
import legonn as lg
from legonn import image


# data augmentation methods

def crop(x, offsets, width, height=None):
    height = height or width
    return image.crop(x, offsets[0], offsets[1], offsets[0] + width, offsets[1] + height)


def horizontal_reflection(x):
    return image.hflip(x)


def zoomout(x):
    return image.scale(x, 24, 24, 'bilinear')


CROP_POS24 = []


def generate_crop_pos24():
    for i in range(0, 8 + 1, 4):
        for j in range(0, 8 + 1, 4):
            CROP_POS24.append([i, j])


CROP_POS28 = []


def generate_crop_pos28():
    for i in range(0, 4 + 1, 2):
        for j in range(0, 4 + 1, 2):
            CROP_POS28.append([i, j])


generate_crop_pos24()
generate_crop_pos28()


def data_augmentation(x, y=None):
    scale = len(CROP_POS24) + len(CROP_POS28)
    if x.dim() == 4:
        # jitter for training
        new_x = lg.Tensor(x.size(0) * scale * 2, 3, 24, 24)
        new_y = lg.Tensor(y.size(0) * scale * 2, y.size(1))
        for i in range(x.size(0)):
            src = x[i]
            images = []
            for j in range(len(CROP_POS24)):
                images.append(crop(src, CROP_POS24[j], 24))
            for j in range(len(CROP_POS28)):
                images.append(zoomout(crop(src, CROP_POS28[j], 28)))
            for j in range(len(images)):
                new_x[scale * 2 * i + j].copy(images[j])
                new_y[scale * 2 * i + j].copy(y[i])
                new_x[scale * 2 * i + len(images) + j].copy(horizontal_reflection(images[j]))
                new_y[scale * 2 * i + len(images) + j].copy(y[i])
        return new_x, new_y
    elif x.dim() == 3:
        # jitter for prediction
        new_x = lg.Tensor(scale * 2, 3, 24, 24)
        src = x
        images = []
        for i in range(len(CROP_POS24)):
            images.append(crop(src, CROP_POS24[i], 24))
        for i in range(len(CROP_POS28)):
            images.append(zoomout(crop(src, CROP_POS28[i], 28)))
        for i in range(len(images)):
            new_x[i].copy(images[i])
            new_x[len(images) + i].copy(horizontal_reflection(images[i]))
        return new_x
