"""facebookresearch/multipathnet's MultiPath Network (models/multipathnet.lua), its nn.ModelParallelTable
(modules/ModelParallelTable.lua) and the modules' unit checks (modules/test.lua), ported in
tests/porting/multipathnet/ (the rest of the repository's port is run by test_multipathnet.py).

ModelParallelTable is CUDA only, as the Lua (its ``type`` refuses any other type and its copies assert
CudaTensors): its CPU tests check that refusal; the model and the towers run on CuPy's host simulator
(``LEGONN_GPU_SIM=1``), which has one device, so every tower sits on device 0 (``opt.train_nGPU`` 1: the Lua's
round robin over one GPU, and makeDataParallel's plain Sequential); several GPUs are not tried here.
"""
import os
import re

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .multipathnet import synthetic
from .multipathnet.modules.ModelParallelTable import ModelParallelTable, queryGPUDeviceId
from .test_multipathnet import workdir  # noqa: F401  (the run directory fixture)


def _needs_gpu():
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')


# --- ModelParallelTable on the CPU: refused, as the Lua's --------------------------------------------------------

def test_model_parallel_table_is_cuda_only():
    with pytest.raises(RuntimeError, match='must specify a dimension!'):
        ModelParallelTable()
    mpt = ModelParallelTable(1)
    # Module.lua's float() is type('torch.FloatTensor'), which ModelParallelTable.lua:353-360 refuses
    with pytest.raises(RuntimeError, match=r'only supports CudaTensor, not legonn.FloatTensor'):
        mpt.float()
    with pytest.raises(RuntimeError, match='clone not supported'):
        mpt.clone()
    # a table of host tensors names no GPU
    assert queryGPUDeviceId([lg.Tensor(2), [lg.Tensor(3)]]) is None


# --- ModelParallelTable on a GPU ---------------------------------------------------------------------------------

@pytest.mark.gpu
def test_model_parallel_table_concatenates_towers_and_sums_their_gradients():
    """Two towers over a table input: the outputs side by side along ``dimension`` (1), the gradient split
    along it, the towers' gradInputs summed; each tower's parameters get its own slice's gradient."""
    _needs_gpu()
    lg.manualSeed(2)
    towers = [nn.Sequential().add(nn.CAddTable()).add(nn.Linear(3, 2)) for _ in range(2)]
    mpt = ModelParallelTable(1)
    for t in towers:
        mpt.add(t.cuda(), 0)
    assert lg.tostring(mpt).startswith('ModelParallelTable: 2 x nn.Sequential')
    x = [lg.randn(4, 3).cuda(), lg.randn(4, 3).cuda()]
    out = mpt.forward(x)
    xs = x[0].double().numpy() + x[1].double().numpy()
    want = [xs @ t.get(1).weight.double().numpy().T + t.get(1).bias.double().numpy() for t in towers]
    np.testing.assert_allclose(out.double().numpy(), np.concatenate(want, 1), rtol=1e-5, atol=1e-6)
    mpt.zeroGradParameters()
    g = lg.randn(4, 4).cuda()
    gi = mpt.backward(x, g)
    gn = g.double().numpy()
    wsum = sum(gn[:, 2 * i:2 * i + 2] @ t.get(1).weight.double().numpy() for i, t in enumerate(towers))
    for k in range(2):
        assert gi[k].type() == 'torch.CudaTensor'
        np.testing.assert_allclose(gi[k].double().numpy(), wsum, rtol=1e-5, atol=1e-5)
    for i, t in enumerate(towers):
        np.testing.assert_allclose(t.get(1).gradWeight.double().numpy(), gn[:, 2 * i:2 * i + 2].T @ xs,
                                   rtol=1e-5, atol=1e-5)
    # a tower left on the host is refused: its parameters have no getDevice (a Lua error in Torch7 too)
    with pytest.raises(TypeError, match='only a CUDA tensor has a device'):
        ModelParallelTable(1).add(nn.Linear(2, 2), 0)


# --- models/multipathnet.lua ---------------------------------------------------------------------------------

def _build(opt):
    from .multipathnet.models import multipathnet
    os.makedirs('data/models', exist_ok=True)
    lg.manualSeed(4)
    lg.save('data/models/imagenet_pretrained_vgg.t7', synthetic.vgg_conv345_standin())
    return multipathnet.build(opt)


@pytest.mark.gpu
def test_multipathnet_towers_in_a_model_parallel_table(workdir):  # noqa: F811
    """The model the file builds (its own testModel forward and backward included): five towers (four foveal
    regions and the het one) on device 0, whose outputs, 4096 each, the ConcatTable of Narrows splits into the
    four regions' (to the class scores) and the het tower's (to the boxes); each tower equals its own forward on
    the features and its region's boxes. setPhase2 (bound to the model, as train.lua calls ``model:setPhase2()``)
    unwraps the NoBackprop and freezes the first 10 layers instead."""
    _needs_gpu()
    opt = {'num_classes': 21, 'images_per_batch': 1, 'train_nGPU': 1}
    model, transformer = _build(opt)
    regions = model.get(2)
    assert lg.typename(regions) == 'nn.ModelParallelTable' and regions.gpuAssignments == [0] * 5
    model.evaluate()
    images = lg.randn(2, 3, 64, 80).cuda()
    rois = lg.Tensor([[0, 4, 4, 40, 30], [1, 10, 8, 60, 50], [0, 20, 20, 30, 30]]).cuda()
    scores, boxes = model.forward([images, rois])
    assert tuple(scores.size()) == (3, 21) and tuple(boxes.size()) == (3, 84)
    tower_input = model.get(1).output
    assert tuple(tower_input[1].size()) == (4, 3, 5)
    joined = regions.output
    assert tuple(joined.size()) == (3, 5 * 4096)
    for k, (i, region) in enumerate(zip([0, 1, 2, 3, 1], regions.modules)):
        assert region.get(0).get(1).index == i   # the region its nn.Select picks
        alone = region.forward(tower_input).clone()
        np.testing.assert_allclose(joined.narrow(1, k * 4096, 4096).float().numpy(), alone.float().numpy(),
                                   rtol=1e-5, atol=1e-5)
    linear = model.get(4).get(0)
    expected = (joined.narrow(1, 0, 4 * 4096).float().numpy() @ linear.weight.float().numpy().T
                + linear.bias.float().numpy())
    np.testing.assert_allclose(scores.float().numpy(), expected, rtol=1e-4, atol=1e-4)

    assert model.phase == 1
    model.setPhase2()
    assert model.phase is None
    features = model.get(0).get(0)
    assert lg.typename(features) == 'nn.Sequential'   # the NoBackprop is gone
    assert lg.typename(features.get(0).get(0)) == 'nn.NoBackprop'   # the first 10 layers frozen inside


@pytest.mark.gpu
def test_multipathnet_trains_and_its_checkpoint_fails_as_in_torch7(workdir):  # noqa: F811
    """Four SGD steps on one batch with train.lua's criterion (CrossEntropy + BBoxRegression, a
    ParallelCriterion) lower its loss: the gradient reaches the towers through the ModelParallelTable and the
    class/box linears. train.lua's save, utils.checkpoint's ``deepCopy(net):float()``, reaches
    ModelParallelTable:type('torch.FloatTensor'), which refuses any type but CudaTensor: Torch7 raises there
    too, so train.lua never saves this model (the repository's own bug, kept)."""
    _needs_gpu()
    from .multipathnet import utils
    from .multipathnet.modules.BBoxRegressionCriterion import BBoxRegressionCriterion
    model, _ = _build({'num_classes': 21, 'images_per_batch': 1, 'train_nGPU': 1})
    model.training()
    lg.manualSeed(6)
    images = lg.randn(1, 3, 64, 64).cuda()
    rois = lg.Tensor([[0, 4, 4, 40, 30], [0, 10, 8, 60, 50], [0, 20, 20, 30, 30], [0, 0, 0, 63, 63]]).cuda()
    labels = lg.Tensor([1, 2, 0, 3]).cuda()
    bbox_targets = lg.Tensor(4, 84).zero().cuda()
    bbox_targets.narrow(1, 4, 4).fill(0.1)
    target = [labels, [labels, bbox_targets]]
    criterion = (nn.ParallelCriterion()
                 .add(nn.CrossEntropyCriterion(), 1)
                 .add(BBoxRegressionCriterion(), 1)).cuda()
    params, grads = model.parameters()
    for t in model.findModules('nn.Dropout')[0]:
        t.p = 0   # the same function at every step
    losses = []
    for _ in range(4):
        model.zeroGradParameters()
        output = model.forward([images, rois])
        losses.append(criterion.forward(output, target))
        model.backward([images, rois], criterion.backward(output, target))
        for p, g in zip(params, grads):
            p.add(-0.001, g)
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    with pytest.raises(RuntimeError, match=r'ModelParallelTable only supports CudaTensor, not legonn.FloatTensor'):
        utils.checkpoint(model)


# --- modules/test.lua ----------------------------------------------------------------------------------------

def test_modules_test_lua_criterion_gradient():
    """modules/test.lua's BBoxRegressionCriterion check, under Torch7's default tensor type (double: its
    central differences of step 1e-6 need it)."""
    from .multipathnet.modules import test
    lg.manualSeed(3)
    default = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        assert test.run(['BBoxRegressionCriterion']) == 0   # raises after its report on a failure
    finally:
        lg.setdefaulttensortype(default)
    assert test.mytester.assertionPass['BBoxRegressionCriterion'] == 1


@pytest.mark.gpu
def test_modules_test_lua_sequential_split_batch():
    """modules/test.lua's SequentialSplitBatch checks on CUDA: in chunks of 25 equals one pass, over
    inn.ROIPooling (40 rois) exactly. Over a Linear the Lua asserts exact equality too; NumPy's matrix product
    (the simulator's, the CPU's) rounds a 40-row product and its 25- and 15-row chunks differently in the last
    bits, so there the difference is only required to be that small."""
    _needs_gpu()
    from .multipathnet.modules import test
    lg.manualSeed(3)
    assert test.run(['SequentialSplitBatch_ROIPooling']) == 0
    assert test.mytester.assertionPass == {'SequentialSplitBatch_ROIPooling': 1}
    try:
        test.run(['SequentialSplitBatch_Tensor'])
    except AssertionError:
        assert len(test.mytester.errors) == 1
        m = re.search(r'EQ failed: (\S+) ~= 0', test.mytester.errors[0])
        assert m and float(m.group(1)) < 1e-6, test.mytester.errors[0]
