"""models/resnet.lua: Fast R-CNN over an ImageNet ResNet (fb.resnet.torch's layout, ``resnet_path``): its
first 7 modules (through the third stage, stride 16) as features with the first 5 frozen in a NoBackprop,
their batch normalisations folded or fixed (each surgery checked by ``testSurgery`` to change nothing),
inn.ROIPooling(14, 14, 1/16), the last stage with its average pooling and View as the classifier, and the
class/box linears. ``build(opt)`` returns ``[model, transformer]`` (the file's ``return``); ``opt`` is the
Lua's global (the file copies its options into it)."""
import legonn as lg
from legonn import nn, inn, xlua
from legonn.inn import utils as inn_utils

from . import model_utils as utils


def build(opt=None):
    model_opt = {
        'resnet_path': './data/models/resnet/resnet-18.t7',
    }
    model_opt = xlua.envparams(model_opt)
    print(model_opt)
    if opt is not None:
        for k, v in model_opt.items():
            opt[k] = v

    def loadResNet(model_path):
        net = lg.load(model_path)
        net.cuda().evaluate()

        features = nn.Sequential()
        for i in range(7):
            features.add(net.get(i))

        input = lg.randn(1, 3, 224, 224).cuda()

        utils.testSurgery(input, utils.disableFeatureBackprop, features, 5)
        utils.testSurgery(input, inn_utils.foldBatchNorm, features.findModules('nn.NoBackprop')[0][0])
        utils.testSurgery(input, inn_utils.BNtoFixed, features, True)
        utils.testSurgery(input, inn_utils.BNtoFixed, net, True)

        classifier = nn.Sequential()
        for i in range(7, 10):
            classifier.add(net.get(i))

        output_dim = classifier.output.size(1)

        model = (nn.Sequential()
                 .add(nn.ParallelTable()
                      .add(utils.makeDataParallel(features, opt=opt))
                      .add(nn.Identity()))
                 .add(inn.ROIPooling(14, 14, 1 / 16))
                 .add(utils.makeDataParallel(classifier, opt=opt))
                 .add(utils.classAndBBoxLinear(output_dim, opt=opt)))

        model.cuda()

        utils.testModel(model, opt)

        return [model, utils.ImagenetTransformer()]

    return loadResNet(model_opt['resnet_path'])
