"""experiments/extractGram.lua: the Gram matrices of each style image at the style layers (``createCNets``'s
calibrated loss network), saved to ``<style_image_folder>/feat.t7``. ``require('models/' .. opt.model)`` is an
import of the package's ``models`` module of that name; the Lua's ``:cuda()`` calls are kept (a GPU, or CuPy's
host simulator). ``preprocess = preprocess[opt.preprocessing]`` rebinds the chunk's local in Lua, which one
run of the script calls once; the port names the chosen table ``pre`` so that a test process can run it again."""
import importlib

import legonn as lg
from legonn import image

from tests.porting.msg_net.init import add_dummy
from tests.porting.test_fast_neural_style_train import preprocess_table as preprocess

from .utils.getImages import Dataset as imgLoader


def exec(opt):
    styleLoader = imgLoader(opt['style_image_folder'])
    if opt['preprocessing'] not in preprocess:
        msg = 'invalid -preprocessing "%s"; must be "vgg" or "resnet"'
        raise ValueError(msg % opt['preprocessing'])
    pre = preprocess[opt['preprocessing']]

    models = importlib.import_module('tests.porting.msg_net.experiments.models.' + opt['model'])
    cnet = models.createCNets(opt)

    cnet.cuda()
    cnet.evaluate()

    feat = []
    for i in range(styleLoader.size()):
        feat.append([])
        style_image = styleLoader.get(i)
        style_image = image.scale(style_image, opt['style_image_size'])
        style_image = pre['preprocess'](add_dummy(style_image))
        feat[i] = cnet.calibrate(style_image.cuda())

    filename = opt['style_image_folder'] + '/feat.t7'
    lg.save(filename, feat)
    print('Feats have been written to ', filename, sep='\t')
