"""NVIDIA/DIGITS's Torch7 examples (ported in tests/porting/digits_models.py) trained the way main.lua trains a
network file, with the ported Optimizer and LRPolicy (tests/porting/digits_tools.py): examples/siamese (MNIST
pairs from examples/data/mnist_5k.npz), examples/binary-segmentation (generated squares and their masks) and
examples/text-classification (generated character indices)."""
import numpy as np
import pytest

import legonn as lg
from legonn import optim
from tests.porting import digits_models as dm
from tests.porting import digits_tools as dt
from tests.porting.test_digits import mnist


def test_siamese_shares_weights_hooks_labels_and_trains(tmp_path):
    """mnist_siamese.lua: 3-channel pairs (channel 0 ignored, 1 and 2 the two digits), the clone shares its
    weights and gradients with the left branch, the label hook maps 0 to -1 for CosineEmbeddingCriterion(0.8),
    and SGD brings the loss down."""
    network = dm.mnist_siamese({'ngpus': 0, 'inputShape': lg.LongTensor([3, 28, 28])})
    model, crit, hook = network['model'], network['loss'], network['labelHook']
    a, ya = mnist(64, seed=1)
    b, yb = mnist(64, seed=2)
    x = lg.cat([lg.zeros(64, 1, 28, 28), a, b], 1)
    same = lg.from_numpy((ya.numpy() == yb.numpy()).astype(np.float32))
    labels = hook(x, same.clone())
    np.testing.assert_array_equal(labels.numpy(), np.where(same.numpy() == 1, 1, -1))
    left, right = model.get(1).get(0), model.get(1).get(1)
    assert left.get(2).weight.storage() is right.get(2).weight.storage() or \
        np.shares_memory(left.get(2).weight.numpy(), right.get(2).weight.numpy())
    out = model.forward(x.narrow(0, 0, 2))
    assert [o.size() for o in out] == [(2, 2), (2, 2)]
    np.testing.assert_allclose(out[0].numpy(), left.forward(a.narrow(0, 0, 2)).view(2, 2).numpy(), rtol=1e-5)
    optimizer = dt.Optimizer(Model=model, Loss=crit, OptFunction=optim.sgd,
                             OptState={'learningRate': 0.01, 'momentum': 0.9},
                             lrPolicy=dt.LRPolicy(policy='torch_sgd', baselr=0.01), LabelFunction=hook)
    losses = []
    for epoch in range(2):
        for s in range(0, 64, 8):
            losses.append(optimizer.optimize(x.narrow(0, s, 8), same.narrow(0, s, 8).clone())[3][0])
    assert np.mean(losses[-8:]) < np.mean(losses[:8])
    np.testing.assert_array_equal(left.get(7).weight.numpy(), right.get(7).weight.numpy())


def test_segmentation_model_learns_masks(tmp_path):
    """segmentation-model.lua on 32 x 32 images of a bright square whose mask is the target: a 1 x H x W output
    (the 16 x 16 'fully connected' convolution and its full convolution), SmoothL1 falling with SGD."""
    rng = np.random.RandomState(0)
    xs = np.zeros((8, 1, 32, 32), np.float32)
    for i in range(8):
        r, c = rng.randint(0, 20, 2)
        xs[i, 0, r:r + 12, c:c + 12] = 1
    x = lg.from_numpy(xs)
    network = dm.segmentation_model({'ngpus': 0, 'inputShape': lg.LongTensor([1, 32, 32])})
    model, crit = network['model'], network['loss']
    assert model.forward(x).size() == (8, 1, 32, 32)
    optimizer = dt.Optimizer(Model=model, Loss=crit, OptFunction=optim.adam, OptState={'learningRate': 1e-3},
                             lrPolicy=dt.LRPolicy(policy='fixed', baselr=1e-3, max_iter=20),
                             LabelFunction=lambda i, l: l)
    losses = [optimizer.optimize(x, x)[3][0] for _ in range(12)]
    assert losses[-1] < losses[0] * 0.5


def test_text_classification_one_hot_and_shapes():
    """text-classification-model.lua: a 1 x 1024 x 1 sample of character indices (0 .. 70 here, 1 .. 71 in
    Lua) read by OneHot(71), the temporal stack to 34 x 256 = 8704, 14 classes; getParameters' normal init;
    a few SGD steps on two samples lower their loss."""
    network = dm.text_classification_model({'ngpus': 0, 'inputShape': lg.LongTensor([1, 1024, 1])})
    model = network['model']
    w = model.getParameters()[0].numpy()
    assert abs(w.std() - 5e-2) < 2e-3
    x = lg.from_numpy(np.random.RandomState(0).randint(0, 71, (2, 1, 1024, 1)).astype(np.float32))
    y = lg.Tensor([3, 11])
    model.evaluate()
    out = model.forward(x)
    assert out.size() == (2, 14)
    onehot = model.get(1).output
    assert onehot.size() == (2, 1024, 71)
    np.testing.assert_array_equal(onehot.numpy().argmax(2), x.numpy().reshape(2, 1024))
    assert model.get(17).output.size() == (2, 8704)
    optimizer = dt.Optimizer(Model=model, Loss=network['loss'], OptFunction=optim.sgd,
                             OptState={'learningRate': 1e-3}, lrPolicy=dt.LRPolicy(policy='torch_sgd', baselr=1e-3),
                             LabelFunction=lambda i, l: l)
    losses = [optimizer.optimize(x, y)[3][0] for _ in range(2)]
    assert losses[-1] < losses[0]


@pytest.mark.gpu
def test_segmentation_model_on_cudnn_matches_nn(monkeypatch):
    """With CUDA the segmentation model takes cuDNN's SpatialConvolution, ReLU and SpatialFullConvolution; with
    the nn model's parameters copied in, its output and input gradient on CUDA are the nn model's on the host."""
    params = {'ngpus': 1, 'inputShape': lg.LongTensor([1, 32, 32])}
    gpu = dm.segmentation_model(params)['model']
    assert lg.typename(gpu.get(4)) == 'cudnn.SpatialFullConvolution'
    monkeypatch.setattr(dm, '_have', lambda name: False)
    cpu = dm.segmentation_model(params)['model']
    assert lg.typename(cpu.get(4)) == 'nn.SpatialFullConvolution'
    gpu.cuda()
    gpu.getParameters()[0].copy(cpu.getParameters()[0])
    x = lg.rand(2, 1, 32, 32)
    go = lg.randn(2, 1, 32, 32)
    np.testing.assert_allclose(gpu.forward(x.cuda()).float().numpy(), cpu.forward(x).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gpu.backward(x.cuda(), go.cuda()).float().numpy(), cpu.backward(x, go).numpy(),
                               rtol=1e-4, atol=1e-5)
