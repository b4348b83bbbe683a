"""convert_data.lua: Kaggle's PNGs and trainLabels.csv to ``data/train_x.bin`` (N x 3 x 32 x 32), ``train_y.bin``
(N x 10 one-hot rows) and ``test_x.bin``.

Edits: the Lua replaces ``string.split`` (xlua's) for every later user with its own gmatch over ``[^\\<sep>]+``;
here ``split`` is a function of this module (docs/porting.md's row on adding functions to torch's tables), the
Lua pattern written as a regex (its set excludes the backslash too); ``TRAIN_N`` and ``TEST_N`` are module
constants a test shrinks. ``tonumber(col[1])`` is ``int``: the ids are whole numbers written with ``%d``."""
import re

import legonn as lg
from legonn import image, xlua

from .SETTINGS import DATA_DIR, LABEL2ID


def split_it(str, sep):
    if str is None:
        return None
    # the Lua pattern "[^\\" .. sep .. "]+" is [^\,]+: a backslash is a plain character in a Lua pattern, so
    # the set excludes backslashes too; in a regex it escapes sep, so it is written out
    return re.findall("[^\\\\" + re.escape(sep) + "]+", str)


def split(str, sep):
    ret = []
    for seg in split_it(str, sep):
        ret.append(seg)
    return ret


def label_vector(label_name):
    vec = lg.Tensor(10).zero()
    vec[LABEL2ID[label_name]] = 1.0
    return vec


TRAIN_N = 50000


def convert_train():
    label_file = "%s/trainLabels.csv" % DATA_DIR
    x = lg.Tensor(TRAIN_N, 3, 32, 32)
    y = lg.Tensor(TRAIN_N, 10)
    file = open(label_file, "r")
    head = True
    i = 0
    for line in file.read().splitlines():
        if head:
            head = False
        else:
            col = split(line, ",")
            img = image.load("%s/train/%d.png" % (DATA_DIR, int(col[0])))
            x[i].copy(img)
            y[i].copy(label_vector(col[1]))
            if (i + 1) % 100 == 0:
                xlua.progress(i, TRAIN_N)
            i = i + 1
    file.close()

    lg.save("%s/train_x.bin" % DATA_DIR, x)
    lg.save("%s/train_y.bin" % DATA_DIR, y)


TEST_N = 300000


def convert_test():
    x = lg.Tensor(TEST_N, 3, 32, 32)
    for i in range(TEST_N):
        img = image.load("%s/test/%d.png" % (DATA_DIR, i + 1))
        x[i].copy(img)
        if (i + 1) % 100 == 0:
            xlua.progress(i, TEST_N)
    lg.save("%s/test_x.bin" % DATA_DIR, x)


def main():
    print("convert train data ...")
    convert_train()
    print("convert test data ...")
    convert_test()
