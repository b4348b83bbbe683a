"""models/vgg16lstmflow.lua: the LSTM flow model: vgg16lstm.lua over the trained flow net (``twostream_flow.t7``, the
flownet experiment's model) with its last Linear replaced by ``nn.View(1,4096)``, a one-layer
``cudnn.LSTM(4096,512,1,false)`` over the batch as one sequence (a batch of the synchronous loader is one
video's frames in order), ``nn.View(512)`` and a new ``opt.nClasses``-way Linear; LSTM and Linear are named
"fc8" (train.lua's ``-fc8LR``).

Edits beyond the package's: ``require 'cunn'`` is an import; ``cudnn`` is a global Lua left from an earlier
require (models/init.lua's), imported here."""
import legonn as lg
from legonn import cudnn, nn


def createModel(opt):
    model = lg.load(opt['pretrainpath'] + 'twostream_flow.t7').cuda()  # Load pretrained Two-Stream model

    print(' => Replacing classifier with ' + lg.tostring(opt['nClasses']) + '-way classifier')

    orig = model.get(len(model.modules) - 1)
    assert lg.type(orig) == 'nn.Linear', 'expected last layer to be fully connected'

    lstm = cudnn.LSTM(4096, 512, 1, False)
    lstm.name = "fc8"
    linear = nn.Linear(512, opt['nClasses'])
    linear.name = "fc8"
    linear.bias.zero()

    model.remove(len(model.modules) - 1)
    model.add(nn.View(1, 4096))
    model.add(lstm)
    model.add(nn.View(512))
    model.add(linear.cuda())
    model.cuda()

    print(lg.tostring(model))
    if opt['cudnn'] == 'deterministic':
        def setMode(m):
            if hasattr(m, 'setMode'):
                m.setMode(1, 1, 1)
        model.apply(setMode)

    return model
