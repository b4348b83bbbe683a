"""utils/misc.lua: VGG's Caffe pre-/de-processing of an image, combine_all_parameters and clone_list (the same
Lua as char-rnn's util/model_utils.lua and train.lua's clone_list: imported from the char-rnn port), and
clone_many_times through ``net:clone('weight', 'bias', 'gradWeight', 'gradBias')``."""
import legonn as lg

from ...char_rnn.util.misc import clone_list  # noqa: F401  (utils.clone_list)
from ...char_rnn.util.model_utils import combine_all_parameters  # noqa: F401  (utils.combine_all_parameters)


# Preprocess an image before passing it to a Caffe model.
# We need to rescale from [0, 1] to [0, 255], convert from RGB to BGR,
# and subtract the mean pixel.
def preprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).mul(256.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img


# Undo the above preprocessing.
def deprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img = img + mean_pixel
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).div(256.0)
    return img


# from https://github.com/karpathy/char-rnn/blob/master/util/model_utils.lua
# which is in turn adapted from https://github.com/wojciechz/learning_to_execute

def clone_many_times(net, T):
    clones = []
    for i in range(T):
        clones.append(net.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    return clones
