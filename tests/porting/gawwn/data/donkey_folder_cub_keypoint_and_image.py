"""data/donkey_folder_cub_keypoint_and_image.lua, run in a donkey (``run()``, paths.dofile's stand-in): sets the
donkey's global ``trainLoader``, whose ``sample(quantity)`` returns (images in [-1, 1], text features averaged over
``opt.numCaption`` captions, keypoint maps ``num_elt x keypoint_dim x keypoint_dim`` with a 1 at each visible
keypoint, the crops with their keypoints drawn, the keypoints ``num_elt x 3`` as fractions of the image). Every file
under ``opt.data_root`` is a Torch7 file ``{img = <path under opt.img_dir>, txt = <captions x txtSize>,
parts = <keypoints x 3: pixel x, pixel y (1-based), visible>}``. Keypoint pixels stay 1-based values as in the Lua;
the map's index takes 1 off."""
import math

import legonn as lg
from legonn import image, threads
from legonn.pl import dir

from .. import util


def run(trainLoader=None):
    """``trainLoader``: donkey_folder_cub_keypoint.lua's, whose file is this one's but for ``sample``."""
    G = threads.local
    opt = G.opt
    trainLoader = trainLoader or Loader()

    if opt.get('num_holdout') is None:
        opt['num_holdout'] = 0

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    dict = {}
    for i in range(len(alphabet)):
        dict[alphabet[i]] = i
    ivocab = {}
    for k, v in dict.items():
        ivocab[v] = k
    alphabet_size = len(alphabet)
    G.ivocab = ivocab
    G.alphabet_size = alphabet_size

    trainLoader.alphabet = alphabet
    trainLoader.alphabet_size = alphabet_size
    trainLoader.dict = dict
    trainLoader.ivocab = ivocab
    trainLoader.decode = None                   # trainLoader.decode = decoder: a global nobody sets

    size = 0
    cur_files = dir.getfiles(opt['data_root'])
    size = size + len(cur_files)

    trainLoader.opt = opt
    trainLoader.cur_files = cur_files
    trainLoader._size = size
    trainLoader.loadSize = [3, opt['loadSize']]
    trainLoader.sampleSize = [3, opt['fineSize']]
    G.trainLoader = trainLoader


def loadImage(path):
    input = image.load(path, 3, 'float')
    return input


def fix_boxes(img, locs):
    """never called; ported as written (it writes rows 1 and 2 where it reads keypoints b)."""
    iH = img.size(1)
    iW = img.size(2)
    for b in range(locs.size(0)):
        x = locs[b, 0]
        y = locs[b, 1]
        present = locs[b, 2]  # noqa: F841
        locs[0, b] = x / iW
        locs[1, b] = y / iH
    return locs


class Loader:
    """The donkey's ``trainLoader`` table."""

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path, loc):
        loadSize, sampleSize = self.loadSize, self.sampleSize
        input = loadImage(path)
        iW_orig = input.size(2)
        iH_orig = input.size(1)

        # first scale to load size.
        input = image.scale(input, loadSize[1], loadSize[1])
        iW = input.size(2)
        iH = input.size(1)

        # rescale bboxes
        x_scale_factor = iW / iW_orig
        y_scale_factor = iH / iH_orig
        for b in range(loc.size(0)):
            loc[b, 0] = max(1, math.floor(x_scale_factor * loc[b, 0]))
            loc[b, 1] = max(1, math.floor(y_scale_factor * loc[b, 1]))

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
        for b in range(loc.size(0)):
            loc[b, 0] = max(1, loc[b, 0] - w1)  # x
            loc[b, 1] = max(1, loc[b, 1] - h1)  # y
            if do_flip:
                loc[b, 0] = max(1, oW - loc[b, 0] + 1)

        threads.local.input_dbg = input_dbg = util.draw_keypoints(out.clone(), loc)

        # then scale to final sampleSize
        out = image.scale(out, sampleSize[1], sampleSize[1])
        out.mul(2).add(-1)  # make it [0, 1] -> [-1, 1]

        # compute affine transformation matrices.
        for b in range(loc.size(0)):
            bW = loc[b, 0]
            bH = loc[b, 1]
            scale_X = bW / out.size(2)
            scale_Y = bH / out.size(1)

            loc[b, 0] = scale_X
            loc[b, 1] = scale_Y

        return out, loc, input_dbg

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
        data_loc = lg.zeros(quantity, opt['num_elt'], opt['keypoint_dim'], opt['keypoint_dim'])
        locs_raw = lg.zeros(quantity, opt['num_elt'], 3)

        for n in range(quantity):
            t7file = cur_files[int(ix_file[n])]     # a list index held in a DoubleTensor
            info = lg.load(t7file)

            img_file = opt['img_dir'] + '/' + info['img']

            # normalize image and keypoint locations.
            img, locs, img_dbg = self.trainHook(img_file, info['parts'].clone().double())
            # locs_raw[n].copy(locs)
            locs_raw[n].copy(locs.narrow(0, 0, opt['num_elt']))
            data_img[n, :, :, :].copy(img)
            data_dbg[n, :, :, :].copy(img_dbg)

            # add text information.
            ix_txt = lg.randperm(info['txt'].size(0) - opt['num_holdout'])
            for c in range(opt['numCaption']):
                data_txt[n, :].add(info['txt'][ix_txt[c]].double())
            data_txt[n, :].div(opt['numCaption'])

            for s in range(opt['num_elt']):
                point = locs[s]
                if point[2] > 0.1:
                    x = min(opt['keypoint_dim'],
                            max(1, lg.round(point[0] * opt['keypoint_dim'])))
                    y = min(opt['keypoint_dim'],
                            max(1, lg.round(point[1] * opt['keypoint_dim'])))
                    data_loc[n, s, y - 1, x - 1] = 1
        return data_img, data_txt, data_loc, data_dbg, locs_raw

    def size(self):
        return self._size
