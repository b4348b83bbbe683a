"""NVIDIA/DIGITS's Torch7 side run the way digits/tools/torch/main.lua and test.lua run a network file: the ports
are in tests/porting/digits_models.py (every standard network and the four examples) and digits_tools.py
(LRPolicy.lua, Optimizer.lua, main.lua's training, validation and snapshots, test.lua's predictBatch,
nnhelpers.lua). Data: the shipped MNIST slice (examples/data/mnist_5k.npz) as DIGITS's LMDB records would hold it
(pixels 0-255, labels 0-based), generated masks and character indices for the segmentation and text examples."""
import math
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, nn, optim
from tests.porting import digits_models as dm
from tests.porting import digits_tools as dt

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'


def mnist(n, seed=0, channels=1):
    """``n`` shuffled digits as n x channels x 28 x 28 pixels 0-255 and 0-based labels (FloatTensors)."""
    with np.load(DATA) as f:
        x, y = f['x'], f['y']
    idx = np.random.RandomState(seed).permutation(len(y))[:n]
    xs = np.repeat(x[idx][:, None].astype(np.float32), channels, axis=1)
    return lg.from_numpy(np.ascontiguousarray(xs)), lg.from_numpy(y[idx].astype(np.float32))


def options(tmp_path, **kw):
    """main.lua's lapp options that the training step reads, with their defaults."""
    opt = {'type': 'float', 'policy': 'torch_sgd', 'learningRate': 0.001, 'momentum': 0.9, 'weightDecay': 1e-4,
           'learningRateDecay': 1e-6, 'gamma': -1, 'power': math.inf, 'epoch': 1, 'interval': 1,
           'snapshotInterval': 1, 'save': str(tmp_path), 'snapshotPrefix': 'lenet'}
    opt.update(kw)
    return opt


# --- LRPolicy.lua ---------------------------------------------------------------------------------------------------

def test_lrpolicy_every_policy_against_its_formula():
    """Each policy at iterations 0 .. 100 against the formula LRPolicy.lua's header comment gives, with exp,
    inv and sigmoid read, as the code does, on the progress in percent of max_iter, not the iteration."""
    base, gamma, power, max_iter = 0.1, 0.9, 0.75, 200
    iters = np.arange(0, 101, 7)
    progress = 100 * iters / max_iter
    expected = {
        'fixed': np.full(len(iters), base),
        'step': base * gamma ** np.floor(iters / 30),
        'exp': base * gamma ** progress,
        'inv': base * (1 + gamma * progress) ** -power,
        'poly': base * (1 - iters / max_iter) ** power,
        'sigmoid': base / (1 + np.exp(gamma * (progress - 100 * 30 / max_iter))),
    }
    for policy, want in expected.items():
        p = dt.LRPolicy(policy=policy, baselr=base, gamma=gamma, power=power, max_iter=max_iter, step_values=[30, 60])
        got = [p.GetLearningRate(int(i)) for i in iters]
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=policy)
    # multistep: one step further each time the iteration reaches the next value, as the counter moves
    p = dt.LRPolicy(policy='multistep', baselr=base, gamma=gamma, max_iter=max_iter, step_values=[10, 25, 45])
    got = [p.GetLearningRate(i) for i in range(60)]
    steps = np.searchsorted([10, 25, 45], np.arange(60), side='right')
    np.testing.assert_allclose(got, base * gamma ** steps, rtol=1e-12)
    with pytest.raises(SystemExit):
        dt.LRPolicy(policy='cosine', baselr=base, max_iter=1).GetLearningRate(0)
    with pytest.raises(TypeError, match='LRPolicy'):
        dt.LRPolicy(baselr=base)                      # policy is req=true in dok.unpack


def test_main_turns_step_percentages_into_iterations(tmp_path):
    """main.lua: the step values are percentages of max_iterations = ceil(trainSize / batch) * epochs, rounded,
    a 0 made 1; fewer iterations than step values resets the policy to 'step' with the step value 1."""
    opt = options(tmp_path, policy='multistep', gamma=0.5, epoch=3, learningRate=0.2)
    lrpolicy, state = dt.make_lrpolicy(opt, trainSize=100, trainBatchSize=32, stepvalues_list=[10, 25, 0.1])
    assert lrpolicy.max_iter == 12 and lrpolicy.step_values == [1, 3, 1]
    assert state == {'learningRate': 0.2, 'momentum': 0.9, 'weightDecay': 1e-4, 'learningRateDecay': 0}
    opt = options(tmp_path, policy='multistep', gamma=0.5)
    lrpolicy, _ = dt.make_lrpolicy(opt, trainSize=3, trainBatchSize=32, stepvalues_list=[10, 25])
    assert lrpolicy.policy == 'step' and lrpolicy.step_size == 1
    lrpolicy, state = dt.make_lrpolicy(options(tmp_path), 100, 32, [])
    assert lrpolicy.policy == 'torch_sgd' and state['learningRateDecay'] == 1e-6


# --- the network files ----------------------------------------------------------------------------------------------

def test_lenet_protocol_and_sizes():
    """lenet.lua: the returned table, its batch sizes, the 28x28 assertion, and on the CPU (no cuDNN) the nn
    backend; params.inputShape nil (visualisation) builds a one-channel net of one class."""
    network = dm.lenet({'nclasses': 10, 'ngpus': 0, 'inputShape': lg.LongTensor([1, 28, 28])})
    assert (network['trainBatchSize'], network['validationBatchSize']) == (64, 32)
    assert lg.typename(network['loss']) == 'nn.ClassNLLCriterion'
    model = network['model']
    assert [lg.typename(m) for m in model.modules[1:5]] == ['nn.SpatialConvolution', 'nn.SpatialMaxPooling'] * 2
    out = model.forward(mnist(3)[0])
    assert out.size() == (3, 10)
    np.testing.assert_allclose(out.exp().sum(1).numpy(), 1, rtol=1e-5)
    assert model.get(5).output.size() == (3, 800)
    with pytest.raises(AssertionError, match='28x28'):
        dm.lenet({'ngpus': 0, 'inputShape': lg.LongTensor([1, 32, 32])})
    vis = dm.lenet({'ngpus': 0})['model']
    assert vis.get(1).nInputPlane == 1 and vis.get(8).weight.size() == (1, 500)


def test_visualize_model_prints_the_network_and_its_criterion(capsys):
    """main.lua's ``--visualizeModel yes`` prints ``model:__tostring()`` and ``loss:__tostring()``; with
    params.inputShape nil, as DIGITS calls it to draw a network before any data."""
    network = dm.lenet({'ngpus': 0})
    dt.show_network(network['model'], network['loss'])
    out = capsys.readouterr().out
    assert '\nModel: \nnn.Sequential {\n  [input -> (0) -> (1)' in out
    assert '(6): nn.Linear(800 -> 500)' in out and '(8): nn.Linear(500 -> 1)' in out
    assert '\nCriterion: \nnn.ClassNLLCriterion\n' in out


def test_lenet_color_builds_at_require_and_refuses_multi_gpu():
    network_func = dm.lenet_color()
    network = network_func({'ngpus': 1})
    assert 'trainBatchSize' not in network          # main.lua then falls back to 16
    assert network['model'].forward(lg.rand(2, 3, 28, 28) * 255).size() == (2, 10)
    with pytest.raises(AssertionError, match='single-GPU'):
        network_func({'ngpus': 2})


# --- training: main.lua's Train and Validation with Optimizer and LRPolicy ------------------------------------------

def test_lenet_trains_validates_snapshots_and_predicts(tmp_path, capsys):
    """main.lua on 512 MNIST digits (batch 32, one epoch, the 'step' policy at 0.1 halving at 50 %): the loss
    falls, each step's rate is the policy's at optim's evalCounter, validation after the epoch counts right
    answers in the ConfusionMatrix, the snapshot is the cleared model; test.lua's predictBatch on the reloaded
    snapshot gives the top-5 probabilities of the same model, and its visualisation file holds every layer."""
    x, y = mnist(576)
    xtr, ytr, xva, yva = x.narrow(0, 0, 512), y.narrow(0, 0, 512), x.narrow(0, 512, 64), y.narrow(0, 512, 64)
    classes = [str(i) for i in range(10)]
    network = dm.lenet({'nclasses': 10, 'ngpus': 0, 'inputShape': lg.LongTensor([1, 28, 28])})
    model, loss = network['model'], network['loss']
    opt = options(tmp_path, policy='step', gamma=0.5, learningRate=0.1)
    lrpolicy, optimState = dt.make_lrpolicy(opt, 512, 32, [50])
    Weights, Gradients = model.getParameters()
    optimizer = dt.Optimizer(Model=model, Loss=loss, OptFunction=optim.sgd, OptState=optimState,
                             Parameters=[Weights, Gradients], lrPolicy=lrpolicy,
                             LabelFunction=lambda input, dblabel: dblabel)
    valConfusion = optim.ConfusionMatrix(classes)
    val_losses = []

    def validation(epoch):
        val_losses.append(dt.Validation(model, loss, epoch, dt.DataLoader(xva, yva), 64, 32, valConfusion,
                                        optimizer.LabelFunction, opt))

    trainer = dt.Trainer(model, loss, optimizer, opt, 512, 32, validation)
    assert trainer.epoch_round == 2                 # 32 and 320 are <= 512: epochs to two decimals
    validation(0)
    before = valConfusion.totalValid
    trainer.Train(1, dt.DataLoader(xtr, ytr))
    assert trainer.rates == [0.1] * 8 + [0.05] * 8       # step_size = round(16 * 50 / 100) = 8 iterations
    assert optimState['evalCounter'] == 16
    assert np.mean(trainer.losses[-3:]) < trainer.losses[0] * 0.9
    assert len(val_losses) == 2 and val_losses[1] < val_losses[0]
    assert valConfusion.totalValid > max(before, 0.5)
    assert float(valConfusion.mat.sum()) == 64
    [snapshot] = trainer.snapshots
    assert snapshot.endswith('lenet_1.0_Model.t7')
    assert model.get(1).output.nElement() == 0                 # saveModel's clearState
    reloaded = dt.load_weights({}, model, snapshot)
    reloaded.evaluate()
    results = dt.predictBatch(xva.narrow(0, 0, 2), reloaded, 2, {'type': 'float', 'allPredictions': 'no'},
                              classes, 5)
    model.evaluate()
    probs = model.forward(xva.narrow(0, 0, 2)).exp().numpy()
    for i, top in enumerate(results):
        assert [c for c, _, _ in top] == list(np.argsort(-probs[i], kind='stable')[:5])
        assert [name for _, name, _ in top] == [classes[c] for c, _, _ in top]
        np.testing.assert_allclose([p for _, _, p in top], np.sort(probs[i])[::-1][:5], rtol=1e-5)
    assert 'Snapshotting to' in capsys.readouterr().out
    # test.lua --visualization yes: one image through the reloaded snapshot, every layer in vis.h5
    single = xva.narrow(0, 0, 1)
    dt.predictBatch(single, reloaded, 1, {'type': 'float', 'allPredictions': 'yes'}, None, 0)
    dt.saveVisualization(reloaded, str(tmp_path / 'vis.h5'))
    f = hdf5.open(str(tmp_path / 'vis.h5'), 'r')
    names = [bytes(f.read(f'/layers/{i}/name').all().numpy().astype(np.uint8)).decode() for i in range(1, 12)]
    assert names == [str(m) for m in reloaded.listModules()]
    np.testing.assert_array_equal(f.read('/layers/3/weights').all().numpy(), reloaded.get(1).weight.numpy())
    assert f.read('/layers/4/activations').all().size() == (1, 20, 12, 12)
    np.testing.assert_allclose(f.read('/layers/11/activations').all().numpy(),
                               model.forward(single).numpy(), rtol=1e-6)
    f.close()


def test_auto_data_parallelism_splits_the_batch_and_sums_the_gradients(double_default):
    """main.lua wraps a network file's model in DataParallelTable(1, true, true) over every GPU: with two, the
    batch of 10 is split over the replicas, and the output and the flat gradient of ClassNLLCriterion's mean equal
    the unwrapped model's on the whole batch (alexnet.lua's disableAutoDataParallelism leaves its model alone)."""
    network = dm.lenet({'nclasses': 10, 'ngpus': 2})
    single = network['model'].clone()
    model = dt.auto_data_parallel(network, 2)
    assert lg.typename(model) == 'nn.DataParallelTable' and model.get(0) is network['model']
    x, y = mnist(10, seed=4)
    x, y = x.double(), y.double()
    grads = []
    for m in (model, single):
        w, g = m.getParameters()
        g.zero()
        crit = nn.ClassNLLCriterion()
        out = m.forward(x)
        crit.forward(out, y)
        m.backward(x, crit.backward(out, y))
        grads.append((out.clone(), g.clone()))
    np.testing.assert_allclose(grads[0][0].numpy(), grads[1][0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(grads[0][1].numpy(), grads[1][1].numpy(), rtol=1e-9, atol=1e-12)
    assert float(grads[1][1].abs().sum()) > 0
    alex = {'model': nn.Sequential(), 'disableAutoDataParallelism': True}
    assert dt.auto_data_parallel(alex, 4) is alex['model']


def test_backup_for_recovery_restores_model_optim_state_rng_and_policy(tmp_path):
    """main.lua's backupforrecovery then a restart with --retrain, --optimState, --randomState and
    --lrpolicyState: the cleaned model (no outputs), sgd's momentum buffer and counter, the generator and the
    multistep policy's position come back, so the next step is the one the first run would have taken."""
    x, y = mnist(48, seed=5)
    network = dm.lenet({'nclasses': 10, 'ngpus': 0})
    model, loss = network['model'], network['loss']
    opt = options(tmp_path, policy='multistep', gamma=0.5, learningRate=0.05)
    lrpolicy, optimState = dt.make_lrpolicy(opt, 48, 8, [20, 50])
    optimizer = dt.Optimizer(Model=model, Loss=loss, OptFunction=optim.sgd, OptState=optimState,
                             lrPolicy=lrpolicy, LabelFunction=lambda i, l: l)
    for b in range(0, 24, 8):
        optimizer.optimize(x.narrow(0, b, 8), y.narrow(0, b, 8))
    files = dt.backupforrecovery(model, optimState, optimizer, opt, 'lenet', 3)
    assert all(m.output.nElement() == 0 and m.gradInput.nElement() == 0 for m in model.listModules())
    want = optimizer.optimize(x.narrow(0, 24, 8), y.narrow(0, 24, 8))
    noise = lg.rand(3)
    model2 = lg.load(files['model'])
    state2 = lg.load(files['optimState'])
    lg.setRNGState(lg.load(files['randomState']))
    policy2 = lg.load(files['lrpolicy'])
    assert isinstance(policy2, dt.LRPolicy) and policy2.current_step == 2 and policy2.step_values == [1, 3]
    np.testing.assert_array_equal(lg.rand(3).numpy(), noise.numpy())
    assert state2['evalCounter'] == 3
    resumed = dt.Optimizer(Model=model2, Loss=loss, OptFunction=optim.sgd, OptState=state2, lrPolicy=policy2,
                           LabelFunction=lambda i, l: l)
    got = resumed.optimize(x.narrow(0, 24, 8), y.narrow(0, 24, 8))
    assert got[1] == want[1] == 0.05 * 0.5 ** 2
    np.testing.assert_allclose(got[3][0], want[3][0], rtol=1e-6)
    np.testing.assert_allclose(resumed.Weights.numpy(), optimizer.Weights.numpy(), rtol=1e-5, atol=1e-7)


def test_weights_file_and_fine_tune_hook_freeze_layers(tmp_path):
    """lenet-fine-tune.lua: the weights of a trained LeNet loaded from a ``_Weights`` file, then the hook replaces
    accGradParameters of both convolutions and the first Linear (they stay fixed while training with no weight
    decay) and inserts a 10 -> 2 Linear before the LogSoftMax (odd or even)."""
    network = dm.lenet_fine_tune({'ngpus': 0, 'inputShape': lg.LongTensor([1, 28, 28])})
    model = network['model']
    trained = dm.lenet_fine_tune({'ngpus': 0})['model']
    w_file = str(tmp_path / 'lenet_3_Weights.t7')
    lg.save(w_file, trained.getParameters()[0])
    model = dt.load_weights(network, model, w_file)
    np.testing.assert_array_equal(model.getParameters()[0].numpy(), trained.getParameters()[0].numpy())
    model = network['fineTuneHook'](model)
    assert lg.typename(model.get(9)) == 'nn.Linear' and model.get(9).weight.size() == (2, 10)
    assert lg.typename(model.get(10)) == 'nn.LogSoftMax'
    fixed = [model.get(i).weight.clone() for i in (1, 3, 6)]
    free = model.get(8).weight.clone()
    x, y = mnist(40, seed=3)
    parity = lg.from_numpy(y.numpy() % 2)
    opt = options(tmp_path, weightDecay=0, learningRate=0.01)
    lrpolicy, state = dt.make_lrpolicy(opt, 40, 8, [])
    optimizer = dt.Optimizer(Model=model, Loss=network['loss'], OptFunction=optim.sgd, OptState=state,
                             lrPolicy=lrpolicy, LabelFunction=lambda i, l: l)
    losses = [optimizer.optimize(x.narrow(0, b, 8), parity.narrow(0, b, 8))[3][0] for b in list(range(0, 40, 8)) * 3]
    for before, i in zip(fixed, (1, 3, 6)):
        np.testing.assert_array_equal(model.get(i).weight.numpy(), before.numpy())
    assert not np.array_equal(model.get(8).weight.numpy(), free.numpy())
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


# --- nnhelpers.lua --------------------------------------------------------------------------------------------------

def _vis_net():
    """A small net with a Concat branch, as DIGITS's gradient ascent meets GoogLeNet's inception modules."""
    branch = nn.Concat(1)
    branch.add(nn.Sequential().add(nn.SpatialConvolution(4, 3, 1, 1)).add(nn.ReLU()))
    branch.add(nn.Sequential().add(nn.SpatialConvolution(4, 2, 3, 3, 1, 1, 1, 1)))
    net = nn.Sequential()
    net.add(nn.Sequential().add(nn.SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1)).add(nn.ReLU()))
    net.add(branch)
    net.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    return net


def test_nnhelpers_chain_containers_and_crop():
    """_generateChainedNetwork flattens the nested Sequentials; _getContainers lists each module's parent
    (-1 for the root); findLayerFromChain finds a layer from DIGITS's chain string; getNetworkUntilPushLayer
    crops the chained net at a layer of the main sequence, and inside a Concat branch."""
    net = _vis_net()
    chained = dt._generateChainedNetwork(net)
    assert [lg.typename(m) for m in chained.modules] == ['nn.SpatialConvolution', 'nn.ReLU', 'nn.Concat',
                                                         'nn.SpatialMaxPooling']
    layers = chained.listModules()
    containers = dt._getContainers(layers)
    #           root  conv relu concat seq conv relu seq conv  pool
    assert containers == [-1, 0, 0, 0, 3, 4, 4, 3, 7, 0]
    relu = dt.findLayerFromChain(net, '0_1_3')       # get(1), then get(3 - 1): the ReLU of the first child
    assert net.listModules()[relu] is net.get(0).get(1)
    cropped = dt.getNetworkUntilPushLayer(net, relu)
    assert [lg.typename(m) for m in cropped.modules] == ['nn.SpatialConvolution', 'nn.ReLU']
    x = lg.rand(1, 1, 6, 6)
    np.testing.assert_allclose(cropped.forward(x).numpy(), net.get(0).forward(x).numpy())
    # _findPushLayer leaves is_push_layer set on the layer it marked, so a second crop of the same net finds the
    # first one again (as in DIGITS, whose gradientOptimizer.lua crops once per process): a fresh net
    net = _vis_net()
    inner = [i for i, m in enumerate(net.listModules()) if m is net.get(1).get(1).get(0)][0]   # the Concat's 3x3
    cropped = dt.getNetworkUntilPushLayer(net, inner)
    assert [lg.typename(m) for m in cropped.modules] == ['nn.SpatialConvolution', 'nn.ReLU',
                                                         'nn.SpatialConvolution']
    assert cropped.get(2) is net.get(1).get(1).get(0)
    with pytest.raises(SystemExit):
        dt.getNetworkUntilPushLayer(net, 0)


def test_nnhelpers_point_gradient_and_regularize_on_cpu():
    """generatePointGradient puts the amplitude at the unit's centre; regularize clips lr * gradient to
    [-1, 1], decays, and blurs with the normalised 3 x 3 Gaussian every blur_every iterations (here: not)."""
    net = _vis_net()
    x = lg.rand(1, 1, 8, 8)
    diffs = dt.generatePointGradient(net, x, 3, 0.8)
    assert diffs.size() == (1, 5, 4, 4) and float(diffs.sum()) == pytest.approx(0.8)
    assert float(diffs[0][3][2][2]) == pytest.approx(0.8)
    g = dt.gaussianKernel(1)
    assert g.size() == (3, 3) and float(g.sum()) == pytest.approx(1, rel=1e-6)
    grad = lg.from_numpy(np.linspace(-3, 3, 64, dtype=np.float32).reshape(1, 1, 8, 8))
    out = dt.regularize(x, grad, 3, g, dict(dt.nnhelpers_best_alexnet(), blur_every=4))
    np.testing.assert_allclose(out.numpy(), (x.numpy() + np.clip(500 * grad.numpy(), -1, 1)) * (1 - 0.001),
                               rtol=1e-6)


@pytest.mark.gpu
def test_cuda_lenet_with_cudnn_backend_and_gradient_ascent(tmp_path):
    """With CUDA, lenet.lua takes the cuDNN backend; main.lua's cuda branch trains it on CUDA batches; the
    gradient ascent of gradientOptimizer.lua (nnhelpers' getNumOutputs, generatePointGradient, regularize
    with its blur on the host) runs on the cropped net."""
    network = dm.lenet({'nclasses': 10, 'ngpus': 1, 'inputShape': lg.LongTensor([1, 28, 28])})
    model, loss = network['model'], network['loss']
    assert lg.typename(model.get(1)) == 'cudnn.SpatialConvolution'
    model.cuda()
    loss = loss.cuda()
    x, y = mnist(128)
    opt = options(tmp_path, type='cuda', learningRate=0.1)
    lrpolicy, state = dt.make_lrpolicy(opt, 128, 16, [])
    optimizer = dt.Optimizer(Model=model, Loss=loss, OptFunction=optim.sgd, OptState=state, lrPolicy=lrpolicy,
                             LabelFunction=lambda i, l: l)
    trainer = dt.Trainer(model, loss, optimizer, opt, 128, 16)
    trainer.Train(1, dt.DataLoader(x, y))
    trainer.Train(2, dt.DataLoader(x, y))
    assert np.mean(trainer.losses[8:]) < np.mean(trainer.losses[:8])
    assert [s.rsplit('/', 1)[1] for s in trainer.snapshots] == ['lenet_1.0_Model.t7', 'lenet_2.0_Model.t7']
    push = dt.findLayerFromChain(model, '0_9')          # get(9 - 0 - 1): the 500 -> 10 Linear
    mm = dt.getNetworkUntilPushLayer(model, push).cuda()
    assert dt.getNumOutputs(mm, 1, 28, 28) == 10
    xx = lg.ones(1, 1, 28, 28).mul(0.5).cuda()
    diffs = dt.generatePointGradient(mm, xx, 4, 1).cuda()
    g = dt.gaussianKernel(1)
    reg = dt.nnhelpers_best_alexnet()
    start = float(mm.forward(xx)[0][4])
    for ii in range(1, 9):
        xx = lg.cmin(lg.cmax(xx, 0), 1)
        mm.forward(xx)
        gradInput = mm.backward(xx, diffs)
        xx = dt.regularize(xx, gradInput, ii, g, reg)
    assert float(mm.forward(lg.cmin(lg.cmax(xx, 0), 1))[0][4]) > start
