"""models/vgg16.lua: the RGB stream, Caffe's VGG-16 (loadcaffe, 'cudnn' backend) with its softmax removed and
its 1000-way fc8 replaced by an ``opt.nClasses``-way Linear named "fc8" (train.lua gives layers named fcN/convN
their own learning rates).

Edits beyond the package's: ``require 'cunn'`` and ``require 'loadcaffe'`` are imports."""
import legonn as lg
from legonn import loadcaffe, nn


def createModel(opt):
    model = loadcaffe.load(opt['pretrainpath'] + 'VGG_ILSVRC_16_layers_deploy.prototxt',
                           opt['pretrainpath'] + 'VGG_ILSVRC_16_layers.caffemodel', 'cudnn')

    print(' => Replacing classifier with ' + lg.tostring(opt['nClasses']) + '-way classifier')

    model.remove(len(model.modules) - 1)  # remove softmax
    orig = model.get(len(model.modules) - 1)
    assert lg.type(orig) == 'nn.Linear', 'expected last layer to be fully connected'

    linear = nn.Linear(orig.weight.size(1), opt['nClasses'])
    linear.name = "fc8"
    linear.bias.zero()

    model.remove(len(model.modules) - 1)
    model.add(linear.cuda())
    model.cuda()

    print(lg.tostring(model))
    if opt['cudnn'] == 'deterministic':
        def setMode(m):
            if hasattr(m, 'setMode'):
                m.setMode(1, 1, 1)
        model.apply(setMode)

    return model
