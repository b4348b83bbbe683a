"""models/vgg16flow.lua: the flow stream, the two-stream paper's VGG-16 trained on UCF101 flow (20 input planes;
loadcaffe, 'cudnn' backend; its deploy net ends at fc8, with no softmax to remove), its 1000-way fc8 replaced
by an ``opt.nClasses``-way Linear named "fc8" (train.lua's ``-fc8LR``).

Edits beyond the package's: ``require 'cunn'`` and ``require 'loadcaffe'`` are imports."""
import legonn as lg
from legonn import loadcaffe, nn


def createModel(opt):
    model = loadcaffe.load(opt['pretrainpath'] + 'VGG_UCF101_16_layers_deploy.prototxt',
                           opt['pretrainpath'] + 'VGG_UCF101_16_layers.caffemodel', 'cudnn')

    print(' => Replacing classifier with ' + lg.tostring(opt['nClasses']) + '-way classifier')

    # model:remove(#model.modules) --remove softmax
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
