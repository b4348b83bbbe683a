"""predict.lua: the Kaggle submission: each test image's class is the argmax of the softmax summed over its 36
augmented views, written as ``id,label`` lines (ids 1-based, as Kaggle's are).

Edits: ``preds[index[j + l - 1]]`` rows and ``max``'s indices are 0-based; the ids written are ``i + j + 1`` of
the 0-based loop indices (the Lua's ``i + j - 1`` of 1-based ones); the last batch's count is computed from
``j + 1``, the Lua's 1-based ``j``; ``BATCH_SIZE`` is a module constant. ``"expect test size % " .. BATCH_SIZE``
writes the number with ``%d``."""
import legonn as lg
from legonn import xlua

from .SETTINGS import DATA_DIR, ID2LABEL
from .lib.data_augmentation import data_augmentation
from .lib.preprocessing import preprocessing

BATCH_SIZE = 100


def predict(file, model, params, test_x):
    DA_SIZE = None
    fp = open(file, "w")
    preds = lg.Tensor(test_x.size(0), 10).zero()
    if test_x.size(0) % BATCH_SIZE != 0:
        raise ValueError("expect test size % " + '%d' % BATCH_SIZE + " == 0")
    fp.write("id,label\n")
    for i in range(0, test_x.size(0), BATCH_SIZE):
        step = 64
        if DA_SIZE is None:
            test_da = data_augmentation(test_x[0])
            DA_SIZE = test_da.size()
        x = lg.Tensor(BATCH_SIZE, DA_SIZE[0], DA_SIZE[1], DA_SIZE[2], DA_SIZE[3])
        index = lg.LongTensor(BATCH_SIZE, DA_SIZE[0])
        for j in range(BATCH_SIZE):
            x[j].copy(data_augmentation(test_x[i + j]))
            index[j].fill(i + j)
        x = x.view(BATCH_SIZE * DA_SIZE[0], 3, 24, 24)
        index = index.view(BATCH_SIZE * DA_SIZE[0])
        preprocessing(x, params)
        x = x.cuda()
        for j in range(0, x.size(0), step):
            batch = lg.Tensor(step, x.size(1), x.size(2), x.size(3)).zero()
            n = step
            if (j + 1) + n > x.size(0):
                n = 1 + n - (((j + 1) + n) - x.size(0))
            batch.narrow(0, 0, n).copy(x.narrow(0, j, n))
            batch = batch.cuda()
            z = model.forward(batch).float()
            # averaging
            for l in range(n):  # noqa: E741
                preds[index[j + l]] = preds[index[j + l]] + z[l]
        for j in range(BATCH_SIZE):
            max_v, max_i = preds[i + j].max(0)
            fp.write("%d,%s\n" % (i + j + 1, ID2LABEL[max_i[0]]))
        xlua.progress(i, test_x.size(0))
    xlua.progress(test_x.size(0), test_x.size(0))
    fp.close()


def prediction():
    x = lg.load("%s/test_x.bin" % DATA_DIR)
    model = lg.load("models/very_deep_20.model").cuda()
    params = lg.load("models/preprocessing_params.bin")

    model.evaluate()

    predict("./submission.txt", model, params, x)


main = prediction
