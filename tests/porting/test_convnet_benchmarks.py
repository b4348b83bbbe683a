"""soumith/convnet-benchmarks' torch7/ directory run through its port, tests/porting/convnet_benchmarks/
(imagenet_winners/alexnet.lua, overfeat.lua, vgg_a.lua, googlenet.lua and benchmark.lua; layerwise_benchmarks/
benchmark.lua and multigpu.lua; each module's docstring lists its edits beyond syntax and indices).

The four ImageNet winners are built as benchmark.lua builds them (cudnn's convolution, max pooling and ReLU, which
legonn also runs on the CPU) and run forward and backward on one image instead of the files' batches of 128 (64
for VGG); their parameter counts are checked against counts written out from the layer tables and against the
papers' figures, and the spatial sizes between layers against the files' comments. The benchmark drivers need
CUDA (every tensor goes through ``:cuda()``): their tests are GPU tests, run with batches of one, one step and
one dry run, and, for the layer-wise file, smaller images.
"""
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn

from .convnet_benchmarks.imagenet_winners import alexnet, benchmark, googlenet, overfeat, vgg_a
from .convnet_benchmarks.layerwise_benchmarks import benchmark as layerwise
from .convnet_benchmarks.layerwise_benchmarks import multigpu

CUDNN = [cudnn.SpatialConvolution, cudnn.SpatialMaxPooling, cudnn.ReLU, 'BDHW', 'cudnn']
NN = [nn.SpatialConvolutionMM, nn.SpatialMaxPooling, nn.ReLU, 'BDHW', 'nn']
# a timing line as output.log shows it: the library, the phase right-aligned, milliseconds with 2 decimals
TIMING = r'(\S+) +(:\w+\(?\)?:) +(\d+\.\d\d)'


def conv(nin, nout, k):
    return nin * nout * k * k + nout


def linear(nin, nout):
    return nin * nout + nout


def n_parameters(model):
    return sum(p.nElement() for p in model.parameters()[0])


def run_one_image(model, size):
    """benchmark.lua's dry run on one image: zeroGradParameters, updateOutput, updateGradInput and
    accGradParameters with the output as gradOutput."""
    lg.manualSeed(1)
    input = benchmark.makeInput(CUDNN, [1] + size[1:])
    model.zeroGradParameters()
    output = model.updateOutput(input)
    gradInput = model.updateGradInput(input, output)
    model.accGradParameters(input, output)
    return input, output, gradInput


def spatial_sizes(seq):
    return [m.output.size(m.output.dim() - 1) for m in seq.modules]


def check_last_linear(model, output):
    """the last Linear's gradBias is its gradOutput, here the output (updateGradInput(input, output))."""
    last = model.findModules('nn.Linear')[0][-1]
    np.testing.assert_allclose(last.gradBias.numpy(), output.numpy().reshape(-1), rtol=1e-5, atol=1e-6)


def test_alexnet():
    """alexnet.lua, the One Weird Trick AlexNet: 61,100,840 parameters (about the 60 million the AlexNet paper
    states for its two-tower original), spatial sizes 224 -> 55 -> 27 -> 27 -> 13 -> 13 -> 13 -> 6 as its comments
    say, no gradInput (``features:get(1).gradInput = nil``), and, for one image, a 1000-vector: nn.View(256*6*6)
    without setNumInputDims takes a 256x6x6 batch of one as one sample, as View.lua does."""
    model, name, size = alexnet.alexnet(CUDNN)
    assert name == 'AlexNet' and size == [128, 3, 224, 224]
    expected = (conv(3, 64, 11) + conv(64, 192, 5) + conv(192, 384, 3) + conv(384, 256, 3) + conv(256, 256, 3)
                + linear(256 * 6 * 6, 4096) + linear(4096, 4096) + linear(4096, 1000))
    assert n_parameters(model) == expected == 61100840
    assert lg.typename(model.get(0).get(0)) == 'cudnn.SpatialConvolution'
    _, output, gradInput = run_one_image(model, size)
    assert spatial_sizes(model.get(0)) == [55, 55, 27, 27, 27, 13, 13, 13, 13, 13, 13, 13, 6]
    assert output.size() == (1000,) and gradInput is None and model.get(0).get(0).gradInput is None
    check_last_linear(model, output)
    assert model.get(0).get(0).gradWeight.abs().sum() > 0


def test_overfeat():
    """overfeat.lua, OverFeat's fast model: 145,920,872 parameters (the paper's "145 million"), 231 -> 56 -> 28 ->
    24 -> 12 -> 12 -> 12 -> 6."""
    model, name, size = overfeat.overfeat_fast(CUDNN)
    assert name == 'OverFeat[fast]' and size == [128, 3, 231, 231]
    expected = (conv(3, 96, 11) + conv(96, 256, 5) + conv(256, 512, 3) + conv(512, 1024, 3) + conv(1024, 1024, 3)
                + linear(1024 * 6 * 6, 3072) + linear(3072, 4096) + linear(4096, 1000))
    assert n_parameters(model) == expected == 145920872
    _, output, gradInput = run_one_image(model, size)
    assert spatial_sizes(model.get(0)) == [56, 56, 28, 24, 24, 12, 12, 12, 12, 12, 12, 12, 6]
    assert output.size() == (1000,) and gradInput is None
    check_last_linear(model, output)


def test_vgg_a():
    """vgg_a.lua, VGG's configuration A: 132,863,336 parameters (133 million in the paper's Table 2), eight
    convolutions and five poolings from 224 to 7."""
    model, name, size = vgg_a.vgg_a(CUDNN)
    assert name == 'VGG Model-A' and size == [64, 3, 224, 224]
    chans = [3, 64, 128, 256, 256, 512, 512, 512, 512]
    expected = (sum(conv(a, b, 3) for a, b in zip(chans, chans[1:]))
                + linear(512 * 7 * 7, 4096) + linear(4096, 4096) + linear(4096, 1000))
    assert n_parameters(model) == expected == 132863336
    assert len(model.get(0).findModules('cudnn.SpatialConvolution')[0]) == 8
    _, output, gradInput = run_one_image(model, size)
    pools = [m.output.size(3) for m in model.get(0).modules if lg.typename(m) == 'cudnn.SpatialMaxPooling']
    assert pools == [112, 56, 28, 14, 7]
    assert output.size() == (1000,) and gradInput is None
    check_last_linear(model, output)


# GoogLeNet paper (Szegedy et al. 2014), Table 1: each inception module's input depth, #1x1, #3x3 reduce, #3x3,
# #5x5 reduce, #5x5 and pool proj
PAPER = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), (480, 192, 96, 208, 16, 48, 64),
         (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
         (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128)]


def inception_parameters(n, c1, r3, c3, r5, c5, pp):
    return conv(n, c1, 1) + conv(n, r3, 1) + conv(r3, c3, 3) + conv(n, r5, 1) + conv(r5, c5, 5) + conv(n, pp, 1)


def test_googlenet():
    """googlenet.lua: each inception module holds the parameters of the paper's Table 1 configuration and gives
    its depth (1x1 + 3x3 + 5x5 + pool proj: 256, 480, 512, 512, 512, 528, 832, 832, 1024, as the comments say) at
    28, 14 and 7 pixels; the final average pooling is cudnn's, and a batch of one keeps its batch dimension
    (View's setNumInputDims)."""
    model, name, size = googlenet.googlenet(CUDNN)
    assert name == 'GoogleNet' and size == [128, 3, 224, 224]
    inceptions = [m for m in model.modules if lg.typename(m) == 'nn.Concat']
    assert [m.dimension for m in inceptions] == [1] * 9
    assert [n_parameters(m) for m in inceptions] == [inception_parameters(*row) for row in PAPER]
    assert n_parameters(model) == (conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3) + linear(1024, 1000)
                                   + sum(inception_parameters(*row) for row in PAPER)) == 6998552
    assert lg.typename(model.modules[-4]) == 'cudnn.SpatialAveragePooling'
    _, output, gradInput = run_one_image(model, size)
    assert [(m.output.size(1), m.output.size(3)) for m in inceptions] == [
        (row[1] + row[3] + row[5] + row[6], px) for row, px in zip(PAPER, [28] * 2 + [14] * 5 + [7] * 2)]
    assert inceptions[-1].output.size(1) == 1024
    assert output.size() == (1, 1000) and gradInput is None and output.min() >= 0
    check_last_linear(model, output)


def test_googlenet_takes_cudnn_average_pooling_with_nn_kernels():
    """googlenet.lua's ``torch.type(lib[2]) == 'nn.SpatialMaxPooling'`` reads the type of a class, which Torch7
    calls 'table' (luaT registers no name for a constructor table): with nn's kernels too, the average pooling is
    cudnn's, as in Torch7."""
    assert lg.type(NN[1]) == 'table'
    model, _, _ = googlenet.googlenet(NN)
    assert lg.typename(model.modules[-4]) == 'cudnn.SpatialAveragePooling'
    assert lg.typename(model.modules[0]) == 'nn.SpatialConvolutionMM'


def test_make_input_layouts():
    """benchmark.lua's makeInput: the size as given for BDHW, the batch moved last (DHWB) or the depth last
    (BHWD), through a LongStorage."""
    assert benchmark.makeInput(CUDNN, [2, 3, 5, 7]).size() == (2, 3, 5, 7)
    assert benchmark.makeInput([None] * 3 + ['DHWB'], [2, 3, 5, 7]).size() == (3, 5, 7, 2)
    assert benchmark.makeInput([None] * 3 + ['BHWD'], [2, 3, 5, 7]).size() == (2, 5, 7, 3)
    lg.manualSeed(3)
    x = benchmark.makeInput(CUDNN, [64, 3, 8, 8])
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05


def one_image(net):
    def shrunk(lib):
        model, name, size = net(lib)
        return model, name, [1] + size[1:]
    return shrunk


@pytest.mark.gpu
def test_imagenet_benchmark_driver(monkeypatch, capsys):
    """benchmark.lua's main loop on the GPU, with GoogLeNet on one image, one dry run and one timed step: the
    model and input are CUDA, and the lines are output.log's (a tab-separated ModelType line, six timing lines)."""
    monkeypatch.setattr(benchmark, 'nets', [one_image(googlenet.googlenet)])
    monkeypatch.setattr(benchmark, 'steps', 1)
    monkeypatch.setattr(benchmark, 'nDryRuns', 1)
    assert cudnn.benchmark is False                        # loading the port sets no flag
    benchmark.main()
    assert cudnn.benchmark is True and cudnn.verbose is False
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('Running on device: ')
    assert lines[1].split('\t') == ['ModelType: GoogleNet', 'Kernels: cudnn', 'Input shape: 1x3x224x224']
    timings = [re.fullmatch(TIMING, line) for line in lines[2:8]]
    assert all(timings) and [t.group(1) for t in timings] == ['cudnn'] * 6
    assert [t.group(2) for t in timings] == [':updateOutput():', ':updateGradInput():', ':accGradParameters():',
                                             ':Forward:', ':Backward:', ':TOTAL:']
    assert benchmark.output.type() == 'torch.CudaTensor' and benchmark.output.size() == (1, 1000)


@pytest.mark.gpu
def test_layerwise_benchmark(monkeypatch, capsys):
    """layerwise_benchmarks/benchmark.lua on the GPU with each layer's batch cut to one and its image to the
    kernel plus 4: the CONFIG lines as the Lua writes them, and both convolutions' timings, none FAILED."""
    runs = [dict(run, bs=1, iw=run['kw'] + 4, ih=run['kh'] + 4) for run in layerwise.runs]
    monkeypatch.setattr(layerwise, 'runs', runs)
    monkeypatch.setattr(layerwise, 'steps', 1)
    layerwise.main()
    out = capsys.readouterr().out
    assert 'CONFIG: input = 3x15x15 * ker = 3x96x11x11 (bs = 1, stride = 1)' in out
    assert 'CONFIG: input = 384x7x7 * ker = 384x384x3x3 (bs = 1, stride = 1)' in out
    timings = re.findall(TIMING, out)
    assert len(timings) == 5 * 2 * 4 and 'FAILED' not in out
    assert {t[0] for t in timings} == {'cudnn.SpatialConvolution', 'nn.SpatialConvolutionMM'}
    assert layerwise.i1.type() == 'torch.CudaTensor' and layerwise.i1.size() == (1, 384, 7, 7)


@pytest.mark.gpu
def test_multigpu_forward_backward(monkeypatch, capsys):
    """multigpu.lua's cudnn net on a batch of one 3x64x64 image: 64 -> 56 -> 28 -> 24 -> 12 -> 9 -> 7 -> 3 -> 1,
    and four tab-separated timing lines."""
    monkeypatch.setattr(multigpu, 'batchSize', 1)
    multigpu.main()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split('\t')[0] for line in lines] == ['FORWARD free run time:', 'FORWARD sync time:',
                                                         'BACKWARD free run time:', 'BACKWARD sync time:']
    assert all(float(line.split('\t')[1]) >= 0 for line in lines)
    assert multigpu.output.type() == 'torch.CudaTensor' and multigpu.output.size() == (1, 384, 1, 1)
    assert [m.output.size(3) for m in multigpu.model.modules] == [56, 56, 28, 24, 24, 12, 9, 9, 7, 7, 3, 1]
