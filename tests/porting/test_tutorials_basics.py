"""torch/tutorials' small scripts ported line by line: 1_getstarted/getstarted.lua (snippets 1-5),
2_supervised/A_slicing.lua (every slice it prints; torch/demos' tensors/slicing.lua is the same script),
5_newmodules (DropoutEx.lua, the user module; 0_test_dropout.lua, its Jacobian test with ``updateOutput``
replaced on the class; 1_dropout.lua) and 3_unsupervised/1_data.lua's ``getdata`` and ``displayData`` (lines
16-68 and 185-204).

Left out: the rest of 3_unsupervised (2_models.lua, 3_train.lua, A_kmeans.lua build ``unsup.AutoEncoder``,
``unsup.PSD``, ``unsup.LinearFistaL1``, ``unsup.kmeans``, ``unsup.zca_whiten``: the unsup package is not part of
legonn), 1_data.lua's camera source (``image.Camera``), 4_graphicalmodels (the gm package), 6_cuda (only
``:cuda()`` timings) and 7_imagenet_classification (a pretrained Caffe model). ``image.lena()`` is not in
legonn (the photograph is not shipped): a random 3 x 64 x 64 image stands in for it.
"""
import math
import random

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn


@pytest.fixture(autouse=True)
def _double():
    lg.setdefaulttensortype('torch.DoubleTensor')        # Torch7's default; tests/conftest.py restores Float
    lg.manualSeed(1)


def lena():
    """image.lena()'s stand-in: a 3-channel image in [0, 1]."""
    return lg.rand(3, 64, 64)


# ------------------------------------------------------------------------------------- 1_getstarted.lua
def test_getstarted():
    # snippet 1
    print('basic printing')
    a = 10
    print(a)
    print('something')
    assert lg.type(a) == 'number' and lg.type('something') == 'string'

    # snippet 2
    i = lena()

    # snippet 4: itorch.image(n.weight) lays out the 16 filters as image.toDisplayTensor does
    n = nn.SpatialConvolution(1, 16, 12, 12)
    shown = image.toDisplayTensor(n.weight)
    assert n.weight.size() == (16, 1, 12, 12) and shown.size() == (1, 3 * 12, 6 * 12)   # 6 a row, unpadded

    # snippet 5
    res = n.forward(image.rgb2y(i))
    assert res.size() == (16, 64 - 11, 64 - 11)
    y = 0.299 * i[0] + 0.587 * i[1] + 0.114 * i[2]
    w, b = n.weight.numpy()[3, 0], n.bias[3]
    assert res[3, 5, 7] == pytest.approx(float((y.numpy()[5:17, 7:19] * w).sum() + b), rel=1e-10)


# ------------------------------------------------------------------------------- 2_supervised/A_slicing.lua
def test_slicing():
    t1 = lg.range(1, 75).resize(3, 5, 5)
    t2 = lg.range(1, 25).resize(5, 5)
    n1, n2 = np.arange(1, 76.).reshape(3, 5, 5), np.arange(1, 26.).reshape(5, 5)

    assert np.array_equal(t1[1].numpy(), n1[1])
    t1[1].fill(7)                                    # t1[2] is a view: t1 changes
    n1[1] = 7
    assert np.array_equal(t1.numpy(), n1)

    t2_slice1 = t2[:, 1]
    t2_slice2 = t2[1, :]          # equivalent to t2[1]
    t2_slice3 = t2[1:2, :]
    t2_slice4 = t2[0:3, 2:4]
    t2_slice5 = t2[2:3, 3:4]
    t2_slice6 = t2[2, 3]
    assert np.array_equal(t2_slice1.numpy(), n2[:, 1]) and np.array_equal(t2_slice2.numpy(), n2[1])
    assert t2_slice3.size() == (1, 5) and np.array_equal(t2_slice4.numpy(), n2[0:3, 2:4])
    assert t2_slice5.size() == (1, 1) and t2_slice5[0, 0] == 14 and t2_slice6 == 14

    # negative indexes: {2, -2} runs to the second last, so the slice stops before the last
    t2_slice7 = t2[:, 1:-1]
    t2_slice8 = t2[-1, -1]
    assert t2_slice7.size() == (5, 3) and np.array_equal(t2_slice7.numpy(), n2[:, 1:4]) and t2_slice8 == 25

    t3 = lg.Tensor(5)
    t3[:] = t2[:, 0]
    assert t3.tolist() == [1, 6, 11, 16, 21]

    t4 = lg.Tensor(5, 2)
    t4[:, 0] = t2[:, 1]
    t4[:, 1] = t2[:, 4]
    assert np.array_equal(t4.numpy(), n2[:, [1, 4]])


# ------------------------------------------------------------------------------------ 5_newmodules
class DropoutEx(nn.Module):
    """DropoutEx.lua."""

    def __init__(self, p=None):
        super().__init__()
        self.p = p if p is not None else 0.5
        if self.p >= 1 or self.p < 0:
            raise ValueError('<DropoutEx> illegal percentage, must be 0 <= p < 1')
        self.noise = lg.Tensor()

    def updateOutput(self, input):
        self.noise.resizeAs(input)
        if self.p > 0:
            self.noise.bernoulli(1 - self.p)
        else:
            self.noise.zero()
        self.output.resizeAs(input).copy(input)
        self.output.cmul(self.noise)
        self.output.div(1 - self.p)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        self.gradInput.cmul(self.noise)           # simply mask the gradients with the noise vector
        self.gradInput.div(1 - self.p)
        return self.gradInput


lg.register(DropoutEx)


def frozen_noise_updateOutput():
    """0_test_dropout.lua lines 12-27: the noise is drawn once, for the whole Jacobian test."""
    firsttime = True

    def updateOutput(self, input):
        nonlocal firsttime
        if firsttime:
            self.noise.resizeAs(input)
            if self.p > 0:
                self.noise.bernoulli(1 - self.p)
            else:
                self.noise.zero()
            firsttime = False
        self.output.resizeAs(input).copy(input)
        self.output.cmul(self.noise)
        self.output.div(1 - self.p)
        return self.output
    return updateOutput


def test_dropout_jacobian(monkeypatch):
    print('==> testing backprop with Jacobian (finite element)')
    monkeypatch.setattr(DropoutEx, 'updateOutput', frozen_noise_updateOutput())   # nn.DropoutEx.updateOutput = ...

    precision = 1e-5
    jac = nn.Jacobian

    random.seed(1)
    # math.random(10, 20) in the Lua (both ends included): 4 .. 8 here, the Jacobian has size^2 entries
    ini = random.randint(4, 8)
    inj = random.randint(4, 8)
    ink = random.randint(4, 8)
    percentage = 0.25
    input = lg.Tensor(ini, inj, ink).zero()
    module = DropoutEx(percentage)
    assert lg.typename(module) == 'nn.DropoutEx'

    err = jac.testJacobian(module, input)
    print('==> error: ' + str(err))
    assert err < precision
    assert 0.6 < module.noise.mean() < 0.9          # about 1 - p of the units kept

    # the test can fail: a backward that forgets the 1 / (1 - p) scale is caught
    monkeypatch.setattr(DropoutEx, 'updateOutput', frozen_noise_updateOutput())
    monkeypatch.setattr(DropoutEx, 'updateGradInput',
                        lambda self, input, gradOutput: self.gradInput.resizeAs(gradOutput).copy(gradOutput)
                        .cmul(self.noise))
    assert jac.testJacobian(DropoutEx(percentage), input) > 1e-2

    with pytest.raises(ValueError, match='illegal percentage'):
        DropoutEx(1)


def test_dropout_on_an_image():
    n = DropoutEx(0.5)
    i = lena()
    result = n.forward(i)
    mse = i.dist(result)
    print('mse between original imgae and dropout-processed image: ' + str(mse))
    kept = result.numpy() != 0
    assert 0.45 < kept.mean() < 0.55
    assert np.allclose(result.numpy()[kept], 2 * i.numpy()[kept])
    assert mse == pytest.approx(np.linalg.norm(i.numpy() - result.numpy()))


# ----------------------------------------------------------------------------- 3_unsupervised/1_data.lua
simdata_verbose = False
data_verbose = False


def getdata(datafile, inputsize, std=None):
    data = lg.load(datafile, 'ascii')
    dataset = {}

    std = std if std is not None else 0.2
    nsamples = data.size(0)
    nrows = data.size(1)
    ncols = data.size(2)

    def size():
        return nsamples
    dataset['size'] = size

    def selectPatch(nr, nc):
        imageok = False
        if simdata_verbose:
            print('selectPatch')
        while not imageok:
            # math.ceil(torch.uniform(1e-12, n)) draws 1 .. n: one less for a 0-based position
            i = math.ceil(lg.uniform(1e-12, nsamples)) - 1
            im = data.select(0, i)
            ri = math.ceil(lg.uniform(1e-12, nrows - nr)) - 1
            ci = math.ceil(lg.uniform(1e-12, ncols - nc)) - 1
            patch = im.narrow(0, ri, nr)
            patch = patch.narrow(1, ci, nc)
            patchstd = patch.std()
            if data_verbose:
                print('Image ' + str(i) + ' ri= ' + str(ri) + ' ci= ' + str(ci) + ' std= ' + str(patchstd))
            if patchstd > std:
                if data_verbose:
                    print(patch.min(), patch.max())
                return patch, i, im
    dataset['selectPatch'] = selectPatch

    dsample = lg.Tensor(inputsize * inputsize)

    def conv():
        nonlocal dsample
        dsample = lg.Tensor(1, inputsize, inputsize)
    dataset['conv'] = conv

    def index(index):        # the metatable's __index
        sample, i, im = selectPatch(inputsize, inputsize)
        dsample.copy(sample)
        return [dsample, dsample, im]
    dataset['index'] = index
    return dataset


def displayData(dataset, nsamples=None, nrow=None, zoom=None):
    nsamples = nsamples if nsamples is not None else 100
    zoom = zoom if zoom is not None else 1
    nrow = nrow if nrow is not None else 10

    ex = []
    for i in range(nsamples):
        exx = dataset['index'](0)
        ex.append(exx[0].clone().unfold(0, math.sqrt(exx[0].size(0)), math.sqrt(exx[0].size(0))))
    return image.toDisplayTensor(ex, 1, nrow)        # itorch.image(ex)


def test_getdata_patches(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.normal(0, 0.1, (4, 30, 30))
    images[:, 10:20, 10:20] += rng.normal(0, 1, (4, 10, 10))      # the only places with std > 0.2 in a patch
    lg.save_lua(str(tmp_path / 'patches.t7'), lg.DoubleTensor(images), 'ascii')

    dataset = getdata(str(tmp_path / 'patches.t7'), 9)
    assert dataset['size']() == 4
    for _ in range(20):
        sample, same, im = dataset['index'](0)
        assert sample is same and sample.size() == (81,)
        assert sample.std() > 0.2
        # the patch is a 9 x 9 window of one of the images, at an offset Lua's draw allows (0 .. 30-9-1)
        which = [k for k in range(4) if np.array_equal(im.numpy(), images[k])]
        assert len(which) == 1
        windows = np.lib.stride_tricks.sliding_window_view(images[which[0]], (9, 9))[:21, :21]
        assert (windows.reshape(21, 21, 81) == sample.numpy()).all(axis=2).any()

    grid = displayData(dataset, 12, 4)
    assert grid.size() == (1, 3 * 10, 4 * 10)     # 12 patches of 9 x 9, 4 a row, each padded by 1

