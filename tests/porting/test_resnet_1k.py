"""KaimingHe/resnet-1k-layers run through its port, tests/porting/resnet_1k/resnet_pre_act.py (resnet-pre-act.lua,
a model file for fb.resnet.torch; its docstring lists the edits beyond syntax and indices).

The README trains it with fb.resnet.torch's main.lua (``-netType resnet-pre-act -depth 1001 -batchSize 64``): here
the fb.resnet.torch Trainer and opts.lua that tests/porting/test_resnext.py ports train the 9n+2 = 11-layer member
of the family (n = 1, the script's own ``-depth``) on the shipped MNIST slice padded to 3 x 32 x 32 (that port's
stand-in DataLoader), in FloatTensor on the CPU."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .resnet_1k import resnet_pre_act
from .test_resnext import DataLoader, Trainer, mnist_as_cifar, parse


def opt_for(tmp_path, depth, *args):
    opt = parse(['-dataset', 'cifar10', '-netType', 'resnet-pre-act', '-depth', str(depth),
                 '-save', str(tmp_path), '-manualSeed', '1', *args])
    opt['tensorType'] = 'torch.FloatTensor'    # opts.lua sets a CUDA type only: the CPU stand-in
    return opt


def convs_of(model):
    return model.findModules('cudnn.SpatialConvolution')[0]


def test_resnet_11_structure_and_initialisation(tmp_path):
    lg.manualSeed(0)
    model = resnet_pre_act.createModel(opt_for(tmp_path, 11))
    # one projection unit per stage (16 -> 64 at stride 1, 64 -> 128 and 128 -> 256 at stride 2)
    stages = [model.get(i) for i in (1, 2, 3)]
    assert [s.size() for s in stages] == [1, 1, 1]
    planes = [(16, 64, 1), (64, 128, 2), (128, 256, 2)]
    for stage, (nIn, nOut, stride) in zip(stages, planes):
        unit = stage.get(0)
        assert lg.typename(unit.get(0)) == 'nn.SpatialBatchNormalization' and unit.get(0).weight.size(0) == nIn
        convs, shortcut = unit.get(2).get(0), unit.get(2).get(1)
        first = convs.get(0)
        assert (first.nInputPlane, first.nOutputPlane, first.dW) == (nIn, nOut // 4, stride)
        assert (shortcut.get(0).nOutputPlane, shortcut.get(0).dW, shortcut.get(0).kW) == (nOut, stride, 1)
    # ConvInit: He's normal with std sqrt(2 / (kW kH nOutputPlane)), biases dropped (cudnn >= 4); BN weight 1
    for conv in convs_of(model):
        assert conv.bias is None and conv.gradBias is None
    [big] = [c for c in convs_of(model) if (c.kW, c.nOutputPlane) == (3, 64)]     # the last unit's 3x3
    assert float(big.weight.std()) == pytest.approx(np.sqrt(2 / (9 * 64)), rel=0.05)
    for bn in model.findModules('nn.SpatialBatchNormalization')[0]:
        assert float(bn.weight.min()) == 1 and float(bn.bias.abs().max()) == 0
    assert model.get(0).gradInput is None
    # parameters counted from the Lua's layer list
    def unit_params(nIn, nOut, proj):
        b = nOut // 4
        return (2 * nIn + nIn * b + 2 * b + 9 * b * b + 2 * b + b * nOut + (nIn * nOut if proj else 0))
    expected = 3 * 9 * 16 + sum(unit_params(i, o, True) for i, o, _ in planes) + 2 * 256 + 256 * 10 + 10
    assert model.getParameters()[0].nElement() == expected
    assert list(model.forward(lg.randn(2, 3, 32, 32).float()).size()) == [2, 10]


def test_identity_units_add_their_input_with_no_activation_after(tmp_path):
    lg.manualSeed(0)
    model = resnet_pre_act.createModel(opt_for(tmp_path, 20)).double()   # n = 2: each stage's second unit
    model.evaluate()
    unit = model.get(2).get(1)
    x = lg.randn(2, 128, 16, 16).double()
    branch = unit.get(0).get(0).forward(x).clone()
    np.testing.assert_allclose(unit.forward(x).numpy(), x.numpy() + branch.numpy(), rtol=1e-12)
    assert float(unit.output.min()) < 0          # pre-activation: nothing clips the sum


def test_depth_and_dataset_are_checked(tmp_path):
    with pytest.raises(AssertionError, match='depth should be 9n\\+2'):
        resnet_pre_act.createModel(opt_for(tmp_path, 12))
    with pytest.raises(RuntimeError, match='invalid dataset: cifar100'):
        resnet_pre_act.createModel(dict(opt_for(tmp_path, 11), dataset='cifar100'))


def test_fb_resnet_trainer_trains_the_pre_act_resnet(tmp_path):
    # the first 3 of 30 epochs, at the schedule's first learning rate
    opt = opt_for(tmp_path, 11, '-nEpochs', '30', '-batchSize', '32')
    lg.manualSeed(opt['manualSeed'])
    model = resnet_pre_act.createModel(opt)
    criterion = nn.CrossEntropyCriterion().type(opt['tensorType'])    # fb.resnet.torch's models/init.lua
    trainer = Trainer(model, criterion, opt)
    trainer.target = lg.LongTensor()       # the CudaLongTensor that copyInputs makes, on the CPU
    x, y = mnist_as_cifar(5000)                # the slice is sorted by class: a seeded draw of every class
    rows = lg.LongTensor(np.random.RandomState(0).permutation(5000)[:192])
    x, y, vx, vy = x.index(0, rows[:128]), y.index(0, rows[:128]), x.index(0, rows[128:]), y.index(0, rows[128:])
    train, valid = DataLoader(x, y, 32), DataLoader(vx, vy, 32)
    losses = []
    for epoch in range(1, 4):
        top1, top5, loss = trainer.train(epoch, train)
        losses.append(loss)
    assert losses[2] < losses[1] < losses[0]
    top1, top5 = trainer.test(3, valid)
    model.evaluate()
    pred = model.forward(vx).numpy().argmax(1)
    assert top1 == pytest.approx(100 * (1 - np.mean(pred == vy.numpy())), abs=1e-4)
