"""data/donkey_folder_cub_keypoint.lua: donkey_folder_cub_keypoint_and_image.lua (this package's
donkey_folder_cub_keypoint_and_image.py, whose ``run`` and ``trainHook`` it reuses) but for ``sample``, which returns
the keypoints themselves, ``quantity x num_elt x 3`` (x and y as fractions of the crop, visibility), in place of
their maps and the raw copy."""
import legonn as lg

from . import donkey_folder_cub_keypoint_and_image as keypoint_and_image


def run():
    keypoint_and_image.run(Loader())


class Loader(keypoint_and_image.Loader):

    def sample(self, quantity):
        opt, cur_files, sampleSize = self.opt, self.cur_files, self.sampleSize
        ix_file = lg.Tensor(quantity)
        for n in range(quantity):
            samples = lg.randperm(len(cur_files)).narrow(0, 0, 2)
            file_ix = samples[0]
            ix_file[n] = file_ix

        data_img = lg.zeros(quantity, sampleSize[0], sampleSize[1], sampleSize[1])
        data_dbg = lg.zeros(quantity, sampleSize[0], sampleSize[1], sampleSize[1])
        data_txt = lg.zeros(quantity, opt['txtSize'])
        data_loc = lg.zeros(quantity, opt['num_elt'], 3)

        for n in range(quantity):
            t7file = cur_files[int(ix_file[n])]     # a list index held in a DoubleTensor
            info = lg.load(t7file)

            img_file = opt['img_dir'] + '/' + info['img']

            # normalize image and keypoint locations.
            img, locs, img_dbg = self.trainHook(img_file, info['parts'].clone().double())
            data_img[n, :, :, :].copy(img)
            data_dbg[n, :, :, :].copy(img_dbg)

            # add text information.
            ix_txt = lg.randperm(info['txt'].size(0) - opt['num_holdout'])
            for c in range(opt['numCaption']):
                data_txt[n, :].add(info['txt'][ix_txt[c]].double())
            data_txt[n, :].div(opt['numCaption'])

            # add location information.
            for s in range(opt['num_elt']):
                data_loc[n, s, :].copy(locs[s])
        return data_img, data_txt, data_loc, data_dbg
