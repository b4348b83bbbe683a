"""torch/demos' two small scripts ported line by line: load-data/load-images.lua (xlua.OptionParser, the
folder listed with ``paths.files`` and filtered by extension, the sorted names, ``image.load`` of each; the
``image.display`` windows are left out) and profiling/linear-cpu.lua (the Linear/Threshold network timed with
``sys.tic``/``sys.toc`` and its GFLOP/s figure, sizes shrunk from 512 x 4096 -> 4096 -> 1000).
"""
import re

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, paths, xlua
from legonn import sys as tsys


def load_images(argv):
    op = xlua.OptionParser('load-images.lua [options]')
    op.option('-d', '--dir', action='store', dest='dir', help='directory to load', req=True)
    op.option('-e', '--ext', action='store', dest='ext', help='only load files of this extension', default='jpg')
    opt = op.parse(arg=argv)[0]
    op.summarize()

    files = []
    for file in paths.files(opt['dir']):
        if re.search(opt['ext'] + '$', file):          # file:find(opt.ext .. '$'): a Lua pattern
            files.append(paths.concat(opt['dir'], file))

    if len(files) == 0:
        raise ValueError('given directory doesnt contain any files of type: ' + opt['ext'])

    files.sort()                                       # table.sort(files, function (a,b) return a < b end)

    print('Found files:')
    print(files)

    images = []
    for i, file in enumerate(files):
        images.append(image.load(file))

    print('Loaded images:')
    print(images)
    return files, images


def test_load_images(tmp_path):
    rng = np.random.default_rng(0)
    pictures = {}
    for name in ('c.png', 'a.png', 'b.png'):
        pictures[name] = rng.integers(0, 256, (3, 6, 5)).astype(np.uint8)
        image.save(str(tmp_path / name), lg.ByteTensor(pictures[name]))
    image.save(str(tmp_path / 'skip.ppm'), lg.ByteTensor(pictures['a.png']))

    files, images = load_images(['-d', str(tmp_path), '-e', 'png'])
    assert [f.rsplit('/', 1)[1] for f in files] == ['a.png', 'b.png', 'c.png']
    for f, img in zip(files, images):
        # image.load's default: a FloatTensor (the default type's float kind) in [0, 1]
        assert img.size() == (3, 6, 5)
        assert np.allclose(img.numpy(), pictures[f.rsplit('/', 1)[1]] / 255, atol=1e-6)

    with pytest.raises(ValueError, match='doesnt contain any files of type: jpg'):
        load_images(['-d', str(tmp_path)])


def test_linear_cpu_profile():
    lg.manualSeed(1)
    bs = 16
    ninputs = 64
    nhiddens = 64
    noutputs = 10

    n = nn.Sequential()
    n.add(nn.Linear(ninputs, nhiddens))
    n.add(nn.Threshold())
    n.add(nn.Linear(nhiddens, noutputs))
    n.add(nn.Threshold())

    i = lg.randn(bs, ninputs)

    ops = (ninputs * nhiddens + nhiddens * noutputs) * 2 * bs * 3

    n.float()
    i = i.float()

    N = 5

    n.forward(i)
    n.backward(i, n.output)

    tsys.tic()
    for t in range(N):
        n.forward(i)
        n.backward(i, n.output)
    t = tsys.toc() / N
    print('Fprop+Bprop+Acc - GFLOP/s:', ops / t / 1e9)

    assert t > 0 and n.output.type() == 'torch.FloatTensor' and n.output.size() == (bs, noutputs)
    # nn.Threshold() is threshold 1e-6, value 0: a ReLU here
    w1, b1 = n.get(0).weight.numpy(), n.get(0).bias.numpy()
    w2, b2 = n.get(2).weight.numpy(), n.get(2).bias.numpy()
    h = i.numpy() @ w1.T + b1
    h = np.where(h > 1e-6, h, 0)
    o = h @ w2.T + b2
    assert np.allclose(n.output.numpy(), np.where(o > 1e-6, o, 0), atol=1e-5)
    # six backward passes accumulated the weight gradients (never zeroed in the script)
    g = n.output.numpy() * (o > 1e-6)
    assert np.allclose(n.get(2).gradWeight.numpy(), 6 * g.T @ h, rtol=1e-4, atol=1e-4)
