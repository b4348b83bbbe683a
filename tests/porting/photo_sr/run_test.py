"""run_test.lua: a saved generator (util.load) applied to ``niter`` batches of the folder's low-resolution images;
each output clamped to [0, 1] and saved beside the high-resolution image's top-left 93 x 93 pixels, as
``raw_%04d.png`` and ``fake_%04d.png`` in ``result_path``. ``main(opt)`` is the script after its ``opt`` table; it
returns the last batch's (real, fake)."""
import math

import legonn as lg
from legonn import image
from tests.porting.photo_sr import util
from tests.porting.photo_sr.data.data import data as DataLoader
from tests.porting.photo_sr.run_sr import environment

DEFAULTS = dict(
    dataset='folder',
    batchSize=32,
    niter=250,
    ntrain=math.inf,
    gpu=1,
    nThreads=4,
    scale=4,
    loadSize=96,
    t_folder='',
    model_file='',
    result_path='',
)


def main(opt):
    global modelG, cnt, real_uncropped, input, real, fake
    # require 'cudnn': nothing to import
    lg.setdefaulttensortype('torch.FloatTensor')

    environment(opt)
    print(opt)

    data = DataLoader.new(opt['nThreads'], opt)

    modelG = util.load(opt['model_file'], opt['gpu'])

    cnt = 1
    for i in range(1, opt['niter'] + 1):
        real_uncropped, input = data.getBatch()[:2]
        real = real_uncropped[:, :, 0:93, 0:93]
        print(i)
        fake = modelG.forward(input)
        fake[fake.gt(1)] = 1
        fake[fake.lt(0)] = 0
        for j in range(opt['batchSize']):
            image.save('%s/raw_%04d.png' % (opt['result_path'], cnt), image.toDisplayTensor(real[j]))
            image.save('%s/fake_%04d.png' % (opt['result_path'], cnt), image.toDisplayTensor(fake[j]))
            cnt = cnt + 1
    return real, fake
