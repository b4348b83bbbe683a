"""datasets/init.lua: ``create(opt, split)`` builds (once, cached in ``<opt.gen>/<dataset>.t7``) the frame lists
with the dataset's generator and returns the split's dataset.

Edits beyond the package's: ``require`` and ``paths.dofile`` of the dataset's files are imports by name."""
import importlib

import legonn as lg
from legonn import paths


def isvalid(opt, cachePath):
    imageInfo = lg.load(cachePath)
    if imageInfo.get('basedir') and imageInfo['basedir'] != opt['data']:
        return False
    return True


def create(opt, split):
    cachePath = paths.concat(opt['gen'], opt['dataset'] + '.t7')
    if not paths.filep(cachePath) or not isvalid(opt, cachePath):
        paths.mkdir('gen')

        script = importlib.import_module('tests.porting.charades.datasets.' + opt['dataset'] + '_gen')
        script.exec(opt, cachePath)
    imageInfo = lg.load(cachePath)

    Dataset = importlib.import_module('tests.porting.charades.datasets.' + opt['dataset']).CharadesDataset
    opt['dataopt'] = imageInfo.get('opt')
    return Dataset(imageInfo, opt, split)
