"""loadMNIST (loadMNIST.lua) and loadCIFAR10 (loadCIFAR10.lua): the Torch7 files dataload downloads, as
train, valid and test TensorLoaders of ``batch x channels x height x width`` images with 0-based class
targets (Torch7's are 1-based: ``targets:add(1)`` is not done here)."""
import os

from ..serialization import load
from ..tensor import Tensor, getdefaulttensortype
from ..tensor.functions import cat
from . import config
from .preprocess import rescale
from .tensorloader import TensorLoader

MNIST_URL = 'https://stife076.files.wordpress.com/2015/02/mnist4.zip'
CIFAR10_URL = 'http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz'
CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']


def _field(where, path, data, key):
    """``data[key]`` as a tensor, or a ValueError naming the file and what it holds instead."""
    try:
        value = data[key]
    except (KeyError, IndexError, TypeError):
        value = None
    if not isinstance(value, Tensor):
        raise ValueError(f"dataload.{where}: {path} should hold a table with the tensor {key!r} "
                         f"(0-based), got {type(data).__name__}")
    return value


def _images(inputs, targets, scale, shape, classes):
    """A TensorLoader of ``inputs`` (made floating point, rescaled to ``scale`` unless it is False, viewed as
    ``n x shape``) and ``targets``, with its ``classes``."""
    if inputs.dtype.kind != 'f':   # bytes: Torch7's in-place rescale would truncate them
        inputs = inputs.type(getdefaulttensortype())
    if scale is not False:
        rescale(inputs, *scale)
    loader = TensorLoader(inputs.contiguous().view(inputs.size(0), *shape), targets)
    loader.classes = classes
    return loader


def _split(train, test, validratio):
    """``(train, valid, test)``: the last ``validratio`` of ``train`` is the validation set. Both parts get
    ``train``'s classes (the Lua's split loses them: its train and valid sets have none)."""
    classes = train.classes
    train, valid = train.split(1 - validratio)
    train.classes = valid.classes = classes
    return train, valid, test


def loadMNIST(datapath=None, validratio=1 / 6, scale=(0, 1), srcurl=MNIST_URL):
    """``(train, valid, test)`` TensorLoaders of MNIST from ``train.th7`` and ``test.th7`` in ``datapath``
    (default ``DATA_PATH/mnist``): the files of dataload's ``mnist4.zip`` (``srcurl``), each a Torch7 table
    ``{images n x 28 x 28, labels}``. Images become ``n x 1 x 28 x 28`` floating point, rescaled to ``scale``
    (``False``: kept); targets are the digits 0-9 (``classes``); the last ``validratio`` of the training file
    is the validation set (a view). legonn never downloads: missing files raise FileNotFoundError saying
    where to put them."""
    datapath = os.path.join(config.DATA_PATH, 'mnist') if datapath is None else datapath
    scale = (0, 1) if scale is None else scale
    paths = config.require_files('loadMNIST', datapath, ['train.th7', 'test.th7'], srcurl)
    loaders = []
    for path in paths:
        data = load(path)
        inputs, targets = _field('loadMNIST', path, data, 0), _field('loadMNIST', path, data, 1)
        loaders.append(_images(inputs, targets, scale, (1, 28, 28), list(range(10))))
    return _split(*loaders, validratio)


def loadCIFAR10(datapath=None, validratio=1 / 6, scale=(0, 1), srcurl=CIFAR10_URL):
    """``(train, valid, test)`` TensorLoaders of CIFAR-10 from ``cifar-10-batches-t7/data_batch_{1..5}.t7`` and
    ``test_batch.t7`` in ``datapath`` (default ``DATA_PATH/cifar10``), the files of ``cifar-10-torch.tar.gz``
    (``srcurl``): tables whose ``data`` is ``3072 x n`` bytes and ``labels`` ``1 x n``. Images become
    ``n x 3 x 32 x 32`` FloatTensors rescaled to ``scale`` (``False``: kept), targets FloatTensors of the
    classes 0-9 (``classes`` names them); the last ``validratio`` of the training batches is the validation
    set. Missing files raise FileNotFoundError (legonn never downloads)."""
    datapath = os.path.join(config.DATA_PATH, 'cifar10') if datapath is None else datapath
    scale = (0, 1) if scale is None else scale
    names = [f'data_batch_{i}.t7' for i in range(1, 6)] + ['test_batch.t7']
    paths = config.require_files('loadCIFAR10', datapath, [os.path.join('cifar-10-batches-t7', n) for n in names],
                                 srcurl)

    def pair(path):
        batch = load(path)
        return _field('loadCIFAR10', path, batch, 'data'), _field('loadCIFAR10', path, batch, 'labels')

    sets = [[pair(path) for path in paths[:5]], [pair(paths[5])]]
    loaders = []
    for pairs in sets:
        data = cat([d for d, _ in pairs], 1)
        labels = cat([lab for _, lab in pairs], 1)
        loaders.append(_images(data.t().float(), labels.contiguous().view(-1).float(), scale, (3, 32, 32),
                               list(CIFAR10_CLASSES)))
    return _split(*loaders, validratio)
