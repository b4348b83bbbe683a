"""validate.lua: train on the first TRAIN_SIZE images and, after each epoch, classify the next TEST_SIZE by the
mean softmax over each image's 36 augmented views (in zero-padded batches of 64 on the GPU).

Edits: the loop ``for j = 1, x:size(1), step`` computes the last batch's count from the 1-based ``j``, which is
``j + 1`` here; ``test``'s result and each epoch's two confusion matrices are also returned in a list (the Lua
prints them); ``MAX_EPOCH``, ``TRAIN_SIZE`` and ``TEST_SIZE`` are module constants. ``optim`` and ``xlua`` are
globals there that minibatch_sgd.lua's requires define."""
import legonn as lg
from legonn import nn, optim, xlua

from .SETTINGS import CLASSES, DATA_DIR
from .lib.data_augmentation import data_augmentation
from .lib.minibatch_sgd import minibatch_sgd
from .lib.preprocessing import preprocessing
from .very_deep_model import very_deep_model

TRAIN_SIZE = 40000
TEST_SIZE = 10000
MAX_EPOCH = 20


def test(model, params, test_x, test_y, classes):
    confusion = optim.ConfusionMatrix(classes)
    for i in range(test_x.size(0)):
        preds = lg.Tensor(10).zero()
        x = data_augmentation(test_x[i])
        step = 64
        preprocessing(x, params)
        for j in range(0, x.size(0), step):
            batch = lg.Tensor(step, x.size(1), x.size(2), x.size(3)).zero()
            n = step
            if (j + 1) + n > x.size(0):
                n = 1 + n - (((j + 1) + n) - x.size(0))
            batch.narrow(0, 0, n).copy(x.narrow(0, j, n))
            z = model.forward(batch.cuda()).float()
            # averaging
            for k in range(n):
                preds = preds + z[k]
        preds.div(x.size(0))
        confusion.add(preds, test_y[i])
        xlua.progress(i, test_x.size(0))
    xlua.progress(test_x.size(0), test_x.size(0))
    return confusion


def validation():
    x = lg.load("%s/train_x.bin" % DATA_DIR)
    y = lg.load("%s/train_y.bin" % DATA_DIR)
    train_x = x.narrow(0, 0, TRAIN_SIZE)
    train_y = y.narrow(0, 0, TRAIN_SIZE)
    test_x = x.narrow(0, TRAIN_SIZE, TEST_SIZE)
    test_y = y.narrow(0, TRAIN_SIZE, TEST_SIZE)
    model = very_deep_model().cuda()
    criterion = nn.MSECriterion().cuda()
    sgd_config = {
        'learningRate': 1.0,
        'learningRateDecay': 5.0e-6,
        'momentum': 0.9,
        'xBatchSize': 64,
    }
    params = None
    confusions = []

    print("data augmentation ..")
    train_x, train_y = data_augmentation(train_x, train_y)

    print("preprocessing ..")
    params = preprocessing(train_x)

    for epoch in range(1, MAX_EPOCH + 1):
        if epoch == MAX_EPOCH:
            # final epoch
            sgd_config['learningRateDecay'] = 0
            sgd_config['learningRate'] = 0.01
        model.training()
        print("# " + '%d' % epoch)
        print("## train")
        train_confusion = minibatch_sgd(model, criterion, train_x, train_y,
                                        CLASSES, sgd_config)
        print(train_confusion)
        print("## test")
        model.evaluate()
        test_confusion = test(model, params, test_x, test_y, CLASSES)
        print(test_confusion)
        confusions.append((train_confusion, test_confusion))
    return confusions


def main():
    lg.manualSeed(11)
    return validation()
