"""datasets/charades.lua: the Charades RGB frames dataset: ``get(i)`` loads frame ``i`` (0-based) of the list
charades-gen.lua made, with its class (a number; for ``val2`` the video's 157-entry 0/1 row) and video id;
``preprocess()`` is fb.resnet's ImageNet pipeline with VGG-16's Caffe mean and no scaling.

Edits beyond the package's: the class is a Python class (``torch.class('resnet.CharadesDataset', M)``);
``_loadImage`` is fb.resnet's imagenet.lua function, line for line, ported in
tests/porting/test_fbresnet_transforms.py and called from here."""
import legonn as lg
from legonn import ffi, paths
from tests.porting.test_fbresnet_transforms import _loadImage

from . import transforms as t


class CharadesDataset:
    typename = 'resnet.CharadesDataset'

    def __init__(self, imageInfo, opt, split):
        self.imageInfo = imageInfo[split]
        self.opt = opt
        self.split = split
        self.dir = opt['data']
        assert paths.dirp(self.dir), 'directory does not exist: ' + self.dir

    def get(self, i):
        path = ffi.string(self.imageInfo['imagePath'][i].data())
        image = self._loadImage(paths.concat(self.dir, path))
        class_ = self.imageInfo['imageClass'][i]
        id = ffi.string(self.imageInfo['ids'][i].data())

        return {
            'input': image,
            'target': class_,
            'id': id,
        }

    def _loadImage(self, path):
        return _loadImage(path)

    def size(self):
        return self.imageInfo['imageClass'].size(0)

    def preprocess(self):
        if self.split == 'train':
            return t.Compose([
                t.RandomSizedCrop(224),
                t.ColorJitter({
                    'brightness': 0.4,
                    'contrast': 0.4,
                    'saturation': 0.4,
                }),
                t.Lighting(0.1, pca['eigval'], pca['eigvec']),
                t.ColorNormalize(meanstd),
                t.HorizontalFlip(0.5),
            ])
        elif self.split == 'val':
            Crop = t.TenCrop if self.opt['tenCrop'] else t.CenterCrop
            return t.Compose([
                t.Scale(256),
                t.ColorNormalize(meanstd),
                Crop(224),
            ])
        elif self.split == 'val2':
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
    'mean': [103.939 / 255, 116.779 / 255, 123.68 / 255],  # vgg16
    'std': [1.0, 1.0, 1.0],  # I don't think caffe normalizes
}
pca = {
    'eigval': lg.Tensor([0.2175, 0.0188, 0.0045]),
    'eigvec': lg.Tensor([
        [-0.5675, 0.7192, 0.4009],
        [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203],
    ]),
}
