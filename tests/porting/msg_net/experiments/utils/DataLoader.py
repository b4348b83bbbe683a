"""experiments/utils/DataLoader.lua: batches of an HDF5 file's ``/train2014/images`` and ``/val2014/images``
(uint8 N x 3 x H x W), scaled to [0, 1] and preprocessed; ``getBatch`` returns them twice (input and content
target). MSG-Net's copy of fast-neural-style's loader without its ``task`` switch, so ported here. HDF5's
``partial`` ranges are 0-based, both ends included (as in the fast-neural-style port)."""
import math

import legonn as lg
from legonn import hdf5

from tests.porting.test_fast_neural_style_train import preprocess_table as preprocess


class DataLoader:

    def __init__(self, opt):
        assert opt.get('h5_file'), 'Must provide h5_file'
        assert opt.get('batch_size'), 'Must provide batch size'
        self.preprocess_fn = preprocess[opt['preprocessing']]['preprocess']

        self.h5_file = hdf5.open(opt['h5_file'], 'r')
        self.batch_size = opt['batch_size']

        self.split_idxs = {
            'train': 0,
            'val': 0,
        }

        self.image_paths = {
            'train': '/train2014/images',
            'val': '/val2014/images',
        }

        train_size = self.h5_file.read(self.image_paths['train']).dataspaceSize()
        self.split_sizes = {
            'train': train_size[0],
            'val': self.h5_file.read(self.image_paths['val']).dataspaceSize()[0],
        }
        self.num_channels = train_size[1]
        self.image_height = train_size[2]
        self.image_width = train_size[3]

        self.num_minibatches = {}
        for k, v in self.split_sizes.items():
            self.num_minibatches[k] = math.floor(v / self.batch_size)

        if opt.get('max_train') and opt['max_train'] > 0:
            self.split_sizes['train'] = opt['max_train']

        self.rgb_to_gray = lg.FloatTensor([0.2989, 0.5870, 0.1140])

    def reset(self, split):
        self.split_idxs[split] = 0

    def getBatch(self, split):
        path = self.image_paths[split]

        start_idx = self.split_idxs[split]
        end_idx = min(start_idx + self.batch_size - 1, self.split_sizes[split] - 1)

        # Load images out of the HDF5 file
        images = self.h5_file.read(path).partial(
            [start_idx, end_idx],
            [0, self.num_channels - 1],
            [0, self.image_height - 1],
            [0, self.image_width - 1]).float().div(255)

        # Advance counters, maybe rolling back to the start
        self.split_idxs[split] = end_idx + 1
        if self.split_idxs[split] > self.split_sizes[split] - 1:
            self.split_idxs[split] = 0

        # Preprocess images
        images_pre = self.preprocess_fn(images)

        return images_pre, images_pre
