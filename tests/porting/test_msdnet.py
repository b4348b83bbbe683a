"""gaohuang/MSDNet run through its port, tests/porting/msdnet/ (models/MSDNet_Layer.lua, JointTrainContainer.lua,
msdnet.lua, opts.lua, train_joint.lua, saveTXT.lua and main.lua's loop; each module's docstring lists its edits
beyond syntax and indices, and what is not ported: checkpoints.lua, models/init.lua, and the data loading, which is
fb.resnet.torch's).

Stand-ins: CIFAR-10 is replaced by the shipped MNIST slice padded to 3 x 32 x 32, handed in batches by the
fb.resnet.torch DataLoader stand-in of tests/porting/test_resnext.py. The network is cut down with opts.lua's own
options (``-nBlocks 2 -base 2 -step 1 -growthRate 4 -initChannels 4``: 3 layers, 2 exits) and runs in FloatTensor
(main.lua's default type) on the CPU, or DoubleTensor for the gradient check."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .msdnet import main as msd_main, msdnet, opts
from .msdnet.MSDNet_Layer import MSDNet_Layer
from .msdnet.saveTXT import save2txt
from .msdnet.train_joint import Trainer
from .test_resnext import DataLoader, mnist_as_cifar
from tests.checks import assert_close_trees

SMALL = ['-dataset', 'cifar10', '-nBlocks', '2', '-base', '2', '-step', '1', '-growthRate', '4',
         '-initChannels', '4', '-manualSeed', '2']


def small_opt(tmp_path, *args, tensorType='torch.FloatTensor'):
    opt = opts.parse(SMALL + ['-save', str(tmp_path)] + list(args))
    opt['tensorType'] = tensorType        # opts.lua sets a CUDA type only: the CPU stand-in
    return opt


def layers_of(model):
    body = model.get(0)
    return [m for block in body.modules[:body.nBlocks] for m in block.modules]


def test_opts_parse_factors_and_defaults(tmp_path):
    opt = opts.parse(['-dataset', 'cifar100', '-save', str(tmp_path / 'new'), '-bnFactor', '1-2-4'])
    assert opt['grFactor'] == [1, 2, 4, 4] and opt['bnFactor'] == [1, 2, 4] and opt['_grFactor'] == '1-2-4-4'
    assert opt['nScales'] == 3 and opt['nEpochs'] == 164 and opt['bottleneck'] is True
    assert opt['tensorType'] == 'torch.CudaTensor' and (tmp_path / 'new').is_dir()
    # options the Lua reads but never declares are nil there: nil ~= 'false' is true, nil == '' is false
    assert opt['resetClassifier'] is True and opt['shortcutType'] is None


def test_max_pruning_drops_a_scale_per_interval_with_transitions(tmp_path):
    lg.manualSeed(0)
    model = msdnet.createModel(small_opt(tmp_path))
    layers = layers_of(model)
    kinds = [type(m).__name__ for m in layers]
    # 3 layers in all: interval ceil(3 / 3) = 1, so layers 2 and 3 each drop the finest scale, a transition after
    assert kinds == ['MSDNet_Layer_first', 'MSDNet_Layer', 'MSDNet_Layer', 'ParallelTable', 'MSDNet_Layer',
                     'ParallelTable']
    scales = [(m.inScales, m.outScales) for m in layers if isinstance(m, MSDNet_Layer)]
    assert scales == [(3, 3), (3, 2), (2, 1)]
    lg.save(str(tmp_path / 'x.t7'), 1)      # layer_specific.t7 and model_definition.txt were written beside it
    assert lg.load(str(tmp_path / 'layer_specific.t7')) == [2, 1]
    text = (tmp_path / 'model_definition.txt').read_text()
    assert 'growthRate: 4' in text and 'bottleneck: true' in text and 'JointTrainModule {' in text
    assert 'MSDNet_Layer_first {' in text and '   ... -> {output}' in text
    # planes per scale: 4 x grFactor (1, 2, 4) initially, + growthRate x grFactor per layer, halved by transitions
    x = lg.randn(2, 3, 32, 32)
    model.training()
    model.forward(x)
    first = layers[0].output
    assert [tuple(t.size()) for t in first] == [(2, 4, 32, 32), (2, 8, 16, 16), (2, 16, 8, 8)]
    assert [tuple(t.size()) for t in layers[1].output] == [(2, 8, 32, 32), (2, 16, 16, 16), (2, 32, 8, 8)]
    assert [tuple(t.size()) for t in layers[3].output] == [(2, 12, 16, 16), (2, 24, 8, 8)]   # (8 + 4) // 2 x (2, 4)
    assert [tuple(t.size()) for t in layers[5].output] == [(2, 20, 8, 8)]      # (6 + 4) // 2 x 4
    assert [tuple(o.size()) for o in model.output] == [(2, 10), (2, 10)]


def test_a_layer_joins_its_input_the_finer_scale_strided_and_new_features(tmp_path):
    lg.manualSeed(0)
    opt = small_opt(tmp_path)
    layer = MSDNet_Layer(4, 4, opt, 3, 3).double()
    x = [lg.randn(2, 4, 8, 8).double(), lg.randn(2, 8, 4, 4).double(), lg.randn(2, 16, 2, 2).double()]
    out = layer.forward(x)
    for s in range(3):
        np.testing.assert_array_equal(out[s].numpy()[:, :x[s].size(1)], x[s].numpy())
    down = layer.modules[1].get(0).get(1).forward(x[0]).numpy()
    normal = layer.modules[1].get(0).get(2).forward(x[1]).numpy()
    np.testing.assert_allclose(out[1].numpy(), np.concatenate([x[1].numpy(), down, normal], 1), rtol=1e-12)


def directional_check(model, x, grads, seed):
    """d/de of sum_i <out_i(x + e v, p + e w), g_i> by central differences, against <gradInput, v> and
    <gradParameters, w> from one backward."""
    params, gradParams = model.getParameters()
    rng = np.random.RandomState(seed)
    v = lg.from_numpy(rng.randn(*x.size()))
    w = lg.from_numpy(rng.randn(params.nElement()))
    model.zeroGradParameters()
    model.forward(x)
    gradInput = model.backward(x, grads).clone()
    analytic_x = float((gradInput * v).sum())
    analytic_p = float((gradParams * w).sum())

    def loss(dx, dp):
        base = params.clone()
        params.add(dp)
        out = model.forward(x + dx)
        value = sum(float((o * g).sum()) for o, g in zip(out, grads))
        params.copy(base)
        return value
    # small: the classifiers' ReLUs after batch norms over 2 x 2 maps have kinks within 1e-6 of some inputs
    eps = 1e-8
    numeric_x = (loss(v * eps, w * 0) - loss(v * -eps, w * 0)) / (2 * eps)
    numeric_p = (loss(v * 0, w * eps) - loss(v * 0, w * -eps)) / (2 * eps)
    return analytic_x, numeric_x, analytic_p, numeric_p


@pytest.mark.parametrize('prune', ['max', 'min'])
def test_joint_backward_matches_finite_differences(tmp_path, prune):
    """Each exit's gradient goes into its block's coarsest scale and through the earlier blocks; the input and
    the parameter gradients agree with central differences in float64 (batch normalisation in training mode)."""
    lg.manualSeed(3)
    opt = small_opt(tmp_path, '-prune', prune, '-reduction', '0.5', tensorType='torch.DoubleTensor')
    model = msdnet.createModel(opt)
    model.training()
    x = lg.randn(2, 3, 32, 32).double()
    grads = [lg.randn(2, 10).double() for _ in range(2)]
    ax, nx, ap, np_ = directional_check(model, x, grads, 4)
    assert ax == pytest.approx(nx, rel=1e-5)
    assert ap == pytest.approx(np_, rel=1e-5)


def test_compute_score_and_save2txt(tmp_path):
    trainer = Trainer.__new__(Trainer)
    output = lg.FloatTensor([[0.1, 0.9, 0.0, 0.0, 0.0, 0.0], [0.8, 0.1, 0.05, 0.02, 0.02, 0.01],
                             [0.0, 0.1, 0.2, 0.3, 0.25, 0.15], [0.0, 0.0, 0.0, 0.0, 0.1, 0.9]])
    target = lg.LongTensor([1, 1, 0, 5])
    top1, top5 = trainer.computeScore(output, target, 1)
    assert top1 == pytest.approx(50.0) and top5 == pytest.approx(25.0)
    # ten-crop: the crops' scores are summed before ranking
    top1, _ = trainer.computeScore(output.index(0, lg.LongTensor([0, 0, 1, 1])), lg.LongTensor([1, 0]), 2)
    assert top1 == pytest.approx(0.0)
    save2txt(str(tmp_path / 'rows'), [lg.Tensor([1.5, 2.25]), lg.Tensor([3, 4.125])])
    assert (tmp_path / 'rows.txt').read_text() == '1.5000\t2.2500\t\n3.0000\t4.1250\t\n'
    save2txt(str(tmp_path / 'vec'), lg.Tensor([0.5, 1]), 2)
    assert (tmp_path / 'vec.txt').read_text() == '0.50\t\n1.00\t\n'


def sorted_slice_sample(n, seed):
    """The MNIST slice is sorted by class: a seeded draw of every class."""
    x, y = mnist_as_cifar(5000)
    rows = lg.LongTensor(np.random.RandomState(seed).permutation(5000)[:n])
    return x.index(0, rows), y.index(0, rows)


def test_trainer_trains_every_exit_and_scores_singles_and_ensembles(tmp_path):
    opt = small_opt(tmp_path, '-nEpochs', '30', '-batchSize', '32')
    lg.manualSeed(opt['manualSeed'])
    model = msdnet.createModel(opt)
    criterion = nn.ParallelCriterion()
    for i in range(opt['nBlocks']):
        criterion.add(nn.CrossEntropyCriterion().type(opt['tensorType']), 1)
    trainer = Trainer(model, criterion, opt)
    trainer.target = lg.LongTensor()      # the CudaLongTensor that copyInputs makes, on the CPU
    x, y = sorted_slice_sample(160, 0)
    train = DataLoader(x.narrow(0, 0, 128), y.narrow(0, 0, 128), 32)
    vx, vy = x.narrow(0, 128, 32), y.narrow(0, 128, 32)
    losses = []
    for epoch in range(1, 4):
        top1All, top5All, top1Evolve, top5Evolve, loss = trainer.train(epoch, train)
        losses.append(loss)
    assert losses[2] < losses[0]
    top1All, top5All, top1Evolve, top5Evolve = trainer.test(3, DataLoader(vx, vy, 16), 'Valid')
    # by hand: each exit's top-1 error, and that of the running sum of the exits' softmax scores
    model.evaluate()
    out = [o.numpy().astype(np.float64) for o in model.forward(vx)]
    soft = [np.exp(o - o.max(1, keepdims=True)) / np.exp(o - o.max(1, keepdims=True)).sum(1, keepdims=True)
            for o in out]
    truth = vy.numpy()
    single = [100 * (1 - np.mean(o.argmax(1) == truth)) for o in out]
    ensemble = [100 * (1 - np.mean(sum(soft[:i + 1]).argmax(1) == truth)) for i in range(2)]
    np.testing.assert_allclose(top1All.numpy(), single, atol=1e-4)
    np.testing.assert_allclose(top1Evolve.numpy(), ensemble, atol=1e-4)
    np.testing.assert_allclose(top1Evolve.numpy()[0], top1All.numpy()[0], atol=1e-6)
    assert float(top5All.max()) <= float(top1All.min())


def test_main_loop_logs_every_exit_and_the_anytime_test(tmp_path):
    x, y = sorted_slice_sample(64, 1)
    loaders = [DataLoader(x.narrow(0, a, 32), y.narrow(0, a, 32), 32) for a in (0, 32)]
    opt = small_opt(tmp_path, '-nEpochs', '2', '-batchSize', '32')
    trainer, (valSingle, valEnsemble, testSingle, testEnsemble) = msd_main.main(
        opt, loaders[0], loaders[1], loaders[1], lg.LongTensor())
    assert len(valSingle) == len(testEnsemble) == 2
    rows = (tmp_path / 'result_valEnsemble.txt').read_text().splitlines()
    assert [[float(v) for v in r.split('\t') if v] for r in rows] == \
        [[round(float(e), 4) for e in epoch] for epoch in valEnsemble]
    best = lg.load(str(tmp_path / 'best_result_ensemble.t7'))
    assert float(best[0][1]) == min(float(e[1]) for e in valEnsemble)
    # -testOnly: the anytime result, single exits and ensembles on both sets
    opt = small_opt(tmp_path, '-testOnly', 'true')
    msd_main.main(opt, loaders[0], loaders[1], loaders[1], lg.LongTensor())
    result = lg.load(str(tmp_path / 'anytime_result.t7'))
    assert len(result) == 4 and all(r.nElement() == 2 for r in result)


@pytest.mark.gpu
def test_joint_module_on_the_gpu_matches_the_cpu(tmp_path):
    lg.manualSeed(5)
    model = msdnet.createModel(small_opt(tmp_path, tensorType='torch.DoubleTensor'))
    gpu = model.clone().cudaDouble()
    x = lg.randn(2, 3, 32, 32).double()
    grads = [lg.randn(2, 10).double() for _ in range(2)]
    out, gout = model.forward(x), gpu.forward(x.cudaDouble())
    assert_close_trees(out, gout, 1e-8, 1e-10)
    model.zeroGradParameters()
    gpu.zeroGradParameters()
    assert_close_trees(model.backward(x, grads), gpu.backward(x.cudaDouble(), [g.cudaDouble() for g in grads]),
                       1e-8, 1e-10)
    assert_close_trees(model.getParameters()[1], gpu.getParameters()[1], 1e-8, 1e-10)
