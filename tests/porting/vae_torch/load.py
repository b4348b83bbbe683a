"""load.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort), ported line by line; its globals are this
module's functions. ``os.execute`` is ``os.system``; ``collectgarbage()`` is dropped (docs/porting.md's row).

loadBinarizedMNIST declares ``local dataset = {}`` and then fills and returns the global ``data``, which is still nil
when main.lua's ``data = load(continuous)`` calls it: Lua stops there with "attempt to index global 'data' (a nil
value)", as Python would with a NameError. That is the repository's bug, not a porting difference; the port makes
``data`` a fresh table beside ``dataset`` so the function can run.
"""
import os

import legonn as lg
from legonn import paths


def load(continuous):
    if continuous:
        return loadfreyfaces()
    else:
        return loadBinarizedMNIST()


# Read MNIST file downloaded and return Tensor
def readMNISTfile(fname, lines):
    data = lg.Tensor(lines, 784).fill(0)
    f = lg.DiskFile(fname, 'r')
    for i in range(lines):
        data[i] = lg.Tensor(f.readDouble(784))
    return data


# Download data and setup directory
def getBinarizedMNIST():
    # Get train & valid. Append them
    if not paths.dirp('./binarizedMNIST'):
        paths.mkdir('./binarizedMNIST')
    print('Downloading data...')
    os.system('wget -O ./binarizedMNIST/binarized_mnist_train.amat http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_train.amat')
    os.system('wget -O ./binarizedMNIST/binarized_mnist_valid.amat http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_valid.amat')
    os.system('wget -O ./binarizedMNIST/binarized_mnist_test.amat http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_test.amat')
    print('Converting data to torch format...')
    test = readMNISTfile('./binarizedMNIST/binarized_mnist_test.amat', 10000)
    train = readMNISTfile('./binarizedMNIST/binarized_mnist_train.amat', 50000)
    valid = readMNISTfile('./binarizedMNIST/binarized_mnist_valid.amat', 10000)
    print('Saving data...')
    lg.save('./binarizedMNIST/train.t7', train)
    lg.save('./binarizedMNIST/test.t7', test)
    lg.save('./binarizedMNIST/valid.t7', valid)


# Load standard MNIST data
def loadBinarizedMNIST():
    if not paths.dirp('./binarizedMNIST') or not paths.filep('./binarizedMNIST/valid.t7') or not paths.filep('./binarizedMNIST/test.t7') or not paths.filep('./binarizedMNIST/train.t7'):
        getBinarizedMNIST()
    print('Loading Binarized MNIST dataset')
    train = lg.load('./binarizedMNIST/train.t7')
    test = lg.load('./binarizedMNIST/test.t7')
    valid = lg.load('./binarizedMNIST/valid.t7')
    dataset = {}
    data = {}  # the Lua's global `data`, nil here (the module's docstring)
    data['train'] = lg.cat(train, valid, 0)
    data['test'] = test
    dataset['dim_input'] = 784

    return data


def loadfreyfaces():
    from legonn import hdf5
    f = hdf5.open('datasets/freyfaces.hdf5', 'r')
    data = {}
    data['train'] = f.read('train').all().double()
    data['test'] = f.read('test').all().double()
    f.close()

    return data
