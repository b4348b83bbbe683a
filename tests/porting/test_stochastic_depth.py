"""yueatsprograms/Stochastic_Depth run through its port, tests/porting/stochastic_depth/ (ResidualDrop.lua,
cifar-dataset.lua, main.lua; each module's docstring lists its edits beyond syntax and indices).

Stand-ins: CIFAR-10's t7 files are replaced by a small synthetic CIFAR-shaped set (3x32x32 images whose class is a
coloured square at a class-dependent place), handed to main.lua through cifar-dataset.lua's two entry points:
``get_Data`` returns it and ``Dataset.LOADER`` is the ported class with the Lua's fixed 45000/5000/10000 split
sizes made small (the Lua's sizes need the real 60000 images). The network is cut down with main.lua's own
``--N 1`` (8 layers) and runs in DoubleTensor on the CPU. svhn-dataset.lua is not ported: its 73257 + 531131 +
26032-image sizes are fixed in the code and nothing else in it differs from cifar-dataset.lua's loader."""
import numpy as np
import pytest

import legonn as lg
from tests.checks import assert_gpu_matches_cpu, assert_jacobian

from .stochastic_depth import cifar_dataset, main as sd_main
from .stochastic_depth.ResidualDrop import ResidualDrop

pytestmark = pytest.mark.usefixtures('double_default')


def synthetic_cifar(n, seed):
    """n images 3x32x32 of 10 classes: noise plus a 8x8 square whose place and colour give the class; labels
    0-based, as legonn's ClassNLLCriterion reads them."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 10, n)
    images = rng.rand(n, 3, 32, 32) * 0.5
    for k, c in enumerate(labels):
        y, x = 4 + 16 * (c % 2), 2 + 6 * (c // 2)
        images[k, c % 3, y:y + 8, x:x + 8] += 2.0
    return lg.from_numpy(images), lg.from_numpy(labels.astype(np.float64))


SIZES = {'train': (0, 64), 'valid': (64, 80), 'test': (80, 96)}


class SmallLOADER(cifar_dataset.LOADER):
    """cifar-dataset.lua's LOADER with its 45000/5000/10000 split made 64/16/16."""

    def __init__(self, data, label, mode, batchSize, augmentation=None):
        self.batchSize = batchSize
        self.mode = mode
        a, b = SIZES[mode]
        self.data = data[a:b]
        self.label = label[a:b]
        if mode == 'train':
            self.augmentation = augmentation


@pytest.fixture
def small_cifar(monkeypatch):
    data, label = synthetic_cifar(96, 0)
    monkeypatch.setattr(cifar_dataset, 'get_Data', lambda dataset, path, do_shuffling: (data.clone(), label.clone()))
    monkeypatch.setattr(cifar_dataset.Dataset, 'LOADER', SmallLOADER)
    return data, label


def test_residual_drop_gate_open_closed_and_test_scaling():
    lg.manualSeed(0)
    block = ResidualDrop(0.25, 4).double()
    x = lg.randn(2, 4, 6, 6)
    block.training()
    net = block.net.forward(x).clone()
    np.testing.assert_allclose(block.forward(x).numpy(), x.numpy() + net.numpy(), rtol=1e-12)
    block.gate = False
    np.testing.assert_allclose(block.forward(x).numpy(), x.numpy(), rtol=0)
    g = lg.randn(2, 4, 6, 6)
    # a closed gate passes the gradient through the skip only and leaves the branch's parameters alone
    block.zeroGradParameters()
    np.testing.assert_allclose(block.backward(x, g).numpy(), g.numpy(), rtol=0)
    assert all(float(gp.abs().max()) == 0 for gp in block.parameters()[1])
    # test mode: every gate counts, the branch scaled by its survival probability 1 - deathRate
    block.evaluate()
    net_eval = block.net.forward(x).clone()
    np.testing.assert_allclose(block.forward(x).numpy(), x.numpy() + 0.75 * net_eval.numpy(), rtol=1e-12)


def test_residual_drop_downsampling_skip_is_option_a():
    lg.manualSeed(0)
    block = ResidualDrop(0, 2, 4, 2).double()
    block.gate = False
    x = lg.randn(3, 2, 6, 6)
    out = block.forward(x).numpy()
    pooled = x.numpy().reshape(3, 2, 3, 2, 3, 2).mean(axis=(3, 5))
    assert out.shape == (3, 4, 3, 3)
    np.testing.assert_allclose(out[:, :2], pooled, rtol=1e-12)
    assert np.all(out[:, 2:] == 0)


@pytest.mark.parametrize('gate', [True, False])
@pytest.mark.parametrize('stride,nOut', [(1, 3), (2, 4)])
def test_residual_drop_jacobian_with_gate_fixed(gate, stride, nOut):
    lg.manualSeed(1)
    block = ResidualDrop(0.5, 3, nOut, stride)
    block.gate = gate
    assert_jacobian(block, lg.randn(2, 3, 4, 4), tol=1e-6)


def test_loader_batches_and_augmentation():
    data, label = synthetic_cifar(96, 3)
    lg.manualSeed(5)
    train = SmallLOADER(data, label, 'train', 8, True)
    valid = SmallLOADER(data, label, 'valid', 8)
    mean, std = train.preprocess()
    valid.preprocess(mean, std)
    raw = synthetic_cifar(96, 3)[0].numpy()
    m, s = raw[:64].mean(0), raw[:64].std(ddof=1)
    np.testing.assert_allclose(valid.data.numpy(), (raw[64:80] - m) / s, rtol=1e-10)
    idx = lg.LongTensor([3, 0, 7])
    batch = valid.sampleIndices(idx)
    np.testing.assert_allclose(batch['inputs'].numpy(), valid.data.numpy()[[3, 0, 7]])
    assert batch['outputs'].numpy().tolist() == label.numpy()[[67, 64, 71]].tolist()
    # training batches: each image is its source shifted by at most 4 pixels (zeros filled in), maybe mirrored
    batch = train.sampleIndices(lg.LongTensor(list(range(16))))
    seen = set()
    for k in range(16):
        src, got = train.data.numpy()[k], batch['inputs'].numpy()[k]
        found = None
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                shifted = np.zeros_like(src)
                shifted[:, max(0, dy):min(32, 32 + dy), max(0, dx):min(32, 32 + dx)] = \
                    src[:, max(0, -dy):min(32, 32 - dy), max(0, -dx):min(32, 32 - dx)]
                for flip in (False, True):
                    if np.array_equal(shifted[:, :, ::-1] if flip else shifted, got):
                        found = (dy, dx, flip)
        assert found is not None
        seen.add(found)
    assert len(seen) > 4


def test_main_finds_the_blocks_by_tostring_and_sets_lin_decay_rates(small_cifar, tmp_path):
    G = sd_main.main(['--maxEpochs', '0', '--N', '2', '--batchSize', '16', '--deathRate', '0.5',
                      '--resultFolder', str(tmp_path) + '/'], cuda=False)
    model = G['model']
    # 3 + 2 blocks per group x 3 groups, each followed by its ReLU
    assert G['addtables'] == [3, 5, 7, 9, 11, 13]
    assert all(isinstance(model.get(i), ResidualDrop) for i in G['addtables'])
    rates = [model.get(i).deathRate for i in G['addtables']]
    np.testing.assert_allclose(rates, [i / 6 * 0.5 for i in range(1, 7)])


def test_main_trains_and_evaluates_as_the_lua(small_cifar, tmp_path):
    G = sd_main.main(['--maxEpochs', '4', '--N', '1', '--batchSize', '16', '--deathRate', '0.5',
                      '--resultFolder', str(tmp_path) + '/'], cuda=False)
    losses = G['losses']
    assert len(losses) == 4 * 4
    assert np.mean(losses[-4:]) < np.mean(losses[:4])
    # accounting ran once per epoch and saved the errors where the Lua saves them
    saved = lg.load(str(tmp_path / 'errors_1_cifar10_lin_decay_0.5'))
    assert len(saved) == 4 and [list(r) for r in saved] == [list(r) for r in G['all_results']]
    # evalModel's error is the top-1 error of the test-mode network, computed here by hand
    model = G['model']
    data, label = small_cifar
    model.evaluate()
    x = data.numpy()[80:96]
    train_raw = data.numpy()[:64]
    x = (x - train_raw.mean(0)) / train_raw.std(ddof=1)
    pred = model.forward(lg.from_numpy(x)).numpy().argmax(1)
    expected = 1 - np.mean(pred == label.numpy()[80:96])
    assert G['all_results'][-1][1] == pytest.approx(expected)


@pytest.mark.gpu
@pytest.mark.parametrize('gate', [True, False])
def test_residual_drop_on_the_gpu_matches_the_cpu(gate):
    lg.manualSeed(2)
    block = ResidualDrop(0.5, 2, 4, 2)
    block.gate = gate
    assert_gpu_matches_cpu(block, lg.randn(2, 2, 6, 6))
    block.evaluate()
    gpu = block.clone().cudaDouble()
    x = lg.randn(2, 2, 6, 6).double()
    np.testing.assert_allclose(gpu.forward(x.cudaDouble()).double().numpy(), block.forward(x).numpy(), rtol=1e-10)
