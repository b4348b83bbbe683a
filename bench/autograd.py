"""torch-autograd's benchmark/benchmark.lua: common models timed as a plain nn module (forward, backward,
zeroGradParameters) and as an autograd function (``df(params, x, y)``), in the direct and the optimized
runtime; the ratio is autograd's time over nn's.

    python bench/autograd.py [--type double|float|cuda] [--mode both|optimized|direct] [--scale 0.1]
                             [--rounds 3] [--only 'mlp (ag)']

The models, sizes and loop counts are the Lua's (``--scale`` multiplies the loop counts; 1 is the Lua's). As in
the Lua each case builds both versions and runs one call of each first ("force allocs", which in optimized mode
also generates the code); then the timed loops. Each round times every version of every case once, nn first,
then direct, then optimized, so a burst of load on a shared machine falls on all of them; the output gives
each one's range over the rounds. The Lua's ``--nodes`` (per-node times through debugFns) and ``--profile``
(ProFi) are not ported; its two LSTM cases need cxnn's RecurrentLSTMNetwork as the nn reference and are
skipped when it is missing, as the Lua skips them, and legonn has no cxnn.

Indices are 0-based (docs/porting.md): the Lua's labels ``uniform(1.5, 10.5):floor()`` are 1..10, here 0..9.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import legonn as torch  # noqa: E402  (before NumPy: it sets how OpenBLAS idles, see legonn/__init__.py)
from legonn import autograd as d  # noqa: E402
from legonn import nn  # noqa: E402
from legonn.autograd.support import nDimension, size  # noqa: E402

TYPES = {'float': 'torch.FloatTensor', 'double': 'torch.DoubleTensor', 'cuda': 'torch.CudaTensor'}


def labels(tensor, n):
    """The Lua's ``tensor(n):uniform(1.5,10.5):floor()``, 0-based."""
    return tensor(n).uniform(1.5, 10.5).floor() - 1


def nn_loop(model, lossf, x, y, loops, per_sample):
    """The Lua's nn half of every case: force allocs on the first sample (or batch), then a function running
    ``loops`` passes of zeroGradParameters, forward, the criterion, backward (over each sample of x when
    ``per_sample``, else on the batch)."""
    def step(xi, yi):
        model.zeroGradParameters()
        yhat = model.forward(xi)
        lossf.forward(yhat, yi)
        dloss_dyhat = lossf.backward(yhat, yi)
        model.backward(xi, dloss_dyhat)
    step(x[0], y[0]) if per_sample else step(x, y)

    def run():
        for _ in range(loops):
            if per_sample:
                for i in range(x.size(0)):
                    step(x[i], y[i])
            else:
                step(x, y)
    return run


def ag_loop(f, params, x, y, loops, per_sample):
    """The Lua's autograd half: ``df = d(f)``, one call (force allocs), then ``loops`` passes of ``df``."""
    df = d(f)
    df(params, x[0], y[0]) if per_sample else df(params, x, y)

    def run():
        for _ in range(loops):
            if per_sample:
                for i in range(x.size(0)):
                    df(params, x[i], y[i])
            else:
                df(params, x, y)
    return run


def sequential(ttype, *modules):
    model = nn.Sequential()
    for module in modules:
        model.add(module)
    return model.type(ttype)


def logistic_ag(tensor, ttype, scale):
    x = tensor(1000, 100).normal()
    y = labels(tensor, 1000)
    model = sequential(ttype, nn.Linear(100, 10), nn.LogSoftMax())
    lossf = nn.ClassNLLCriterion().type(ttype)
    loops = max(1, round(40 * scale))

    def f(params, x, y):
        wx = params['W'] @ x + params['b']
        yhat = d.util.logSoftMax(wx)
        loss = -torch.sum(torch.narrow(yhat, 0, y, 1))
        return loss
    params = {'W': tensor(10, 100).normal(.01), 'b': tensor(10).zero()}
    return nn_loop(model, lossf, x, y, loops, True), lambda: ag_loop(f, params, x, y, loops, True)


def logistic_nn(tensor, ttype, scale):
    x = tensor(1000, 100).normal()
    y = labels(tensor, 1000)
    model = sequential(ttype, nn.Linear(100, 10), nn.LogSoftMax())
    lossf = nn.ClassNLLCriterion().type(ttype)
    loops = max(1, round(20 * scale))

    def make():
        params = {}
        lin, params['lin'] = d.nn.Linear(100, 10)
        lsm = d.nn.LogSoftMax()
        lossf = d.nn.ClassNLLCriterion()
        params = d.util.cast(params, ttype)

        def f(params, x, y):
            h = lin(params['lin'], x)
            yhat = lsm(h)
            loss = lossf(yhat, y)
            return loss
        return ag_loop(f, params, x, y, loops, True)
    return nn_loop(model, lossf, x, y, loops, True), make


def mlp_reference(tensor, ttype, n_in=100):
    return (sequential(ttype, nn.Linear(n_in, 1000), nn.Tanh(), nn.Linear(1000, 10), nn.LogSoftMax()),
            nn.ClassNLLCriterion().type(ttype))


def mlp_ag(tensor, ttype, scale):
    x = tensor(2000, 100).normal()
    y = labels(tensor, 2000)
    loops = max(1, round(10 * scale))

    def f(params, x, y):
        h1 = torch.tanh(params['W1'] @ x + params['b1'])
        h2 = params['W2'] @ h1 + params['b2']
        yhat = d.util.logSoftMax(h2)
        loss = -torch.sum(torch.narrow(yhat, 0, y, 1))
        return loss
    params = {'W1': tensor(1000, 100).normal(.01), 'b1': tensor(1000).zero(),
              'W2': tensor(10, 1000).normal(.01), 'b2': tensor(10).zero()}
    return nn_loop(*mlp_reference(tensor, ttype), x, y, loops, True), lambda: ag_loop(f, params, x, y, loops, True)


def mlp_nn_ag(tensor, ttype, scale):
    x = tensor(2000, 100).normal()
    y = labels(tensor, 2000)
    loops = max(1, round(10 * scale))

    def narrowed_sum(yhat, y):
        return -torch.sum(torch.narrow(yhat, 0, y, 1))
    return (nn_loop(*mlp_reference(tensor, ttype), x, y, loops, True),
            lambda: ag_loop(*wrapped_mlp(ttype, 100, narrowed_sum), x, y, loops, True))


def wrapped_mlp(ttype, n_in, lossf=None):
    """The MLP of autograd.nn's wrappers: (f, params); its loss ``lossf(yhat, y)``, by default a wrapped
    ClassNLLCriterion (benchmark.lua's mlp nn+ag case writes its own)."""
    params = {}
    lin1, params['lin1'] = d.nn.Linear(n_in, 1000)
    tanh = d.nn.Tanh()
    lin2, params['lin2'] = d.nn.Linear(1000, 10)
    lsm = d.nn.LogSoftMax()
    lossf = lossf or d.nn.ClassNLLCriterion()
    params = d.util.cast(params, ttype)

    def f(params, x, y):
        h1 = tanh(lin1(params['lin1'], x))
        h2 = lin2(params['lin2'], h1)
        yhat = lsm(h2)
        loss = lossf(yhat, y)
        return loss
    return f, params


def mlp_nn(tensor, ttype, scale):
    x = tensor(2000, 100).normal()
    y = labels(tensor, 2000)
    loops = max(1, round(10 * scale))
    return (nn_loop(*mlp_reference(tensor, ttype), x, y, loops, True),
            lambda: ag_loop(*wrapped_mlp(ttype, 100), x, y, loops, True))


def mlp_automodule_batched(tensor, ttype, scale):
    inputSize, outputSize = 100, 1000
    x = tensor(32, inputSize).uniform(-5, 5)
    uniformMultiplier = torch.expand(tensor(inputSize).uniform().resize(1, inputSize), 32, inputSize)
    y = x.clone().exp().cmul(uniformMultiplier)
    loops = max(1, round(200 * scale))
    model = sequential(ttype, nn.Linear(inputSize, outputSize), nn.ReLU(), nn.Linear(outputSize, inputSize))
    lossf = nn.MSECriterion().type(ttype)

    def linear(input, weight, bias):
        y = input @ weight + torch.expand(bias, size(input, 0), size(bias, 1))
        return y

    def linearReLU(input, weight, bias):
        y = input @ weight + torch.expand(bias, size(input, 0), size(bias, 1))
        output = torch.mul(torch.abs(y) + y, 0.5)
        return output

    def mse(input, target):
        buffer = input - target
        return torch.sum(torch.cmul(buffer, buffer)) / (size(input, 0) * size(input, 1) if nDimension(input) == 2
                                                        else size(input, 0))

    def make():
        autoModel = nn.Sequential()
        autoModel.add(d.nn.AutoModule('AutoLinearReLU')(linearReLU, tensor(inputSize, outputSize),
                                                         tensor(1, outputSize)))
        autoModel.add(d.nn.AutoModule('AutoLinear')(linear, tensor(outputSize, inputSize), tensor(1, inputSize)))
        # the Lua leaves the Sequential's type at the default (Torch7 checks none); legonn's modules check their
        # input against their type, so the container and the criterion are given ttype as the nn ones are
        autoModel.type(ttype)
        autoLossf = d.nn.AutoCriterion('AutoMSE')(mse).type(ttype)
        # an AutoModule is an nn module: timed as the nn half is, with the autograd criterion
        return nn_loop(autoModel, autoLossf, x, y, loops, False)
    return nn_loop(model, lossf, x, y, loops, False), make


def mlp_ag_batched(tensor, ttype, scale):
    x = tensor(32, 100).normal()
    y = labels(tensor, 32)
    yOneHot = d.util.oneHot(y, 10)
    loops = max(1, round(2000 * scale))

    def f(params, x, y):
        N = size(x, 0)
        h1 = torch.tanh(x @ params['W1'] + torch.expand(params['b1'], N, 1000))
        h2 = h1 @ params['W2'] + torch.expand(params['b2'], N, 10)
        loss, yhat = d.loss.crossEntropy(h2, y)
        return loss
    params = {'W1': tensor(1000, 100).normal(.01).t(), 'b1': tensor(1, 1000).zero(),
              'W2': tensor(10, 1000).normal(.01).t(), 'b2': tensor(1, 10).zero()}
    return (nn_loop(*mlp_reference(tensor, ttype), x, y, loops, False),
            lambda: ag_loop(f, params, x, yOneHot, loops, False))


def mlp_nn_batched(tensor, ttype, scale):
    x = tensor(32, 1000).normal()
    y = labels(tensor, 32)
    loops = max(1, round(200 * scale))
    return (nn_loop(*mlp_reference(tensor, ttype, 1000), x, y, loops, False),
            lambda: ag_loop(*wrapped_mlp(ttype, 1000), x, y, loops, False))


def cnn_reference(ttype):
    return sequential(ttype, nn.SpatialConvolutionMM(3, 16, 5, 5), nn.Tanh(), nn.SpatialMaxPooling(2, 2, 2, 2),
                      nn.SpatialConvolutionMM(16, 32, 5, 5), nn.Tanh(), nn.SpatialMaxPooling(2, 2, 2, 2),
                      nn.Reshape(13 * 13 * 32), nn.Linear(13 * 13 * 32, 10), nn.LogSoftMax())


def cnn_nn_batched(tensor, ttype, scale):
    x = tensor(32, 3, 64, 64).normal()
    y = labels(tensor, 32)
    loops = max(1, round(10 * scale))

    def make():
        params = {}
        c1, params['c1'] = d.nn.SpatialConvolutionMM(3, 16, 5, 5)
        t1 = d.nn.Tanh()
        m1 = d.nn.SpatialMaxPooling(2, 2, 2, 2)
        c2, params['c2'] = d.nn.SpatialConvolutionMM(16, 32, 5, 5)
        t2 = d.nn.Tanh()
        m2 = d.nn.SpatialMaxPooling(2, 2, 2, 2)
        r = d.nn.Reshape(13 * 13 * 32)
        l3, params['l3'] = d.nn.Linear(13 * 13 * 32, 10)
        lsm = d.nn.LogSoftMax()
        lossf = d.nn.ClassNLLCriterion()
        params = d.util.cast(params, ttype)

        def f(params, x, y):
            h1 = m1(t1(c1(params['c1'], x)))
            h2 = m2(t2(c2(params['c2'], h1)))
            h3 = l3(params['l3'], r(h2))
            yhat = lsm(h3)
            loss = lossf(yhat, y)
            return loss
        return ag_loop(f, params, x, y, loops, False)
    return nn_loop(cnn_reference(ttype), nn.ClassNLLCriterion().type(ttype), x, y, loops, False), make


def cnn_nnwrap_batched(tensor, ttype, scale):
    x = tensor(32, 3, 64, 64).normal()
    y = labels(tensor, 32)
    loops = max(1, round(10 * scale))
    model = cnn_reference(ttype)
    lossf = nn.ClassNLLCriterion().type(ttype)

    def make():
        modelf, params = d.functionalize(model)
        lossf = d.nn.ClassNLLCriterion()

        def f(params, x, y):
            yhat = modelf(params, x)
            loss = lossf(yhat, y)
            return loss
        return ag_loop(f, params, x, y, loops, False)
    return nn_loop(model, lossf, x, y, loops, False), make


TESTS = {
    'logistic (ag)': logistic_ag,
    'logistic (nn)': logistic_nn,
    'mlp (ag)': mlp_ag,
    'mlp (nn+ag)': mlp_nn_ag,
    'mlp (nn)': mlp_nn,
    'mlp (autoModule, batched)': mlp_automodule_batched,
    'mlp (ag, batched)': mlp_ag_batched,
    'mlp (nn, batched)': mlp_nn_batched,
    'cnn (nn, batched)': cnn_nn_batched,
    'cnn (nnWrap, batched)': cnn_nnwrap_batched,
}


def timer(cuda):
    """``toc(run)``: the seconds ``run()`` takes, the GPU synchronised before and after on ``cuda``."""
    sync = torch.tensor.backend.cupy().cuda.Device().synchronize if cuda else (lambda: None)

    def toc(run):
        sync()
        start = time.perf_counter()
        run()
        sync()
        return time.perf_counter() - start
    return toc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--type', choices=sorted(TYPES), default='float', help='tensor type')
    parser.add_argument('--mode', choices=('both', 'optimized', 'direct'), default='both',
                        help="autograd's runtime(s) to time")
    parser.add_argument('--scale', type=float, default=1.0, help="loop counts times this (1: the Lua's)")
    parser.add_argument('--rounds', type=int, default=1, help='alternated rounds (each case min-max over them)')
    parser.add_argument('--only', action='append', choices=sorted(TESTS), help='run only these cases')
    args = parser.parse_args(argv)

    ttype = TYPES[args.type]
    tensor = getattr(torch, ttype.split('.')[1])
    toc = timer(args.type == 'cuda')
    modes = ('direct', 'optimized') if args.mode == 'both' else (args.mode,)
    torch.manualSeed(0)
    print(f"Benchmarks: --type {args.type}, --scale {args.scale}, {args.rounds} round(s)")
    for name in args.only or TESTS:
        nn_run, make_ag = TESTS[name](tensor, ttype, args.scale)
        runs = {'nn': nn_run}
        for mode in modes:
            d.optimize(mode == 'optimized')
            runs[mode] = make_ag()
        times = {key: [] for key in runs}
        for _ in range(args.rounds):
            for key, run in runs.items():
                d.optimize(key == 'optimized')
                times[key].append(toc(run))

        def span(key):
            lo, hi = min(times[key]), max(times[key])
            return f"{lo:6.2f}s" if args.rounds == 1 else f"{lo:6.2f}-{hi:6.2f}s"
        ratios = ', '.join(f"{mode}: {span(mode)} (x{min(times[mode]) / min(times['nn']):.2f})" for mode in modes)
        print(f"{name + ' => ':>32} nn: {span('nn')}, {ratios}", flush=True)


if __name__ == '__main__':
    main()
