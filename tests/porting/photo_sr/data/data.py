"""data/data.lua: dcgan.torch's data.lua with its donkey fixed to donkey_folder_supres.lua and no dataset name:
``data.new(n, opt)`` starts ``n`` donkeys (or runs the donkey in this thread for 0), keeps one batch job queued per
donkey, and ``getBatch()`` queues one more and returns the oldest batch's values (high-resolution batch,
low-resolution batch, labels). reedscot/icml2016's port of the same file (tests/porting/icml2016/data/data.py) is
reused: its ``donkey_file`` is the one line that differs."""
from tests.porting.icml2016.data.data import data as dcgan_data
from tests.porting.photo_sr.data import donkey_folder_supres


class data(dcgan_data):

    @staticmethod
    def donkey_file(dataset_name):
        donkey_file = donkey_folder_supres
        return donkey_file

    @classmethod
    def new(cls, n, opt_=None):
        return super().new(n, None, opt_)
