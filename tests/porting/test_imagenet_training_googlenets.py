"""eladhoffer/ImageNet-Training's GoogLeNet files (ported in tests/porting/imagenet_training_models.py):
GoogLeNet_BN.lua, GoogLeNet_BN_Original.lua, GoogLeNet_CUDNN3.lua and GoogLeNet_Full.lua (an nngraph gModule of the
main classifier and two auxiliary ones, trained with a ParallelCriterion that adds one ClassNLLCriterion three
times, weights 1, 0.3, 0.3) and GoogLeNet_Model.lua (the 2014 net in DepthConcat blocks, its flat weights copied in).
Each runs forward and backward on 224 x 224 images, the sizes of the files' comments checked."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import imagenet_training_models as models
from tests.porting.imagenet_training_models import forward_backward


def _inception_sizes(model):
    """(planes, height) after each Concat of a module, in order."""
    return [(m.output.size(1), m.output.size(2)) for m in model.listModules() if lg.typename(m) == 'nn.Concat'
            and m.output.dim() == 4 and m.output.size(1) >= 256]


def test_googlenet_bn_block_sizes_match_the_comments():
    model = models.GoogLeNet_BN()
    x, y, gradInput = forward_backward(model, batch=1)
    assert y.size() == (1, 1000)
    np.testing.assert_allclose(np.exp(y.numpy()).sum(), 1, rtol=1e-4)
    assert model.get(2).output.size() == (1, 64, 56, 56) and model.get(6).output.size() == (1, 192, 28, 28)
    assert _inception_sizes(model) == [(256, 28), (320, 28), (576, 14), (576, 14), (576, 14), (576, 14), (576, 14),
                                       (1024, 7), (1024, 7), (1024, 7)]
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0


def _graph_and_separate_losses(r, batch=2):
    """The file's model and loss on a batch; returns the ParallelCriterion's loss and gradients with those of three
    separate ClassNLLCriterions weighted by hand."""
    model, loss = r['model'], r['loss']
    lg.manualSeed(2)
    x = lg.randn(batch, 3, 224, 224)
    target = lg.Tensor([7, 420])
    model.evaluate()          # Dropout off: the three outputs are fixed functions of x
    out = model.forward(x)
    err = loss.forward(out, target)
    grads = [g.clone() for g in loss.backward(out, target)]
    separate = [nn.ClassNLLCriterion() for _ in range(3)]
    want = sum(w * c.forward(o, target) for w, c, o in zip([1, 0.3, 0.3], separate, out))
    want_grads = [c.backward(o, target).clone().mul(w) for w, c, o in zip([1, 0.3, 0.3], separate, out)]
    return model, x, out, err, grads, want, want_grads


@pytest.mark.parametrize('name', ['GoogLeNet_BN_Original', 'GoogLeNet_Full'])
def test_graph_googlenets_three_heads_and_shared_criterion(name):
    r = getattr(models, name)()
    model, x, out, err, grads, want, want_grads = _graph_and_separate_losses(r)
    assert [o.size() for o in out] == [(2, 1000)] * 3
    for o in out:
        np.testing.assert_allclose(np.exp(o.numpy()).sum(1), 1, rtol=1e-4)
    assert err == pytest.approx(want, rel=1e-6)
    for g, w in zip(grads, want_grads):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-9)
    model.training()
    model.forward(x)
    gradInput = model.backward(x, r['loss'].backward(model.output, lg.Tensor([7, 420])))
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0
    # the auxiliary heads are clones: their own weights, which both receive gradients
    aux = [m for m in model.listModules() if lg.typename(m) == 'nn.Linear' and m.weight.size(0) == 768]
    assert len(aux) == 2 and aux[0].weight is not aux[1].weight
    assert all(np.abs(a.gradWeight.numpy()).sum() > 0 for a in aux)


def test_googlenet_cudnn3_modes_fastest_and_regime():
    r = models.GoogLeNet_CUDNN3()
    convs = r['model'].findModules('cudnn.SpatialConvolution')[0]
    assert len(convs) > 50
    # ConvMode's first entry is nil: setMode leaves fmode unset (a field never set, as in the Lua)
    assert all(not hasattr(c, 'fmode') and c.bdmode == 'CUDNN_CONVOLUTION_BWD_DATA_ALGO_0'
               and c.bwmode == 'CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0' and c.fastest_mode for c in convs)
    assert r['regime']['learningRate'] == [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]
    dropouts = r['model'].findModules('nn.Dropout')[0]
    assert sorted(d.p for d in dropouts) == [0.7, 0.7, 0.7]


def _googlenet_2014_parameters():
    """GoogLeNet_Model.lua's Net counted by hand from its numbers: the three stem convolutions, each Inception's
    six convolutions (1x1; 1x1 then 3x3; 1x1 then 5x5; the pool projection) and the classifier."""
    def conv(i, o, k):
        return i * o * k * k + o

    def inception(nIn, n1, n3r, n3, n5r, n5, npool):
        return (conv(nIn, n1, 1) + conv(nIn, n3r, 1) + conv(n3r, n3, 3) + conv(nIn, n5r, 1) + conv(n5r, n5, 5)
                + conv(nIn, npool, 1))

    blocks = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), (480, 192, 96, 208, 16, 48, 64),
              (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
              (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
              (832, 384, 192, 384, 48, 128, 128)]
    return conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3) + sum(inception(*b) for b in blocks) + 1024 * 1000 + 1000


def test_googlenet_model_depthconcat_and_flat_weights(tmp_path, monkeypatch):
    """GoogLeNet_Model.lua: the weights come from the file 'Weights' (a flat vector, written here with lg.save);
    the pooling branch of each block (3x3 max pooling, stride 1, no padding) is 2 smaller than the others, and
    DepthConcat centres it in zeros; the auxiliary classifiers run on SubNet1's and SubNet2's outputs."""
    n = _googlenet_2014_parameters()
    lg.manualSeed(4)
    monkeypatch.chdir(tmp_path)
    lg.save('Weights', lg.rand(n).add(-0.5).mul(0.02))
    r = models.GoogLeNet_Model(lg.load, {'type': 'float', 'net': 'new'})
    Net = r['Net']
    assert r['Weights'].nElement() == n
    np.testing.assert_array_equal(r['Weights'].numpy(), lg.load('Weights').numpy())
    x, y, gradInput = forward_backward(Net, batch=1)
    assert y.size() == (1, 1000)
    np.testing.assert_allclose(np.exp(y.numpy()).sum(), 1, rtol=1e-4)
    assert gradInput.size() == x.size() and np.abs(gradInput.numpy()).sum() > 0
    subnet1 = Net.get(0).get(0)
    assert subnet1.output.size() == (1, 512, 14, 14)
    block = subnet1.get(9)                           # Inception(192, 64, 96, 128, 16, 32, 32) on 28 x 28
    assert lg.typename(block) == 'nn.DepthConcat' and block.output.size() == (1, 256, 28, 28)
    pool_branch = block.get(3).output                # 26 x 26, placed at offset 1 in the 28 x 28 planes
    assert pool_branch.size() == (1, 32, 26, 26)
    out = block.output.numpy()[:, 224:]
    np.testing.assert_array_equal(out[:, :, 1:27, 1:27], pool_branch.numpy())
    assert not out[:, :, 0, :].any() and not out[:, :, :, 27].any()
    r['Classifier0'].evaluate()
    assert r['Classifier0'].forward(x).size() == (1, 1000)


@pytest.mark.gpu
def test_googlenet_bn_original_on_cuda_matches_the_cpu():
    """Main.lua's ``model:cuda()`` and ``loss = loss:cuda()`` for a file that returns a model and a loss: the graph
    net and its ParallelCriterion on CudaTensors give the CPU's numbers (float32 sums in another order)."""
    r = models.GoogLeNet_BN_Original()
    model, loss = r['model'], r['loss']
    model.evaluate()
    lg.manualSeed(8)
    x = lg.randn(1, 3, 224, 224)
    target = lg.Tensor([17])
    out = [o.clone() for o in model.forward(x)]
    err = loss.forward(out, target)
    gradInput = model.backward(x, loss.backward(out, target)).clone()
    model.cuda()
    loss = loss.cuda()
    out_gpu = model.forward(x.cuda())
    assert all(o.type() == 'torch.CudaTensor' for o in out_gpu)
    assert loss.forward(out_gpu, target.cuda()) == pytest.approx(err, rel=1e-4)
    for o, g in zip(out, out_gpu):
        np.testing.assert_allclose(g.float().numpy(), o.numpy(), rtol=1e-3, atol=1e-4)
    gradInput_gpu = model.backward(x.cuda(), loss.backward(out_gpu, target.cuda()))
    np.testing.assert_allclose(gradInput_gpu.float().numpy(), gradInput.numpy(), rtol=1e-3, atol=1e-5)
