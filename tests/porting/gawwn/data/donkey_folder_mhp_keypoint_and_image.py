"""data/donkey_folder_mhp_keypoint_and_image.lua, run in a donkey (``run()``, paths.dofile's stand-in): the MPII
human-pose donkey. Its globals (``cur_files``, ``act2ix``, ``ix2cls``, ``cls2ix``, ``size``, ``trainHook``,
``trainLoader``, ``input_dbg``, ``pt_head``) live in ``threads.local``, its file locals ``loadSize`` and ``sampleSize``
too (per donkey, as each donkey's dofile makes its own); ``trainHook`` is this module's function.

Every file under ``opt.data_root`` (or each name ``opt.trainfiles``, a Torch7 file of a list of names, lists there)
is a Torch7 file ``{img = <path under opt.img_dir>, txt = <captions x txtSize>, char = <doc_length x captions>,
has_kp = <1 x 1>, points = <3 x 16 x persons: pixel x, y (1-based), visible>, pos = <2 x persons: the person's
centre>, scale = <1 x persons: height / 200 px>, head = <4 x persons: head box x1, y1, x2, y2>, single_person =
<1 x k: 1-based person numbers>, act_name = ..., cat_name = ...}``. ``sample`` keeps the files with keypoints, a
visible one, exactly one single person and a known activation (``act2ix``, with ``opt.trainfiles``) or category
(``cls2ix``, without); ``trainHook`` crops the person (a square of ``scale * 220`` px around ``pos``), scales it to
``loadSize``, crops ``fineSize`` at random and flips half the time, the 16 joints and the head box's centre (visible
when the box is not empty) following: 17 keypoints as fractions of the crop. Person numbers and pixels stay 1-based
values as the Lua reads them; an index made of one takes 1 off."""
import math

import legonn as lg
from legonn import image, threads
from legonn.pl import dir

from .. import util


def run(trainLoader=None):
    """``trainLoader``: donkey_folder_mhp_keypoint.lua's, whose file is this one's but for ``sample``."""
    G = threads.local
    opt = G.opt
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "  # noqa: F841

    G.trainLoader = trainLoader or Loader()

    if opt.get('num_holdout') is None:
        opt['num_holdout'] = 0

    if opt['trainfiles'] == '':
        G.cur_files = dir.getfiles(opt['data_root'])
    else:
        G.cur_files = lg.load(opt['trainfiles'])
        for f in range(len(G.cur_files)):
            G.cur_files[f] = opt['data_root'] + '/' + G.cur_files[f]

    G.act2ix = {
        'skiing, climbing up': 1,
        'skiing, cross-country': 1,
        'skiing, cross-country, biathlon, skating technique': 1,
        'skiing, downhill': 1,
        'skiing, general': 1,
        'swimming, backstroke': 2,
        'swimming, breaststroke, recreational': 2,
        'swimming, butterfly, general': 2,
        'swimming, general': 2,
        'swimming, lake, ocean, river (Taylor Codes 280, 295)': 2,
        'swimming, sidestroke, general': 2,
        'tennis': 3,
        'tennis, doubles': 3,
        'tennis, hitting balls, non-game play, moderate effort': 3,
        'frisbee': 4,
        'golf': 5,
        'sitting, teaching stretching or yoga, or light effort exercise class': 6,
        'yoga, Nadisodhana': 6,
        'yoga, Power': 6,
    }
    G.ix2cls = [
        'bicycling',
        'conditioning exercise',
        'dancing',
        'fishing and hunting',
        'home activities',
        'home repair',
        'inactivity quiet/light',
        'lawn and garden',
        'miscellaneous',
        'music playing',
        'occupation',
        'religious activities',
        'running',
        'self care',
        'sports',
        'transportation',
        'volunteer activities',
        'walking',
        'water activities',
        'winter activities'
    ]
    G.cls2ix = {}
    for k, v in enumerate(G.ix2cls):
        G.cls2ix[v] = k

    G.size = len(G.cur_files)

    # ------------------------------------------------------------------------------------------
    G.loadSize = [3, opt['loadSize']]
    G.sampleSize = [3, opt['fineSize']]


def loadImage(path):
    input = image.load(path, 3, 'float')
    return input


# function to load the image, jitter it appropriately (random crops etc.)
def trainHook(path, points, pos, scale, head):
    G = threads.local
    loadSize, sampleSize = G.loadSize, G.sampleSize
    G.pt_head = pt_head = lg.zeros(1, 3)
    pt_head[0, 0] = (head[0] + head[2]) / 2.0
    pt_head[0, 1] = (head[1] + head[3]) / 2.0
    if head.sum() > 1e-3:
        pt_head[0, 2] = 1.0

    input = loadImage(path)
    loc = points.transpose(0, 1)  # #points x 3
    loc = lg.cat(loc, pt_head, 0)

    # First crop single person
    oW = math.ceil(scale[0] * 200 * 1.1)
    oH = math.ceil(scale[0] * 200 * 1.1)
    w1 = max(1, math.floor(pos[0] - oW / 2))
    h1 = max(1, math.floor(pos[1] - oH / 2))
    w2 = min(input.size(2), w1 + oW - 1)
    h2 = min(input.size(1), h1 + oH - 1)
    oW = w2 - w1
    oH = h2 - h1
    input = image.crop(input, w1, h1, w2, h2)
    assert input.size(1) == oH
    assert input.size(2) == oW

    # update bboxes
    for b in range(loc.size(0)):
        loc[b, 0] = max(1, loc[b, 0] - w1)  # x
        loc[b, 1] = max(1, loc[b, 1] - h1)  # y

    # Then scale to load size.
    iW_orig = input.size(2)
    iH_orig = input.size(1)
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

    out.mul(2).add(-1)  # make it [0, 1] -> [-1, 1]
    G.input_dbg = input_dbg = util.draw_keypoints(out.clone(), loc)

    # compute affine transformation matrices.
    for b in range(loc.size(0)):
        bW = loc[b, 0]
        bH = loc[b, 1]
        scale_X = bW / out.size(2)
        scale_Y = bH / out.size(1)

        loc[b, 0] = scale_X
        loc[b, 1] = scale_Y

    return out, loc, input_dbg


class Loader:
    """The donkey's ``trainLoader`` table."""

    def select(self, quantity):
        """``sample``'s first loop (the same in both MHP donkeys): draws files until ``quantity`` qualify."""
        G = threads.local
        opt, cur_files = G.opt, G.cur_files
        batch_info = []
        while len(batch_info) < quantity:
            ix_file = lg.randperm(len(cur_files))[0]
            info = lg.load(cur_files[ix_file])

            if opt['trainfiles'] != '':
                if ((info['has_kp'][0, 0] == 1) and
                        (info['points'][2, :, :].sum() > 0) and
                        (len(info['single_person'].size()) == 2) and
                        (info['single_person'].size(1) == 1) and
                        (G.act2ix.get(info['act_name']) is not None)):
                    batch_info.append(info)
            else:
                if ((info['has_kp'][0, 0] == 1) and
                        (info['points'][2, :, :].sum() > 0) and
                        (len(info['single_person'].size()) == 2) and
                        (info['single_person'].size(1) == 1) and
                        (G.cls2ix.get(info['cat_name']) is not None)):
                    batch_info.append(info)
        return batch_info

    def sample(self, quantity):
        G = threads.local
        opt, sampleSize = G.opt, G.sampleSize
        batch_info = self.select(quantity)

        data_img = lg.zeros(quantity, sampleSize[0], sampleSize[1], sampleSize[1])
        data_dbg = lg.zeros(quantity, sampleSize[0], sampleSize[1], sampleSize[1])
        data_txt = lg.zeros(quantity, opt['txtSize'])
        data_loc = lg.zeros(quantity, opt['num_elt'], opt['keypoint_dim'], opt['keypoint_dim'])
        loc_raw = lg.zeros(quantity, opt['num_elt'], 3)

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
            loc_raw[n].copy(locs)

            # add text information.
            ix_txt = lg.randperm(info['txt'].size(0) - opt['num_holdout'])
            for c in range(opt['numCaption']):
                data_txt[n].add(info['txt'][ix_txt[c]].double())
            data_txt[n].mul(1.0 / opt['numCaption'])

            for s in range(opt['num_elt']):
                point = locs[s, :]
                if point[2] > 0.1:
                    x = min(opt['keypoint_dim'],
                            max(1, lg.round(point[0] * opt['keypoint_dim'])))
                    y = min(opt['keypoint_dim'],
                            max(1, lg.round(point[1] * opt['keypoint_dim'])))
                    data_loc[n, s, y - 1, x - 1] = 1

        loc_raw.narrow(2, 0, 2).mul(opt['fineSize'])
        return data_img, data_txt, data_loc, data_dbg, loc_raw

    def size(self):
        return threads.local.size
