"""data/data.lua: icml2016's data.lua (tests/porting/icml2016/data/data.py, whose ``data`` class this one extends)
but for the if-chain from the dataset's name to its donkey file: here cub_keypoint_and_image, cub_bbox_and_image and
cub_keypoint_only have theirs, and MHP's two (mhp_keypoint_and_image, mhp_keypoint_only)."""
from ...icml2016.data import data as icml2016_data
from . import (donkey_folder_cub_bbox_and_image, donkey_folder_cub_keypoint, donkey_folder_cub_keypoint_and_image,
               donkey_folder_mhp_keypoint, donkey_folder_mhp_keypoint_and_image)


class data(icml2016_data.data):

    @staticmethod
    def donkey_file(dataset_name):
        if dataset_name == 'mhp_keypoint_and_image':
            donkey_file = donkey_folder_mhp_keypoint_and_image
        elif dataset_name == 'mhp_keypoint_only':
            donkey_file = donkey_folder_mhp_keypoint
        elif dataset_name == 'cub_bbox_and_image':
            donkey_file = donkey_folder_cub_bbox_and_image
        elif dataset_name == 'cub_keypoint_and_image':
            donkey_file = donkey_folder_cub_keypoint_and_image
        elif dataset_name == 'cub_keypoint_only':
            donkey_file = donkey_folder_cub_keypoint
        else:
            raise ValueError('Unknown dataset: ' + dataset_name)
        return donkey_file
