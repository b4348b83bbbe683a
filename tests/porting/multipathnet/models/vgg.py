"""models/vgg.lua: Fast R-CNN over VGG16: the pretrained features (first 10 modules frozen in a NoBackprop),
inn.ROIPooling(7, 7, 1/16), the pretrained classifier top and the class/box linears. Returns ``[model,
transformer]``. ``torch.load'data/models/imagenet_pretrained_vgg.t7'`` reads the file the run provides (the
test writes a small stand-in with VGG16's module layout)."""
import legonn as lg
from legonn import nn, inn

from . import model_utils as utils


def build(opt=None):
    data = lg.load('data/models/imagenet_pretrained_vgg.t7')
    features = utils.safe_unpack(data['features'])
    top = utils.safe_unpack(data['top'])

    # kill first 4 conv layers; the convolutions are at {1,3,6,8,11,13}
    utils.disableFeatureBackprop(features, 10)

    for v in top.findModules('nn.Dropout')[0]:
        v.inplace = True

    model = (nn.Sequential()
             .add(nn.ParallelTable()
                  .add(utils.makeDataParallel(features, opt=opt))
                  .add(nn.Identity()))
             .add(inn.ROIPooling(7, 7, 1 / 16))
             .add(nn.View(-1).setNumInputDims(3))
             .add(top)
             .add(utils.classAndBBoxLinear(4096, opt=opt)))

    model.cuda()

    utils.testModel(model, opt)

    return [model, utils.RossTransformer()]
