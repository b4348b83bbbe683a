"""data/donkey_folder_cub_bbox_and_image.lua, run in a donkey (``run()``, paths.dofile's stand-in): sets the
donkey's global ``trainLoader``, whose ``sample(quantity)`` returns (images ``quantity x num_elt x 3 x fineSize x
fineSize`` in [-1, 1], the same image for each element; text codes ``quantity x num_elt x txtSize``, each the mean
of ``numCaption`` captions; the first box as an affine crop ``quantity x num_elt x 2 x 3``, [[s_y, 0, t_y], [0,
s_x, t_x]] in the [-1, 1] coordinates of stn's AffineGridGeneratorBHWD; the crops with each box drawn). Every file
under ``opt.data_root`` is a Torch7 file ``{img = <path under opt.img_dir>, txt = <captions x txtSize>, loc = <4 x
boxes: 1-based pixel x, y, width, height>}``. Box pixels stay 1-based values as in the Lua; an index takes 1 off."""
import math

import legonn as lg
from legonn import image, threads
from legonn.pl import dir

from .donkey_folder_cub_keypoint_and_image import loadImage


def run():
    G = threads.local
    opt = G.opt
    trainLoader = Loader()

    if opt.get('num_holdout') is None:
        opt['num_holdout'] = 0

    size = 0
    cur_files = dir.getfiles(opt['data_root'])
    size = size + len(cur_files)

    trainLoader.opt = opt
    trainLoader.cur_files = cur_files
    trainLoader._size = size
    trainLoader.loadSize = [3, opt['loadSize']]
    trainLoader.sampleSize = [3, opt['fineSize']]
    G.trainLoader = trainLoader


def fix_boxes(img, locs):
    iH = img.size(1)
    iW = img.size(2)
    for b in range(locs.size(1)):
        x = locs[0, b]
        y = locs[1, b]
        width = locs[2, b]
        height = locs[3, b]

        locs[0, b] = max(1, x)
        locs[1, b] = max(1, y)
        locs[2, b] = locs[2, b] - max(0, x + width - iW)
        locs[3, b] = locs[3, b] - max(0, y + height - iH)
    return locs


class Loader:
    """The donkey's ``trainLoader`` table (the alphabet fields, as the keypoint donkey's, are left out)."""

    def draw_boxes(self, img, locs, thickness=None):
        opt, sampleSize = self.opt, self.sampleSize
        thickness = thickness or 3
        imgs_mat = lg.zeros(locs.size(1), 3, sampleSize[1], sampleSize[1])
        red = lg.zeros(3)
        red[1] = opt['num_elt'] * 1.0
        for b in range(locs.size(1)):
            x = int(locs[0, b])
            y = int(locs[1, b])
            width = int(locs[2, b])
            height = int(locs[3, b])

            img_tmp = img.clone()

            # top bar
            for n in range(1, width + 1):
                for t in range(1, thickness + 1):
                    offset = -math.floor(thickness / 2) + (t - 1)
                    if (y + offset) <= img_tmp.size(1) and (y + offset) >= 1:
                        img_tmp[:, y + offset - 1, x + n - 2].copy(red)
            # bottom bar
            for n in range(1, width + 1):
                for t in range(1, thickness + 1):
                    offset = -math.floor(thickness / 2) + (t - 1)
                    if (y + height + offset) <= img_tmp.size(1) and (y + height + offset) >= 1:
                        img_tmp[:, y + height + offset - 1, x + n - 2].copy(red)
            # left bar
            for n in range(1, height + 1):
                for t in range(1, thickness + 1):
                    offset = -math.floor(thickness / 2) + (t - 1)
                    if (x + offset) <= img_tmp.size(2) and (x + offset) >= 1:
                        img_tmp[:, y + n - 2, x + offset - 1].copy(red)
            # right bar
            for n in range(1, height + 1):
                for t in range(1, thickness + 1):
                    offset = -math.floor(thickness / 2) + (t - 1)
                    if (x + width + offset) <= img_tmp.size(2) and (x + width + offset) >= 1:
                        img_tmp[:, y + n - 2, x + width + offset - 1].copy(red)

            img_tmp = image.scale(img_tmp, sampleSize[1], sampleSize[1])
            imgs_mat[b].copy(img_tmp)

        return imgs_mat

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path, loc):
        loadSize, sampleSize = self.loadSize, self.sampleSize
        input = loadImage(path)
        iW_orig = input.size(2)
        iH_orig = input.size(1)
        loc_affine = lg.zeros(loc.size(1), 2, 3)

        # handle edge cases
        loc = fix_boxes(input, loc)

        # first scale to load size.
        input = image.scale(input, loadSize[1], loadSize[1])
        iW = input.size(2)
        iH = input.size(1)

        # rescale bboxes
        x_scale_factor = iW / iW_orig
        y_scale_factor = iH / iH_orig
        for b in range(loc.size(1)):
            loc[0, b] = max(1, math.floor(x_scale_factor * loc[0, b]))  # x
            loc[1, b] = max(1, math.floor(y_scale_factor * loc[1, b]))  # y
            loc[2, b] = math.floor(x_scale_factor * loc[2, b])  # width
            loc[3, b] = math.floor(y_scale_factor * loc[3, b])  # height

        # local input_dbg = draw_boxes(input:clone(), loc)

        # then crop and flip
        oW = sampleSize[1]
        oH = sampleSize[1]
        h1 = math.ceil(lg.uniform(1e-2, iH - oH))
        w1 = math.ceil(lg.uniform(1e-2, iW - oW))

        out = image.crop(input, w1, h1, w1 + oW, h1 + oH)
        assert out.size(1) == oW
        assert out.size(2) == oH

        do_flip = lg.uniform() > 0.5
        if do_flip:
            out = image.hflip(out)

        # update bboxes
        for b in range(loc.size(1)):
            loc[0, b] = max(1, loc[0, b] - w1)  # x
            loc[1, b] = max(1, loc[1, b] - h1)  # y
            loc[2, b] = loc[2, b] - max(0, loc[0, b] + loc[2, b] - oW)
            loc[3, b] = loc[3, b] - max(0, loc[1, b] + loc[3, b] - oH)

            if do_flip:
                loc[0, b] = max(1, oW - (loc[0, b] + loc[2, b]))

        input_dbg = self.draw_boxes(out.clone(), loc)

        # then scale to final sampleSize
        out = image.scale(out, sampleSize[1], sampleSize[1])
        out.mul(2).add(-1)  # make it [0, 1] -> [-1, 1]

        # compute affine transformation matrices.
        for b in range(loc.size(1)):
            b_x = loc[0, b]
            b_y = loc[1, b]
            bW = loc[2, b]
            bH = loc[3, b]
            t_x = 2 * ((b_x + bW / 2.0) / out.size(2) - 0.5)
            t_y = 2 * ((b_y + bH / 2.0) / out.size(1) - 0.5)
            scale_X = bW / out.size(2)
            scale_Y = bH / out.size(1)

            loc_affine[b, 0, 0] = scale_Y
            loc_affine[b, 1, 1] = scale_X
            loc_affine[b, 0, 2] = t_y
            loc_affine[b, 1, 2] = t_x

        return out, loc_affine, input_dbg

    def sample(self, quantity):
        opt, cur_files, sampleSize = self.opt, self.cur_files, self.sampleSize
        ix_file = lg.Tensor(quantity)
        for n in range(quantity):
            samples = lg.randperm(len(cur_files)).narrow(0, 0, 2)
            file_ix = samples[0]
            ix_file[n] = file_ix

        data_img = lg.zeros(quantity, opt['num_elt'], sampleSize[0],
                            sampleSize[1], sampleSize[1])
        data_dbg = lg.zeros(quantity, opt['num_elt'], sampleSize[0],
                            sampleSize[1], sampleSize[1])
        data_txt = lg.zeros(quantity, opt['num_elt'], opt['txtSize'])
        data_loc = lg.zeros(quantity, opt['num_elt'], 2, 3)

        assert data_img is not None

        for n in range(quantity):
            t7file = cur_files[int(ix_file[n])]     # a list index held in a DoubleTensor
            info = lg.load(t7file)
            img_file = opt['img_dir'] + '/' + info['img']

            # normalize image and convert bounding box coordinates to affine.
            img, locs, img_dbg = self.trainHook(img_file, info['loc'].clone())

            ix_txt = lg.randperm(info['txt'].size(0) - opt['num_holdout'])

            for s in range(opt['num_elt']):
                data_loc[n, s, :, :].copy(locs[0])
                data_img[n, s, :, :, :].copy(img)
                data_dbg[n, s, :, :, :].copy(img_dbg[0])
                for c in range(opt['numCaption']):
                    data_txt[n, s, :].add(info['txt'][ix_txt[c]].double())
                data_txt[n, s, :].div(opt['numCaption'])
        return data_img, data_txt, data_loc, data_dbg

    def size(self):
        return self._size
