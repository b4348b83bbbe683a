"""``local dl = require 'dataload'``: Element-Research's dataload for legonn (``from legonn import dataload as
dl``). Loaders of samples into batches (DataLoader, TensorLoader, SequenceLoader, MultiSequence), their
iterators (``subiter``, ``sampleiter``), a threaded decorator (AsyncIterator), the dataset loaders of dataload
(MNIST, CIFAR-10, Penn Tree Bank, Sentiment140, Google Billion Words, ImageNet) reading the files its
downloads give (image folders through an image package, legonn.image by default),
and its text and preprocessing helpers. Indices, word ids and classes are 0-based. README.md's dataload
section lists what is provided and what is not.
"""
from ..serialization import load
from ..tensor.naming import snake_aliases
from .asynciterator import AsyncIterator
from .bigrams import buildBigrams
from .config import DATA_PATH, SAVE_PATH, TORCH_PATH
from .dataloader import DataLoader
from .ids import hostname, uniqueid
from .image_sets import loadCIFAR10, loadMNIST
from .imageclass import ImageClass, loadImageNet
from .imagesequence import MultiImageSequence
from .preprocess import binarize, fitImageNormalize, rescale
from .sentiment140 import Sentiment140Loader, loadSentiment140
from .sequences import MultiSequence, SequenceLoader
from .tensorloader import TensorLoader
from .text_sets import MultiSequenceGBW, loadGBW, loadPTB
from .vocab import buildVocab, getNumberOfLines, splitString, text2tensor

__all__ = ['DataLoader', 'TensorLoader', 'SequenceLoader', 'MultiSequence', 'AsyncIterator', 'ImageClass',
           'MultiImageSequence', 'loadImageNet',
           'loadMNIST', 'loadCIFAR10', 'loadPTB', 'loadGBW', 'MultiSequenceGBW', 'loadSentiment140',
           'Sentiment140Loader', 'buildBigrams', 'buildVocab', 'text2tensor', 'splitString', 'getNumberOfLines',
           'rescale', 'binarize', 'fitImageNormalize', 'load', 'hostname', 'uniqueid',
           'DATA_PATH', 'SAVE_PATH', 'TORCH_PATH']

# load_mnist, load_ptb, build_vocab, fit_image_normalize, ...: the aliases every legonn package has
_SNAKE = snake_aliases({name: globals()[name] for name in __all__ if callable(globals()[name])
                        and not isinstance(globals()[name], type)})
globals().update(_SNAKE)
__all__ += list(_SNAKE)
