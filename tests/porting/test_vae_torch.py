"""y0ast/VAE-Torch run through its port, tests/porting/vae_torch/ (main.lua, VAE.lua, KLDPenalty.lua, the older
KLDCriterion.lua, GaussianCriterion.lua, Sampler.lua, load.lua; each file's docstring lists its edits).

Stand-in data: load.lua downloads binarized MNIST (50000 + 10000 + 10000 rows of 784 zeros and ones) and reads
datasets/freyfaces.hdf5; the tests write 400 + 100 + 100 digits of examples/data/mnist_5k.npz, thresholded at 128,
as the ``.t7`` files loadBinarizedMNIST reads (Torch7's format, through ``lg.save_lua``), and the same digits scaled
to [0, 1] as the freyfaces HDF5 file. The port runs in DoubleTensor, Torch7's default.
"""
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, nn

from tests.checks import numeric_gradient

from .vae_torch import load as vae_load
from .vae_torch import main as vae_main
from .vae_torch import main_nngraph
from .vae_torch.GaussianCriterion import GaussianCriterion
from .vae_torch.KLDCriterion import KLDCriterion
from .vae_torch.KLDPenalty import KLDPenalty
from .vae_torch.Sampler import Sampler

pytestmark = pytest.mark.usefixtures('double_default')

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'


def digits(n):
    if not DATA.exists():
        pytest.skip('needs examples/data/mnist_5k.npz')
    x = np.load(DATA)['x']
    return x[np.random.RandomState(0).permutation(len(x))][:n].reshape(n, 784)


@pytest.fixture
def binarized_mnist(tmp_path, monkeypatch):
    """./binarizedMNIST/{train,valid,test}.t7 as getBinarizedMNIST saves them, and ./save, in tmp_path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'binarizedMNIST').mkdir()
    (tmp_path / 'save').mkdir(exist_ok=True)
    b = (digits(600) > 127).astype(np.float64)
    for name, rows in (('train', b[:400]), ('valid', b[400:500]), ('test', b[500:])):
        lg.save_lua(str(tmp_path / 'binarizedMNIST' / (name + '.t7')), lg.from_numpy(rows.copy()))
    return b


@pytest.fixture
def freyfaces(tmp_path, monkeypatch):
    """datasets/freyfaces.hdf5 with 'train' and 'test' float32 sets (the digits in [0, 1]), and ./save."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'datasets').mkdir()
    (tmp_path / 'save').mkdir(exist_ok=True)
    x = (digits(600) / 255.0).astype(np.float32)
    f = hdf5.open('datasets/freyfaces.hdf5', 'w')
    f.write('train', lg.from_numpy(x[:500].copy()))
    f.write('test', lg.from_numpy(x[500:].copy()))
    f.close()
    return x


def test_readMNISTfile_reads_amat_rows(tmp_path):
    """load.lua's readMNISTfile: ``lines`` rows of 784 numbers from the text (.amat) file, read with DiskFile's
    readDouble into a DoubleTensor."""
    rows = np.random.RandomState(1).randint(0, 2, size=(3, 784))
    path = tmp_path / 'x.amat'
    path.write_text('\n'.join(' '.join(str(v) for v in row) for row in rows) + '\n')
    data = vae_load.readMNISTfile(str(path), 3)
    assert data.type() == 'torch.DoubleTensor'
    np.testing.assert_array_equal(data.numpy(), rows)


def test_loadBinarizedMNIST_appends_valid_to_train(binarized_mnist):
    data = vae_load.load(False)
    np.testing.assert_array_equal(data['train'].numpy(), binarized_mnist[:500])
    np.testing.assert_array_equal(data['test'].numpy(), binarized_mnist[500:])


def test_loadfreyfaces_reads_the_hdf5_sets_as_double(freyfaces):
    data = vae_load.load(True)
    assert data['train'].type() == 'torch.DoubleTensor'
    np.testing.assert_array_equal(data['train'].numpy(), freyfaces[:500])
    np.testing.assert_array_equal(data['test'].numpy(), freyfaces[500:])


def test_main_binary_lower_bound_falls_and_is_saved(binarized_mnist, capsys):
    """main.lua with the binarized digits (BCECriterion summed, KLDPenalty): the per-digit negative lower bound
    falls over 4 epochs (printed as Lua's ``..`` writes a number), and every second epoch saves parameters,
    optimiser state and the bounds."""
    bounds = vae_main.main(False, max_epochs=4)
    assert len(bounds) == 4
    printed = [line for line in capsys.readouterr().out.splitlines() if 'Lowerbound' in line]
    assert [line.split(' time: ')[0].split('Epoch: ')[-1] for line in printed] == [
        '%d Lowerbound: %.14g' % (e + 1, b) for e, b in enumerate(bounds)]
    assert bounds[-1] < bounds[1] < bounds[0]
    saved = lg.load('save/lowerbound.t7')
    np.testing.assert_allclose(saved.numpy().ravel(), bounds)
    assert lg.load('save/parameters.t7').nElement() == (784 * 400 + 400) + 2 * (400 * 20 + 20) + (20 * 400 + 400) + (400 * 784 + 784)
    assert lg.load('save/state.t7')['t'] == 4 * 4


def test_main_continuous_lower_bound_falls(freyfaces):
    """main.lua's continuous branch (a mean and log-variance decoder, GaussianCriterion) on the freyfaces stand-in."""
    bounds = vae_main.main(True, max_epochs=3)
    assert bounds[-1] < bounds[0]


@pytest.mark.parametrize('continuous', [False, True])
def test_nngraph_main_with_kldcriterion_gives_the_same_bounds(binarized_mnist, freyfaces, continuous):
    """main.lua before c0e6b53 (a gModule with outputs {reconstruction, mean, log_var}, KLDCriterion outside it,
    its gradients handed back with the reconstruction's) and after (a Sequential with KLDPenalty inside): the same
    seed draws the same weights, batches and noise, so the two give the same lower bounds, in both branches."""
    assert main_nngraph.main(continuous, max_epochs=2) == pytest.approx(vae_main.main(continuous, max_epochs=2),
                                                                        rel=1e-12)


def test_kldpenalty_adds_the_kl_gradient_to_gradOutput():
    """KLDPenalty passes its table on, keeps -0.5 * sum(1 + log_var - mean^2 - exp(log_var)) as ``loss`` and adds
    that loss's gradient (finite differences, float64) to the gradient coming back."""
    rng = np.random.RandomState(2)
    mean, log_var = rng.randn(5, 3), rng.randn(5, 3)
    m = KLDPenalty()

    def loss():
        m.forward([lg.from_numpy(mean), lg.from_numpy(log_var)])
        return m.loss

    inp = [lg.from_numpy(mean), lg.from_numpy(log_var)]
    out = m.forward(inp)
    assert out[0] is inp[0] and out[1] is inp[1]
    assert m.loss == pytest.approx(-0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var)))
    g = [lg.from_numpy(rng.randn(5, 3)), lg.from_numpy(rng.randn(5, 3))]
    gi = m.backward(inp, g)
    np.testing.assert_allclose(gi[0].numpy() - g[0].numpy(), numeric_gradient(loss, mean), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gi[1].numpy() - g[1].numpy(), numeric_gradient(loss, log_var), rtol=1e-6, atol=1e-8)


def test_kldcriterion_gradient_matches_finite_differences():
    """The older KLDCriterion, ``KLD:forward(mean, log_var)``: the same loss as KLDPenalty, its gradient
    {d/d mean, d/d log_var} checked by central differences."""
    rng = np.random.RandomState(3)
    mean, log_var = rng.randn(4, 6), rng.randn(4, 6)
    crit = KLDCriterion()

    def loss():
        return crit.forward(lg.from_numpy(mean), lg.from_numpy(log_var))

    penalty = KLDPenalty()
    penalty.forward([lg.from_numpy(mean), lg.from_numpy(log_var)])
    assert loss() == pytest.approx(penalty.loss, rel=1e-12)
    dmean, dlog_var = crit.backward(lg.from_numpy(mean), lg.from_numpy(log_var))
    np.testing.assert_allclose(dmean.numpy(), numeric_gradient(loss, mean), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dlog_var.numpy(), numeric_gradient(loss, log_var), rtol=1e-6, atol=1e-8)


def test_gaussiancriterion_gradient_matches_finite_differences():
    """GaussianCriterion: the negative log-likelihood of ``target`` under N(mu, exp(log_var)), summed; its
    gradient with respect to mu and log_var checked by central differences, its value against the closed form."""
    rng = np.random.RandomState(4)
    mu, log_var, target = rng.randn(3, 7), rng.randn(3, 7) * 0.5, rng.randn(3, 7)
    crit = GaussianCriterion()

    def loss():
        return crit.forward([lg.from_numpy(mu), lg.from_numpy(log_var)], lg.from_numpy(target))

    expected = np.sum(0.5 * log_var + 0.5 * np.log(2 * np.pi) + 0.5 * (target - mu) ** 2 / np.exp(log_var))
    assert loss() == pytest.approx(expected, rel=1e-12)
    dmu, dlog_var = crit.backward([lg.from_numpy(mu), lg.from_numpy(log_var)], lg.from_numpy(target))
    np.testing.assert_allclose(dmu.numpy(), numeric_gradient(loss, mu), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dlog_var.numpy(), numeric_gradient(loss, log_var), rtol=1e-6, atol=1e-8)


def test_sampler_gradient_matches_finite_differences():
    """Sampler: z = mean + exp(log_var / 2) * eps with eps ~ N(0, 1) drawn at each forward; with the generator
    reseeded before each forward (the same eps), the gradient of sum(z * w) matches central differences."""
    rng = np.random.RandomState(5)
    mean, log_var, w = rng.randn(4, 3), rng.randn(4, 3), rng.randn(4, 3)
    m = Sampler()

    def loss():
        lg.manualSeed(9)
        return float(np.sum(m.forward([lg.from_numpy(mean), lg.from_numpy(log_var)]).numpy() * w))

    loss()
    eps = m.eps.numpy().copy()
    np.testing.assert_allclose(m.output.numpy(), mean + np.exp(log_var / 2) * eps, rtol=1e-12)
    gi = m.backward([lg.from_numpy(mean), lg.from_numpy(log_var)], lg.from_numpy(w))
    np.testing.assert_allclose(gi[0].numpy(), numeric_gradient(loss, mean), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gi[1].numpy(), numeric_gradient(loss, log_var), rtol=1e-6, atol=1e-8)


@pytest.mark.gpu
def test_criterions_and_sampler_on_cuda_match_the_cpu():
    """The criterions and the Sampler (converted with ``:cuda()``, as Torch7 needs for its output buffer) on
    CudaTensors give the CPU's numbers (the same eps: Sampler draws it on the CPU with torch.randn and copies it
    in)."""
    rng = np.random.RandomState(6)
    mu, log_var, target = (lg.from_numpy(rng.randn(3, 5)).float() for _ in range(3))
    for crit in (GaussianCriterion(),):
        cpu = crit.forward([mu, log_var], target)
        gpu = crit.forward([mu.cuda(), log_var.cuda()], target.cuda())
        assert gpu == pytest.approx(cpu, rel=1e-5)
        g_cpu = crit.backward([mu, log_var], target)
        g_gpu = crit.backward([mu.cuda(), log_var.cuda()], target.cuda())
        for a, b in zip(g_cpu, g_gpu):
            assert b.type() == 'torch.CudaTensor'
            np.testing.assert_allclose(b.float().numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
    assert KLDCriterion().forward(mu.cuda(), log_var.cuda()) == pytest.approx(KLDCriterion().forward(mu, log_var), rel=1e-5)
    lg.manualSeed(3)
    z_cpu = Sampler().float().forward([mu, log_var]).clone()
    lg.manualSeed(3)
    z_gpu = Sampler().cuda().forward([mu.cuda(), log_var.cuda()])
    np.testing.assert_allclose(z_gpu.float().numpy(), z_cpu.numpy(), rtol=1e-5, atol=1e-6)
