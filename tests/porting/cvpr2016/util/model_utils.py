"""util/model_utils.lua (adapted from wojciechz/learning_to_execute, as char-rnn's). ``combine_all_parameters`` and
``clone_many_times`` are char-rnn's file's, whose port tests/porting/char_rnn/util/model_utils.py this one imports;
this copy's ``combine_all_parameters`` also takes a network carrying flat ``weights``/``grads`` fields as they are,
which none of cvpr2016's protos has (their ``.weights`` is nil), so the char-rnn port serves. ``split`` and ``trim``
are this file's own."""
import re

from ...char_rnn.util.model_utils import clone_many_times, combine_all_parameters  # noqa: F401 (this file's API)


def split(inputstr, sep=None):
    if sep is None:
        sep = r'\s'
    t = []
    for str in re.findall('([^' + sep + ']+)', inputstr):     # string.gmatch(inputstr, "([^"..sep.."]+)")
        t.append(str)
    return t


def trim(s):
    return re.sub(r'^\s*(.*?)\s*$', r'\1', s, flags=re.S)
