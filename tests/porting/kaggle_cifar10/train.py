"""train.lua: augment the training set, GCN + ZCA it (the parameters saved to models/), then MAX_EPOCH epochs of
minibatch SGD on an MSE of the softmax outputs against one-hot targets, each epoch's model saved. ``MAX_EPOCH``
is a module constant (a local in Lua); ``epoch = epoch + 1`` at the end of the loop's body changes nothing in
Lua's numeric for, nor in Python's; ``collectgarbage()`` lines are dropped."""
import legonn as lg
from legonn import nn

from .SETTINGS import CLASSES, DATA_DIR
from .lib.data_augmentation import data_augmentation
from .lib.minibatch_sgd import minibatch_sgd
from .lib.preprocessing import preprocessing
from .very_deep_model import very_deep_model

MAX_EPOCH = 20


def training():
    x = lg.load("%s/train_x.bin" % DATA_DIR)
    y = lg.load("%s/train_y.bin" % DATA_DIR)
    model = very_deep_model().cuda()
    criterion = nn.MSECriterion().cuda()
    sgd_config = {
        'learningRate': 1.0,
        'learningRateDecay': 5.0e-6,
        'momentum': 0.9,
        'xBatchSize': 64,
    }
    params = None

    print("data augmentation ..")
    x, y = data_augmentation(x, y)

    print("preprocessing ..")
    params = preprocessing(x)
    lg.save("models/preprocessing_params.bin", params)

    for epoch in range(1, MAX_EPOCH + 1):
        print("# " + '%d' % epoch)
        if epoch == MAX_EPOCH:
            # final epoch
            sgd_config['learningRateDecay'] = 0
            sgd_config['learningRate'] = 0.01
        model.training()
        print(minibatch_sgd(model, criterion, x, y,
                            CLASSES, sgd_config))
        model.evaluate()
        lg.save("models/very_deep_%d.model" % epoch, model)
        epoch = epoch + 1


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text("Kaggle-CIFAR10 Training")
    cmd.text("Options:")
    cmd.option("-seed", 11, 'fixed input seed')
    opt = cmd.parse(arg)
    print(opt['seed'])
    lg.manualSeed(opt['seed'])
    training()
