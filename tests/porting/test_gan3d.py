"""zck119/3dgan-release's main.lua (tests/porting/gan3d/main.py) run on a small generator written here.

The repository's generators are downloaded .t7 files (models_cpu/<class>_G_cpu.t7); the stand-in is the 3D-GAN
generator of the paper (VolumetricFullConvolution nz -> 4^3, then four stride-2 layers to 64^3, batch
normalisation and ReLU between, a Sigmoid at the end) with tiny widths, saved in Torch7's own format with
``lg.save_lua`` so that main.lua's ``torch.load`` reads a Torch7 file as the Lua does. The .mat files go through
a stand-in ``mat`` (legonn has no MAT-file reader, see tests/porting/gan3d/__init__.py)."""
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting.gan3d.main import main

NZ = 6


class Mat:
    """The ``mat`` module's load/save (a table of named tensors), kept in legonn's files."""

    def load(self, path):
        return lg.load(path)

    def save(self, path, table):
        lg.save(path, table)


def generator(nz, widths=(8, 4, 4, 2)):
    lg.manualSeed(1)
    netG = nn.Sequential()
    netG.add(nn.VolumetricFullConvolution(nz, widths[0], 4, 4, 4))
    netG.add(nn.VolumetricBatchNormalization(widths[0])).add(nn.ReLU(True))
    nin = widths[0]
    for nout in widths[1:] + (1,):
        netG.add(nn.VolumetricFullConvolution(nin, nout, 4, 4, 4, 2, 2, 2, 1, 1, 1))
        if nout > 1:
            netG.add(nn.VolumetricBatchNormalization(nout)).add(nn.ReLU(True))
        nin = nout
    netG.add(nn.Sigmoid())
    # trained statistics, so that evaluate() differs from training()
    for m in netG.findModules('nn.VolumetricBatchNormalization')[0]:
        m.running_mean.uniform(-0.1, 0.1)
        m.running_var.uniform(0.5, 1.5)
    return netG


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs('models_cpu')
    os.makedirs('demo_inputs')
    netG = generator(NZ)
    for class_ in ('chair', 'desk'):
        lg.save_lua(f'models_cpu/{class_}_G_cpu.t7', netG)
    lg.manualSeed(2)
    demo = lg.rand(5, NZ).mul(2).add(-1)
    Mat().save('demo_inputs/chair.mat', {'inputs': demo})
    return tmp_path, netG, demo


def expected(netG, inputs):
    """Each latent vector forwarded alone through the net with its biases zeroed, in evaluation mode."""
    net = netG.clone().double()
    for m in net.findModules('nn.VolumetricFullConvolution')[0]:
        m.bias.zero()
    net.evaluate()
    return np.concatenate([net.forward(inputs[i:i + 1].double().view(1, NZ, 1, 1, 1)).numpy()
                           for i in range(inputs.size(0))])


def test_demo_inputs_are_forwarded_in_batches(workdir, capsys):
    tmp_path, netG, demo = workdir
    main(Mat(), ['-class', 'chair', '-bs', '2'])     # 5 shapes in batches of 2: the last batch is part-filled
    assert '==> Running with class: chair' in capsys.readouterr().out
    out = Mat().load('output/chair_demo.mat')
    voxels = out['voxels']
    assert lg.type(voxels) == 'torch.DoubleTensor' and voxels.size().tolist() == [5, 1, 64, 64, 64]
    assert out['inputs'].size().tolist() == [5, NZ, 1, 1, 1]
    np.testing.assert_allclose(voxels.numpy(), expected(netG, demo), rtol=1e-4, atol=5e-5)
    assert 0 < voxels.min() and voxels.max() < 1


def test_sample_mode_for_all_classes_with_a_model(workdir):
    tmp_path, netG, _ = workdir
    os.remove('models_cpu/chair_G_cpu.t7')
    with pytest.raises(FileNotFoundError):       # 'all' runs car first, whose model is missing
        main(Mat(), ['-class', 'all', '-sample', '-ss', '3'])
    lg.manualSeed(3)
    main(Mat(), ['-class', 'desk', '-sample', '-ss', '3', '-bs', '4'])
    out = Mat().load('output/desk_sample.mat')
    inputs = out['inputs']
    assert inputs.size().tolist() == [3, NZ, 1, 1, 1] and 0 <= inputs.min() and inputs.max() < 1
    np.testing.assert_allclose(out['voxels'].numpy(), expected(netG, inputs.view(3, NZ)), rtol=1e-4, atol=5e-5)


def test_invalid_class_is_refused(workdir):
    with pytest.raises(AssertionError, match='Invalid class name: lamp'):
        main(Mat(), ['-class', 'lamp'])


@pytest.mark.gpu
def test_gpu_branch_converts_to_cudnn(workdir):
    tmp_path, netG, demo = workdir
    os.makedirs('models_gpu')
    lg.save('models_gpu/chair_G_gpu.t7', netG.clone().cuda())
    main(Mat(), ['-class', 'chair', '-gpu', '1', '-bs', '3'])
    voxels = Mat().load('output/chair_demo.mat')['voxels']
    np.testing.assert_allclose(voxels.numpy(), expected(netG, demo), rtol=1e-4, atol=1e-5)
