"""torch/demos' linear-regression/example-linear-regression.lua ported line by line (lines 20-238): the
corn-yield table, an ``nn.Linear(2, 1)`` trained on it by ``optim.sgd`` one sample per call through the
closure ``feval`` with its global sample counter ``_nidx_``, the loss logged with ``optim.Logger`` (``add``,
``style``, ``plot``), and the table of predictions beside the textbook's.

The Lua runs 1e4 epochs (about 10 s here); the test runs 2000 with the same learning rate schedule and checks
the fit against the least-squares solution NumPy computes (the textbook's column ``text``), with the
tolerance 2000 epochs of this slow-converging SGD reach.
"""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

data = None
_nidx_ = None


def run(tmp_path, epochs):
    global data, _nidx_
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(1)
    _nidx_ = None

    logger = optim.Logger(str(tmp_path / 'loss_log.txt'))

    # lines 58-69: {corn, fertilizer, insecticides}
    data = lg.Tensor([
        [40, 6, 4],
        [44, 10, 4],
        [46, 12, 5],
        [48, 14, 7],
        [52, 16, 9],
        [58, 18, 12],
        [60, 22, 14],
        [68, 24, 20],
        [74, 26, 21],
        [80, 32, 24],
    ])

    model = nn.Sequential()
    ninputs = 2
    noutputs = 1
    model.add(nn.Linear(ninputs, noutputs))

    criterion = nn.MSECriterion()

    x, dl_dx = model.getParameters()

    def feval(x_new):
        global _nidx_
        if x is not x_new:
            x.copy(x_new)

        _nidx_ = (_nidx_ if _nidx_ is not None else -1) + 1
        if _nidx_ > data.size()[0] - 1:
            _nidx_ = 0

        sample = data[_nidx_]
        target = sample[0:1]
        inputs = sample[1:3]

        dl_dx.zero()

        loss_x = criterion.forward(model.forward(inputs), target)
        model.backward(inputs, criterion.backward(model.output, target))

        return loss_x, dl_dx

    sgd_params = {
        'learningRate': 1e-3,
        'learningRateDecay': 1e-4,
        'weightDecay': 0,
        'momentum': 0,
    }

    losses = []
    for i in range(epochs):
        current_loss = 0

        for i in range(data.size()[0]):
            _, fs = optim.sgd(feval, x, sgd_params)
            current_loss = current_loss + fs[0]

        current_loss = current_loss / data.size()[0]
        losses.append(current_loss)

        logger.add({'training error': current_loss})
        logger.style({'training error': '-'})
    plot = logger.plot()          # the Lua plots every epoch: once is enough to see the file

    text = [40.32, 42.92, 45.33, 48.85, 52.37, 57, 61.82, 69.78, 72.19, 79.42]

    print('id  approx   text')
    predictions = []
    for i in range(data.size()[0]):
        myPrediction = model.forward(data[i][1:3])
        print('%2d  %6.2f %6.2f' % (i + 1, myPrediction[0], text[i]))
        predictions.append(myPrediction[0])
    return model, losses, np.array(predictions), np.array(text), plot


def test_linear_regression_approaches_least_squares(tmp_path):
    model, losses, predictions, text, plot = run(tmp_path, 2000)

    # the closed form: corn = a + b fertilizer + c insecticides, by least squares: the textbook's column
    d = data.numpy()
    A = np.column_stack([np.ones(10), d[:, 1], d[:, 2]])
    coef = np.linalg.lstsq(A, d[:, 0], rcond=None)[0]
    assert np.allclose(A @ coef, text, atol=0.005)
    best = np.mean((A @ coef - d[:, 0]) ** 2)

    # SGD's fit: no better than least squares, and within a factor 2.2 of its error (the start's is 276x)
    fit = np.mean((predictions - d[:, 0]) ** 2)
    assert best <= fit < 2.2 * best
    assert np.abs(predictions - text).max() < 3
    assert losses[-1] < losses[0] / 50

    log = (tmp_path / 'loss_log.txt').read_text().split('\n')
    assert log[0].strip() == 'training error' and float(log[-2]) == pytest.approx(losses[-1], rel=1e-4)
    assert plot.endswith('loss_log.txt.svg')
