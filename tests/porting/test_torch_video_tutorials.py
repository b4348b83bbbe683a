"""Atcold/torch-Video-Tutorials ported line by line: every script of res/ that runs torch/nn/optim/nngraph code.
res/2.2/script.lua (the recording script of lesson 2.2: a Linear and a Sigmoid by hand against nn's forward,
backward and updateParameters, the per-sample and mini-batch loops, nn.StochasticGradient over a table dataset),
res/3.0/lin.lua, 3conv.lua, 3conv-pool.lua (the three 256 x 256 classifiers), res/3.1/script.lua (3conv-pool's
layer sizes), res/3.2/LeNet5.lua (AlexNet.lua and GoogLeNet.lua are test_torch_video_tutorials_models.py),
res/3.3/train.lua (the full-batch optim.sgd loop) and
res/4.2/script.lua (nn vs nngraph, ``gModule:getNode``, the dash notation, the fancy graph and the small RNN).

Left out: the display lines (gnuplot, image.display, graph.dot, ``$ open``), ``require 'pretty-nn'`` (a printer),
res/4.2's last block (``require 'RNN'`` is e-lab/torch7-demos' RNN-train-sample, another repository), and the
quiz/slides. 2.2's script is a recording, not runnable as it stands: it reads ``z_1`` (never set; ``z2`` is meant)
and ``X``, ``Y``, ``m``, ``criterion``, ``learningRate``, ``batchSize`` from the lesson's slides, which the port
defines. ``image.lena()`` is not provided (docs/porting.md): a random 3 x 512 x 512 picture stands in. lin.lua and
3conv.lua are built with their widths as arguments: at the files' sizes lin.lua's first layer alone holds 7.7e10
weights, and 3conv.lua's classifier 3.9e8."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim


# --- res/2.2/script.lua --------------------------------------------------------------------------------------------

def test_lesson_2_2_linear_and_sigmoid_by_hand():
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        lin = nn.Linear(5, 3)
        Theta_1 = lg.cat(lin.bias, lin.weight, 1)    # New Tensor: the 3-vector bias is read as a 3 x 1 column
        assert Theta_1.size() == (3, 6)
        lin.zeroGradParameters()

        sig = nn.Sigmoid()
        z = lg.linspace(-10, 10, 21)
        np.testing.assert_allclose(sig.forward(z).numpy(), 1 / (1 + np.exp(-z.numpy())))
        # Forward pass
        x = lg.randn(5)
        a1 = x
        h_Theta = sig.forward(lin.forward(x)).clone()
        z2 = Theta_1 @ lg.cat(lg.ones(1), x, 0)
        a2 = z2.clone().apply(lambda z: 1 / (1 + math.exp(-z)))      # the script's z_1 is z2
        np.testing.assert_allclose(z2.numpy(), lin.output.numpy())
        np.testing.assert_allclose(a2.numpy(), h_Theta.numpy())

        # Backward pass
        loss = nn.MSECriterion()
        loss.sizeAverage = False
        y = lg.rand(3)
        # forward(input, target)
        E = loss.forward(h_Theta, y)
        assert E == pytest.approx(float((h_Theta - y).pow(2).sum()))

        dE_dh = loss.updateGradInput(h_Theta, y).clone()
        np.testing.assert_allclose(dE_dh.numpy(), (2 * (h_Theta - y)).numpy())

        delta2 = sig.updateGradInput(z2, dE_dh)
        np.testing.assert_allclose(delta2.numpy(), dE_dh.clone().cmul(a2).cmul(1 - a2).numpy())

        lin.accGradParameters(x, delta2)
        outer = delta2.view(-1, 1) @ lg.cat(lg.ones(1), x, 0).view(1, -1)
        np.testing.assert_allclose(lg.cat(lin.gradBias, lin.gradWeight, 1).numpy(), outer.numpy())

        lin_gradInput = lin.updateGradInput(x, delta2)
        np.testing.assert_allclose(lin_gradInput.numpy(), (lin.weight.t() @ delta2).numpy())

        net = nn.Sequential()
        net.add(lin)
        net.add(sig)

        # While true
        pred = net.forward(x)
        np.testing.assert_array_equal(pred.numpy(), h_Theta.numpy())
        err = loss.forward(pred, y)
        assert err == E
        gradCriterion = loss.backward(pred, y)
        np.testing.assert_array_equal(gradCriterion.numpy(), dE_dh.numpy())
        net.zeroGradParameters()
        net.backward(x, gradCriterion)
        np.testing.assert_allclose(lg.cat(net.get(0).gradBias, net.get(0).gradWeight, 1).numpy(), outer.numpy())

        oldWeight = net.get(0).weight.clone()
        oldBias = net.get(0).bias.clone()
        etha = 0.01
        net.updateParameters(etha)
        np.testing.assert_allclose(net.get(0).weight.numpy(), (oldWeight - 0.01 * net.get(0).gradWeight).numpy())
        np.testing.assert_allclose(net.get(0).bias.numpy(), (oldBias - 0.01 * net.get(0).gradBias).numpy())
        assert a1 is x
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')


def _lesson_2_2_data(m=40):
    """X: design matrix; Y: labels / targets (the slides' names): a linear target squashed into (0, 1)."""
    lg.manualSeed(7)
    X = lg.randn(m, 5)
    Y = nn.Sigmoid().forward(X @ lg.Tensor([[1, -2, 0.5], [0.3, 1, -1], [-1, 0, 2], [2, 1, 0], [0, -1, 1]]))
    net = nn.Sequential().add(nn.Linear(5, 3)).add(nn.Sigmoid())
    return X, Y, net, nn.MSECriterion()


def _mean_error(net, criterion, X, Y):
    return sum(criterion.forward(net.forward(X[i]), Y[i]) for i in range(X.size(0))) / X.size(0)


def test_lesson_2_2_training_loops():
    X, Y, net, criterion = _lesson_2_2_data()
    m = X.size(0)
    learningRate = 0.5
    before = _mean_error(net, criterion, X, Y)

    for epoch in range(20):
        for i in range(m):
            pred = net.forward(X[i])
            err = criterion.forward(pred, Y[i])
            gradCriterion = criterion.backward(pred, Y[i])
            net.zeroGradParameters()
            net.backward(X[i], gradCriterion)
            net.updateParameters(learningRate)
    after_online = _mean_error(net, criterion, X, Y)
    assert after_online < before / 2

    # the mini-batch loop: ``for j = 0, batchSize - 2`` accumulates batchSize - 1 samples per update, as written
    X, Y, net, criterion = _lesson_2_2_data()
    batchSize = 5
    seen = []
    for epoch in range(20):
        for i in range(0, m, batchSize):
            net.zeroGradParameters()
            for j in range(0, batchSize - 1):
                if i + j > m - 1:
                    break
                seen.append(i + j)
                pred = net.forward(X[i + j])
                err = criterion.forward(pred, Y[i + j])
                gradCriterion = criterion.backward(pred, Y[i + j])
                net.backward(X[i + j], gradCriterion)
            net.updateParameters(learningRate)
    assert seen[:8] == [0, 1, 2, 3, 5, 6, 7, 8]
    assert _mean_error(net, criterion, X, Y) < before / 2


def test_lesson_2_2_stochastic_gradient_over_a_table_dataset():
    """``dataset = {}; function dataset:size() return m end; dataset[i] = {X[i], Y[i]}``: a Lua table that is both
    an array and an object; in Python, a class with ``size`` and ``__getitem__`` (docs/porting.md's row)."""
    X, Y, net, loss = _lesson_2_2_data()
    m = X.size(0)

    class Dataset(dict):
        def size(self):
            return m

    dataset = Dataset()
    for i in range(m):
        dataset[i] = [X[i], Y[i]]
    before = _mean_error(net, loss, X, Y)
    trainer = nn.StochasticGradient(net, loss)
    trainer.learningRate = 0.5
    trainer.train(dataset)
    assert _mean_error(net, loss, X, Y) < before / 2


# --- res/3.0/*.lua and res/3.1/script.lua --------------------------------------------------------------------------

def lin(n=256 * 256 * 3, K=1000):
    """res/3.0/lin.lua, Huge MLP."""
    net = nn.Sequential()

    # First layer
    net.add(nn.Linear(n, 2 * n))
    net.add(nn.ReLU())
    # Second layer
    net.add(nn.Linear(2 * n, 2 * n))
    net.add(nn.ReLU())
    # Third layer
    net.add(nn.Linear(2 * n, 2 * n))
    net.add(nn.ReLU())
    # Output
    net.add(nn.Linear(2 * n, K))

    return net


def three_conv(K=1000, side=256):
    """res/3.0/3conv.lua, Basic CNN (its classifier reads 6 planes of ``side`` x ``side``: 393216 for 256)."""
    net = nn.Sequential()

    # First layer
    net.add(nn.SpatialConvolution(3, 6, 5, 5, 1, 1, 2, 2))
    net.add(nn.ReLU())
    # Second layer
    net.add(nn.SpatialConvolution(6, 6, 5, 5, 1, 1, 2, 2))
    net.add(nn.ReLU())
    # Third layer
    net.add(nn.SpatialConvolution(6, 6, 5, 5, 1, 1, 2, 2))
    net.add(nn.ReLU())
    # MLP
    net.add(nn.View(-1))

    # Output
    net.add(nn.Linear(6 * side * side, K))

    return net


def three_conv_pool():
    """res/3.0/3conv-pool.lua, CNN with pooling layers."""
    K = 1000
    net = nn.Sequential()

    # First layer
    net.add(nn.SpatialConvolution(3, 6, 5, 5, 2, 2, 2, 2))
    net.add(nn.ReLU())
    # Second layer
    net.add(nn.SpatialConvolution(6, 6, 5, 5, 1, 1, 2, 2))
    net.add(nn.ReLU())
    net.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    # Third layer
    net.add(nn.SpatialConvolution(6, 6, 5, 5, 1, 1, 2, 2))
    net.add(nn.ReLU())
    net.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    # MLP
    net.add(nn.View(-1))

    # Output
    net.add(nn.Linear(6144, K))

    return net


def test_lesson_3_0_mlp_and_basic_cnn_shapes():
    mlp = lin(n=12, K=4)
    assert [m.weight.size() for m in mlp.findModules('nn.Linear')[0]] == [(24, 12), (24, 24), (24, 24), (4, 24)]
    assert mlp.forward(lg.randn(12)).size() == (4,)
    net = three_conv(K=10, side=32)
    y = net.forward(lg.rand(3, 32, 32))          # 'same' convolutions: the View flattens 6 x 32 x 32
    assert y.size() == (10,) and net.get(6).output.size() == (6 * 32 * 32,)
    gradInput = net.backward(lg.rand(3, 32, 32), lg.ones(10))
    assert gradInput.size() == (3, 32, 32)


def test_lesson_3_1_layer_sizes_of_3conv_pool():
    lg.manualSeed(0)
    net = three_conv_pool()
    lena = lg.rand(3, 512, 512)                  # image.lena() stands in
    x = image.scale(lena, 256, 256)
    assert x.size() == (3, 256, 256)
    assert net.forward(x).size() == (1000,)
    sizes = []
    net.apply(lambda m: sizes.append(m.output.size()))
    assert sizes[1:] == [(6, 128, 128), (6, 128, 128), (6, 128, 128), (6, 128, 128), (6, 64, 64), (6, 64, 64),
                         (6, 64, 64), (6, 32, 32), (6144,), (1000,)]
    conv = net.get(0)
    assert (conv.nInputPlane, conv.nOutputPlane, conv.dW, conv.kW) == (3, 6, 2, 5)
    assert conv.weight.size() == conv.gradWeight.size() == (6, 3, 5, 5)
    assert conv.bias.size() == conv.gradBias.size() == (6,)


# --- res/3.2/*.lua -------------------------------------------------------------------------------------------------

def LeNet5():
    net = nn.Sequential()

    # 1 input image channel, 6 output channels, 5x5 convolution kernel
    net.add(nn.SpatialConvolution(1, 6, 5, 5))

    # A max-pooling operation that looks at 2x2 windows and finds the max.
    net.add(nn.SpatialMaxPooling(2, 2, 2, 2))

    # non-linearity
    net.add(nn.Tanh())

    # additional layers
    net.add(nn.SpatialConvolution(6, 16, 5, 5))
    net.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    net.add(nn.Tanh())

    # reshapes from a 3D tensor of 16x5x5 into 1D tensor of 16*5*5
    net.add(nn.View(16 * 5 * 5))

    # fully connected layers (matrix multiplication between input and weights)
    net.add(nn.Linear(16 * 5 * 5, 120))
    net.add(nn.Tanh())
    net.add(nn.Linear(120, 84))
    net.add(nn.Tanh())

    # 10 is the number of outputs of the network (10 classes)
    net.add(nn.Linear(84, 10))
    return net


def test_lesson_3_2_lenet5():
    net = LeNet5()
    y = net.forward(lg.rand(1, 32, 32))
    assert y.size() == (10,) and net.get(5).output.size() == (16, 5, 5)
    assert net.backward(lg.rand(1, 32, 32), lg.ones(10)).size() == (1, 32, 32)



# --- res/3.3/train.lua ---------------------------------------------------------------------------------------------

def test_lesson_3_3_train_full_batch_sgd():
    """train.lua in Torch7's double precision: the MLP learns the sign of x1 * x2 (the loss falls from about 1 to
    0.056 in the 1000 steps; the file's closing ``Prev J: 0.1758`` is a loss the lesson printed, which a Torch7 run
    would have to confirm)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        cuda = False

        lg.manualSeed(1234)
        model = nn.Sequential()
        n = 2
        K = 1
        s = [n, 5, 5, K]
        model.add(nn.Linear(s[0], s[1]))
        model.add(nn.Tanh())
        model.add(nn.Linear(s[1], s[2]))
        model.add(nn.Tanh())
        model.add(nn.Linear(s[2], s[3]))

        loss = nn.MSECriterion()

        m = 128
        X = lg.DoubleTensor(m, n)
        Y = lg.DoubleTensor(m)

        for i in range(m):
            x = lg.randn(2)
            y = -1 if x[0] * x[1] > 0 else 1
            X[i].copy(x)
            Y[i] = y

        assert not cuda
        theta, gradTheta = model.getParameters()

        optimState = {'learningRate': 0.15}

        Js = []
        for epoch in range(1000):
            def feval(theta):
                gradTheta.zero()
                h_x = model.forward(X)
                J = loss.forward(h_x, Y)
                Js.append(J)
                dJ_dh_x = loss.backward(h_x, Y)
                model.backward(X, dJ_dh_x)   # computes and updates gradTheta
                return J, gradTheta
            optim.sgd(feval, theta, optimState)
    finally:
        lg.setdefaulttensortype('torch.FloatTensor')
    assert Js[0] > 0.9 and Js[-1] < 0.1 and Js[-1] < min(Js[:900])
    assert model.forward(X).size() == (m, 1)       # the (128, 1) output against the 128 targets, as in the Lua


# --- res/4.2/script.lua --------------------------------------------------------------------------------------------

def test_lesson_4_2_nn_vs_nngraph():
    lg.manualSeed(0)

    # nn vs. nngraph
    net = nn.Sequential()
    net.add(nn.Linear(20, 10))
    net.add(nn.Tanh())
    net.add(nn.Linear(10, 10))
    net.add(nn.Tanh())
    net.add(nn.Linear(10, 1))

    h1 = net.modules[0]()
    np.testing.assert_array_equal(net.modules[0].bias.view(1, -1).numpy(), h1.data.module.bias.view(1, -1).numpy())

    h2 = net.modules[4](net.modules[3](net.modules[2](net.modules[1](h1))))
    gNet = nn.gModule([h1], [h2])

    x = lg.randn(20)
    np.testing.assert_array_equal(net.forward(x).numpy(), gNet.forward(x).numpy())

    def getNode(self, id):
        for n in self.forwardnodes:
            if n.id == id:
                return n.data.module
        return None
    nn.gModule.getNode = getNode          # ``function nn.gModule:getNode(id)``: a method added to the class
    try:
        # nngraph's ids: the last module 1, the bookkeeping output node 2 (no module), then back to the input
        assert gNet.getNode(4) is net.modules[2]
        assert [gNet.getNode(i) for i in range(1, 8)] == [net.modules[4], None, net.modules[3], net.modules[2],
                                                          net.modules[1], net.modules[0], None]
    finally:
        del nn.gModule.getNode

    # Dash - notation
    g1 = - nn.Linear(20, 10)

    g2 = (g1
          - nn.Tanh()
          - nn.Linear(10, 10)
          - nn.Tanh()
          - nn.Linear(10, 1))
    mlp = nn.gModule([g1], [g2])
    assert mlp.forward(x).size() == (1,)

    # Fancy architecture
    input = - nn.Identity()
    L1 = (input
          - nn.Linear(10, 20)
          - nn.Tanh())
    L2 = ([input, L1]
          - nn.JoinTable(0)
          - nn.Linear(30, 60)
          - nn.Tanh())
    L3 = ([L1, L2]
          - nn.JoinTable(0)
          - nn.Linear(80, 1)
          - nn.Tanh())
    g = nn.gModule([input], [L3])
    v = lg.randn(10)
    assert g.forward(v).size() == (1,)
    gradInput = g.backward(v, lg.ones(1))
    assert gradInput.size() == (10,)

    # A RNN example in nngraph
    n = 3
    K = 1
    d = 5
    nHL = 2
    T = 4
    xx = - nn.Identity()
    hh1 = - nn.Identity()
    hh2 = - nn.Identity()
    h1 = [xx, hh1] - nn.JoinTable(0) - nn.Linear(n + d, d) - nn.Tanh()
    h2 = [h1, hh2] - nn.JoinTable(0) - nn.Linear(2 * d, d) - nn.Tanh()
    yy = h2 - nn.Linear(d, K) - nn.Tanh()
    rnn = nn.gModule([xx, hh1, hh2], [h1, h2, yy])
    x = lg.randn(n)
    h0 = lg.zeros(d)
    out = rnn.forward([x, h0, h0])
    assert [o.size() for o in out] == [(d,), (d,), (K,)]
    assert (nHL, T) == (2, 4)
