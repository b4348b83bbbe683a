"""The multi-GPU lines of fb.resnet.torch (models/init.lua, train.lua, checkpoints.lua) and imagenet-multiGPU.torch
(util.lua's makeDataParallel, saveDataParallel, loadDataParallel, in tests/porting/imagenet_multigpu/util.py) ported
line for line onto cunn's nn.DataParallelTable. legonn drives one device, so the GPU ids only count the replicas: the
lines that pick a device per replica (``cutorch.setDevice(i)``, ``assert(nGPU <= cutorch.getDeviceCount())``) are the
ones a one-device port drops, as docs/porting.md says."""
import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn, optim

from .imagenet_multigpu import util
from .imagenet_multigpu.util import loadDataParallel, makeDataParallel, saveDataParallel


def resnetish():
    return nn.Sequential().add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(4)) \
        .add(nn.ReLU(True)).add(nn.Mean(2)).add(nn.Mean(2)).add(nn.Linear(4, 3))


def fb_resnet_setup(model, opt):
    """models/init.lua, M.setup's last lines."""
    # First remove any DataParallelTable
    if lg.typename(model) == 'nn.DataParallelTable':
        model = model.get(0)
    # Wrap the model with DataParallelTable, if using more than one GPU
    if opt['nGPU'] > 1:
        gpus = lg.range(0, opt['nGPU'] - 1).totable()
        fastest, benchmark = cudnn.fastest, cudnn.benchmark

        def init():
            from legonn import cudnn
            cudnn.fastest, cudnn.benchmark = fastest, benchmark
        dpt = nn.DataParallelTable(0, True, True).add(model, gpus).threads(init)
        dpt.gradInput = None
        model = dpt.type(opt['tensorType'])
    criterion = nn.CrossEntropyCriterion().type(opt['tensorType'])
    return model, criterion


def fb_resnet_train(model, criterion, batches):
    """train.lua's Trainer:__init and the body of Trainer:train's loop; returns the losses."""
    params, gradParams = model.getParameters()
    optimState = {'learningRate': 0.1, 'learningRateDecay': 0.0, 'momentum': 0.9, 'nesterov': True,
                  'dampening': 0.0, 'weightDecay': 1e-4}

    def feval(_):
        return criterion.output, gradParams
    model.training()
    losses = []
    for input, target in batches:
        model.forward(input).float()
        loss = criterion.forward(model.output, target)
        model.zeroGradParameters()
        criterion.backward(model.output, target)
        model.backward(input, criterion.gradInput)
        optim.sgd(feval, params, optimState)
        # check that the storage didn't get changed due to an unfortunate getParameters call
        assert params.storage() is model.parameters()[0][0].storage()
        losses.append(loss)
    return losses


def batches(tensor_type, n=4):
    lg.manualSeed(0)
    return [(lg.randn(5, 3, 4, 4).type(tensor_type), lg.LongTensor(5).random(0, 2).type(
        'torch.CudaLongTensor' if 'Cuda' in tensor_type else 'torch.LongTensor')) for _ in range(n)]


@pytest.mark.parametrize('tensorType', ['torch.DoubleTensor', pytest.param('torch.CudaTensor',
                                                                            marks=pytest.mark.gpu)])
def test_fb_resnet_data_parallel(tensorType, tmp_path):
    """On 2 'GPUs' the model trains (a 5-row batch split 3 + 2, each SpatialBatchNormalization on its chunk),
    backward makes no gradInput (``dpt.gradInput = nil``), getParameters' storage stays the module's, and
    checkpoints.lua saves ``model:get(1)`` (0 here), which loads as the bare model."""
    lg.manualSeed(1)
    model, criterion = fb_resnet_setup(resnetish(), {'nGPU': 2, 'tensorType': tensorType})
    assert lg.typename(model) == 'nn.DataParallelTable' and model.type() == tensorType.replace('torch.', 'legonn.')
    data = batches(tensorType)
    losses = fb_resnet_train(model, criterion, data * 3)
    assert model.gradInput is None and losses[-1] < losses[0]
    # checkpoints.lua: don't save the DataParallelTable for easier loading on other machines
    saved = model
    if lg.typename(saved) == 'nn.DataParallelTable':
        saved = saved.get(0)
    lg.save(str(tmp_path / 'model.lg'), saved.clone().float().clearState())
    resumed, _ = fb_resnet_setup(lg.load(str(tmp_path / 'model.lg')).type(tensorType),
                                 {'nGPU': 1, 'tensorType': tensorType})
    assert lg.typename(resumed) == 'nn.Sequential'


def test_fb_resnet_numbers_match_one_gpu_without_batch_norm():
    """Without batch statistics the split changes nothing: 3 'GPUs' train exactly as 1 (the summed chunk
    gradients are the batch's)."""
    def net():
        lg.manualSeed(2)
        return nn.Sequential().add(nn.SpatialConvolution(3, 4, 3, 3)).add(nn.ReLU(True)).add(nn.View(-1)
                                                                                              .setNumInputDims(3)) \
            .add(nn.Linear(16, 3))
    one, crit1 = fb_resnet_setup(net().double(), {'nGPU': 1, 'tensorType': 'torch.DoubleTensor'})
    three, crit3 = fb_resnet_setup(net(), {'nGPU': 3, 'tensorType': 'torch.DoubleTensor'})
    data = batches('torch.DoubleTensor')
    np.testing.assert_allclose(fb_resnet_train(three, crit3, data), fb_resnet_train(one, crit1, data), rtol=1e-10)
    np.testing.assert_allclose(three.getParameters()[0].numpy(), one.getParameters()[0].numpy(), rtol=1e-10)


@pytest.mark.gpu
@pytest.mark.parametrize('autotune', [1, 0])
def test_imagenet_multigpu_make_save_load(autotune, tmp_path, monkeypatch):
    """models/alexnet.lua's shape: ``features = makeDataParallel(features, nGPU)`` inside a Sequential with the
    classifier; both branches of makeDataParallel (one table of GPU ids, or one add per GPU, of which cunn keeps
    the first module), then saveDataParallel / loadDataParallel keep the numbers."""
    monkeypatch.setitem(util.opt, 'cudnnAutotune', autotune)
    lg.manualSeed(3)
    features = nn.Sequential().add(nn.SpatialConvolution(3, 4, 3, 3)).add(nn.ReLU(True)) \
        .add(nn.View(16).setNumInputDims(3))
    features = makeDataParallel(features, 4)
    model = nn.Sequential().add(features).add(nn.Linear(16, 3).cuda()).cuda()
    assert lg.typename(model.get(0)) == 'nn.DataParallelTable' and model.get(0).gpuAssignments == [0, 1, 2, 3]
    x = lg.randn(6, 3, 4, 4).cuda()
    out = model.forward(x).float().clone()
    bare = nn.Sequential().add(model.get(0).get(0).clone()).add(model.get(1).clone())
    np.testing.assert_allclose(out.numpy(), bare.forward(x).float().numpy(), rtol=1e-5, atol=1e-6)
    saveDataParallel(str(tmp_path / 'model.lg'), model)
    back = loadDataParallel(str(tmp_path / 'model.lg'), 4).cuda()
    np.testing.assert_allclose(back.forward(x).float().numpy(), out.numpy(), rtol=1e-5, atol=1e-6)
