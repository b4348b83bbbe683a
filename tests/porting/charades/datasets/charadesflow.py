"""datasets/charadesflow.lua: charades.lua over optical flow: ``get(i)`` stacks the 10 x and 10 y flow frames
(grey images) from the listed one on into a 20-plane input, normalised by 128/255 and not colour-jittered.

Edits beyond the package's: ``string.format('%06d', number-1+j)`` reads the six digits ``number`` as a
number, which Lua does by coercing the string in arithmetic and Python refuses (``int(number)``:
docs/porting.md's string arithmetic row); ``j`` counts the flow frames 1 to 10 as the file names do, and the
planes it fills are 0-based (``(j-1)*2``)."""
import io

import numpy as np

import legonn as lg
from legonn import ffi, image, paths

from . import charades
from . import transforms as t


class CharadesDataset(charades.CharadesDataset):
    """The Lua class repeats __init, size and preprocess's structure: __init and size are charades.lua's, inherited."""

    def get(self, i):
        path = ffi.string(self.imageInfo['imagePath'][i].data())
        # This function loads in 20 consecutive optical flow images (10 x and 10 y images)
        # Follwing the two-stream architecture
        image1 = self._loadImage(paths.concat(self.dir, path))
        finalimage = lg.Tensor(20, image1.size(1), image1.size(2))
        # the path is of the format */?????-000000x.jpg
        prefix = path[:len(path) - 6 - 5]
        number = path[len(path) - 6 - 5:len(path) - 5]
        for j in range(1, 11):
            thispath1 = prefix + '%06d' % (int(number) - 1 + j) + 'x' + '.jpg'
            thispath2 = prefix + '%06d' % (int(number) - 1 + j) + 'y' + '.jpg'
            image1 = self._loadImage(paths.concat(self.dir, thispath1))
            image2 = self._loadImage(paths.concat(self.dir, thispath2))
            finalimage[(j - 1) * 2] = image1
            finalimage[(j - 1) * 2 + 1] = image2

        class_ = self.imageInfo['imageClass'][i]
        id = ffi.string(self.imageInfo['ids'][i].data())

        return {
            'input': finalimage,
            'target': class_,
            'id': id,
        }

    def _loadImage(self, path):
        try:
            input = image.load(path, 1, 'float')
        except Exception:   # pcall: the extension does not match the format; decompress the file's bytes
            with io.open(path, 'rb') as f:
                data = f.read()
            b = lg.ByteTensor(len(data))
            b.numpy()[:] = np.frombuffer(data, np.uint8)   # ffi.copy(b:data(), data, b:size(1))
            input = image.decompress(b, 1, 'float')
        return input

    def preprocess(self):
        if self.split == 'train':
            return t.Compose([
                t.RandomSizedCrop(224),
                t.ColorNormalize(meanstd),
                t.HorizontalFlip(0.5),
            ])
        elif self.split in ('val', 'val2'):   # the Lua's two identical branches
            Crop = t.TenCrop if self.opt['tenCrop'] else t.CenterCrop
            return t.Compose([
                t.Scale(256),
                t.ColorNormalize(meanstd),
                Crop(224),
            ])
        else:
            raise RuntimeError('invalid split: ' + self.split)


# Computed from random subset of ImageNet training images
meanstd = {
    'mean': [128.0 / 255] * 20,  # flow vgg16
    'std': [1.0] * 20,  # I don't think caffe normalizes
}
