"""utils/misc.lua: VGG's Caffe pre-/de-processing of an image (neural-style's preprocess and deprocess, the same
Lua: imported from tests/porting/test_neural_style.py), combine_all_parameters and clone_list (char-rnn's
util/model_utils.lua and train.lua's, imported from the char-rnn port), and clone_many_times through
``net:clone('weight', 'bias', 'gradWeight', 'gradBias')``."""
from ...char_rnn.util.misc import clone_list  # noqa: F401  (utils.clone_list)
from ...char_rnn.util.model_utils import combine_all_parameters  # noqa: F401  (utils.combine_all_parameters)
from ...test_neural_style import deprocess, preprocess  # noqa: F401  (utils.preprocess, utils.deprocess)


# from https://github.com/karpathy/char-rnn/blob/master/util/model_utils.lua
# which is in turn adapted from https://github.com/wojciechz/learning_to_execute

def clone_many_times(net, T):
    clones = []
    for i in range(T):
        clones.append(net.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    return clones
