"""modules/test.lua: the modules' unit checks through ``lg.Tester``: BBoxRegressionCriterion's gradient against
central differences, and SequentialSplitBatch (over inn.ROIPooling on CUDA, and over a Linear) against the same
modules run as one nn.Sequential (``torch.setmetatable(x, 'nn.Sequential')`` turns it into one in place).

Edits: classes and the roi's image index 0-based (the Lua's ``random(2, 21)`` labels are ``random(1, 21)``, as
legonn's ``random(a, b)`` draws a .. b-1, docs/porting.md's row; ``torch.random(16, 32)`` is ``lg.random(16, 33)``;
the rois' first column filled with 0); ``nntest.BBoxRegressionCriterion``'s function is
``BBoxRegressionCriterion_`` (the class keeps its name); the Lua's last line, ``mytester:run()``, which runs the
checks when the file is loaded, is ``run()``. ``require 'fbcoco'``/``'inn'`` are the imports. Kept as the Lua has
them: ``torch.randn`` makes tensors of the default type (Torch7's double; legonn's float, so the caller sets
double first as Torch7's default, docs/porting.md), and the criterion test's ``bbox_targets[i]:narrow(...)``
selects a slice and fills nothing (the targets stay zero)."""
import legonn as lg
from legonn import nn, inn

from .BBoxRegressionCriterion import BBoxRegressionCriterion
from .SequentialSplitBatch import SequentialSplitBatch

mytester = lg.Tester()

precision = 1e-3

nntest = lg.TestSuite()


def criterionJacobianTest1D(cri, input, target):
    eps = 1e-6
    _ = cri.forward(input, target)
    dfdx = cri.backward(input, target)
    # for each input perturbation, do central difference
    centraldiff_dfdx = lg.Tensor().resizeAs(dfdx)
    input_s = input.storage()
    centraldiff_dfdx_s = centraldiff_dfdx.storage()
    for i in range(input.nElement()):
        # f(xi + h)
        input_s[i] = input_s[i] + eps
        fx1 = cri.forward(input, target)
        # f(xi - h)
        input_s[i] = input_s[i] - 2 * eps
        fx2 = cri.forward(input, target)
        # f'(xi) = (f(xi + h) - f(xi - h)) / 2h
        cdfx = (fx1 - fx2) / (2 * eps)
        # store f' in appropriate place
        centraldiff_dfdx_s[i] = cdfx
        # reset input[i]
        input_s[i] = input_s[i] + eps

    # compare centraldiff_dfdx with :backward()
    err = (centraldiff_dfdx - dfdx).abs().max()
    mytester.assertlt(err, precision, 'error in difference between central difference and :backward')


def BBoxRegressionCriterion_():
    bs = lg.random(16, 33)
    input = lg.randn(bs, 84)
    bbox_targets = lg.randn(bs, 84).zero()
    bbox_labels = lg.Tensor(bs).random(1, 21)
    for i in range(bs):
        bbox_targets[i].narrow(0, int(bbox_labels[i]) * 4, 4)
    target = [bbox_labels, bbox_targets]
    cri = BBoxRegressionCriterion()
    criterionJacobianTest1D(cri, input, target)


def SequentialSplitBatch_ROIPooling():
    input = [
        lg.randn(1, 512, 38, 50).cuda(),
        lg.randn(40, 5).cuda().mul(50),
    ]
    input[1].select(1, 0).fill(0)

    module = (SequentialSplitBatch(25)
              .add(inn.ROIPooling(7, 7, 1 / 16))
              .add(nn.View(-1).setNumInputDims(3))
              .add(nn.Linear(7 * 7 * 512, 9))
              .cuda())

    output_mod = module.forward(input).clone()
    output_mod = module.forward(input).clone()

    def toSequential(x):
        if lg.typename(x) == 'nn.SequentialSplitBatch':
            lg.setmetatable(x, 'nn.Sequential')
        return x
    output_ref = module.replace(toSequential).forward(input).clone()

    mytester.asserteq((output_mod - output_ref).abs().max(), 0, 'SequentialSplitBatch err')


def SequentialSplitBatch_Tensor():
    input = lg.randn(40, 512).cuda()
    module = SequentialSplitBatch(25).add(nn.Linear(512, 9)).cuda()

    output_mod = module.forward(input).clone()
    output_mod = module.forward(input).clone()

    def toSequential(x):
        if lg.typename(x) == 'nn.SequentialSplitBatch':
            lg.setmetatable(x, 'nn.Sequential')
        return x
    output_ref = module.replace(toSequential).forward(input).clone()

    mytester.asserteq((output_mod - output_ref).abs().max(), 0, 'SequentialSplitBatch err')


nntest.BBoxRegressionCriterion = BBoxRegressionCriterion_
nntest.SequentialSplitBatch_ROIPooling = SequentialSplitBatch_ROIPooling
nntest.SequentialSplitBatch_Tensor = SequentialSplitBatch_Tensor

mytester.add(nntest)


def run(tests=None):
    return mytester.run(tests)
