"""examples/sentence-classification/get_data.lua: runs scripts/data.sh (which downloads the SST-1 files into
``path`` unless ``path/train`` exists, and splits each into ``.sens`` and ``.lbls``), makes (or loads) the
dictionary of ``train.sens`` and loads each split as a list of ``{input, target}`` examples.

Edits beyond syntax and indices: the Lua file returns the function, here ``getData(path)``; labels are 0-based
(``tonumber(line) + 1`` is ``int(line)``); ``os.execute`` is ``os.system`` (a missing script is reported and
ignored in both); ``type(path) == 'string'`` is ``isinstance(path, str)``; the examples are dicts.
"""
import os

import legonn as lg
from legonn import paths

from ..utils import data


# | Load labels from a file.
def getLabels(filepath):
    labels = []
    with open(filepath) as f:
        for line in f:
            labels.append(int(line))
    return lg.LongTensor(labels)


# | Lazily execute a function or load from a checkpoint.
# filename : string
# f : function
# The remaining arguments are to be passed into `f` if filename does not exist.
def lazyMake(filename, f, *args):
    if paths.filep(filename):
        result = lg.load(filename)
    else:
        result = f(*args)
        lg.save(filename, result)
    return result


# | Load data from a directory.
def getData(path):
    assert isinstance(path, str), 'A destination filepath must be provided.'

    os.system('scripts/data.sh ' + path)

    # Load a previously generated `sst1.th7` if it exists, otherwise create
    # a new one.
    dic = lazyMake(
        path + "/sst1.th7",
        data.makedictionary,
        path + "/train.sens"
    )

    # A smaller training corpus exists in small-train.
    trainfilename = path + "/train."
    validfilename = path + "/valid."
    testfilename = path + "/test."

    batches = {
        'train': trainfilename,
        'valid': validfilename,
        'test': testfilename,
    }

    for split, filename in list(batches.items()):
        # Load sentences and convert to tensors.
        examples = data.loadFile(
            filename=filename + "sens",
            dic=dic,
            preservelines=True,
        )

        # Load labels from the respective file.
        labels = getLabels(filename + 'lbls')

        # Combine the sentence and targets into an example.
        for i, input in enumerate(examples):
            examples[i] = {
                'input': input.view(-1, 1),
                'target': labels[i],
            }

        batches[split] = examples

    return batches, dic
