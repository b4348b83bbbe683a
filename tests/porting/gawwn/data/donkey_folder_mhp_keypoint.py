"""data/donkey_folder_mhp_keypoint.lua: donkey_folder_mhp_keypoint_and_image.lua (this package's
donkey_folder_mhp_keypoint_and_image.py, whose ``run``, ``trainHook`` and file selection it reuses) but for
``sample``, which returns the keypoints themselves, ``quantity x num_elt x 3`` (x and y as fractions of the crop,
visibility), in place of their maps and the raw copy."""
import legonn as lg
from legonn import threads

from . import donkey_folder_mhp_keypoint_and_image as keypoint_and_image
from .donkey_folder_mhp_keypoint_and_image import trainHook


def run():
    keypoint_and_image.run(Loader())


class Loader(keypoint_and_image.Loader):

    def sample(self, quantity):
        G = threads.local
        opt, sampleSize = G.opt, G.sampleSize
        batch_info = self.select(quantity)

        data_img = lg.zeros(quantity, sampleSize[0], sampleSize[1], sampleSize[1])
        data_dbg = lg.zeros(quantity, sampleSize[0], sampleSize[1], sampleSize[1])
        data_txt = lg.zeros(quantity, opt['txtSize'])
        data_loc = lg.zeros(quantity, opt['num_elt'], 3)

        for n in range(quantity):
            info = batch_info[n]
            img_file = opt['img_dir'] + '/' + info['img']

            # randomly select a single person
            person_ix = lg.randperm(info['single_person'].size(1))[0]
            person_ix = info['single_person'][0, person_ix]

            # normalize image and keypoint locations.
            img, locs, img_dbg = trainHook(img_file,
                                           info['points'][:, :, person_ix - 1],
                                           info['pos'][:, person_ix - 1],
                                           info['scale'][:, person_ix - 1],
                                           info['head'][:, person_ix - 1])
            data_img[n, :, :, :].copy(img)

            # add text information.
            ix_txt = lg.randperm(info['txt'].size(0) - opt['num_holdout'])
            for c in range(opt['numCaption']):
                data_txt[n].add(info['txt'][ix_txt[c]].double())
            data_txt[n].mul(1.0 / opt['numCaption'])

            data_loc[n].copy(locs)

        return data_img, data_txt, data_loc, data_dbg
