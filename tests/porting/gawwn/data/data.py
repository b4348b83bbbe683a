"""data/data.lua: icml2016's data.lua (tests/porting/icml2016/data/data.py, whose ``data`` class this one extends)
but for the dataset names ``new`` maps to donkey files: here cub_keypoint_and_image, cub_bbox_and_image
and cub_keypoint_only to their donkeys; MHP's two (mhp_keypoint_and_image, mhp_keypoint_only) are not ported."""
import functools

from legonn import threads

from ...context_encoder import _InlineJobs
from ...icml2016.data import data as icml2016_data
from . import donkey_folder_cub_bbox_and_image, donkey_folder_cub_keypoint, donkey_folder_cub_keypoint_and_image


class data(icml2016_data.data):

    @classmethod
    def new(cls, n, dataset_name, opt_=None):
        opt_ = opt_ or {}
        self = cls()

        donkey_file = None
        if dataset_name == 'cub_keypoint_and_image':
            donkey_file = donkey_folder_cub_keypoint_and_image
        elif dataset_name == 'cub_bbox_and_image':
            donkey_file = donkey_folder_cub_bbox_and_image
        elif dataset_name == 'cub_keypoint_only':
            donkey_file = donkey_folder_cub_keypoint
        elif dataset_name in ('mhp_keypoint_and_image', 'mhp_keypoint_only'):
            raise NotImplementedError('the donkey of ' + dataset_name + ' is not ported')
        else:
            raise ValueError('Unknown dataset: ' + dataset_name)

        if n > 0:
            options = opt_
            self.threads = threads.Threads(n, icml2016_data._donkey_init,
                                           functools.partial(icml2016_data._donkey_main, options, donkey_file))
        else:
            if donkey_file:
                threads.local.opt = opt_        # the donkey reads the main script's global opt
                donkey_file.run()
            self.threads = _InlineJobs()

        nSamples = 0

        def keep_size(c):
            nonlocal nSamples
            nSamples = c
        self.threads.addjob(icml2016_data._trainLoaderSize, keep_size)
        self.threads.synchronize()
        self._size = nSamples

        for i in range(n):
            self.threads.addjob(data._getFromThreads,
                                data._pushResult)

        return self
