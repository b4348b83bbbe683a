"""Kaixhin/Autoencoders run through its port, tests/porting/kaixhin_autoencoders/ (main.lua as main.py, every model
of models/, the modules of modules/; main.py's docstring lists the edits beyond syntax and indices).

Stand-in data: main.lua reads the MNIST rock's 60000 training and 10000 test digits; each test writes 120 and 20
digits of examples/data/mnist_5k.npz (shuffled) as the IDX files legonn.mnist reads, in a temporary folder named by
$MNIST_PATH. The batch stays main.lua's 60 (two batches an epoch); the learning rate is 0.001 (the Lua's option
``-learningRate``) so that a handful of Adam steps show the loss falling.
"""
import math
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from tests.checks import assert_jacobian, numeric_gradient
from tests.test_mnist_package import _write as write_idx_files

from .kaixhin_autoencoders import main as ae_main
from .kaixhin_autoencoders.models.Seq2SeqAE import Model as Seq2SeqModel
from .kaixhin_autoencoders.modules.BatchTopK import BatchTopK
from .kaixhin_autoencoders.modules.Gaussian import Gaussian
from .kaixhin_autoencoders.modules.Uniform import Uniform

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'
N_TRAIN, N_TEST = 120, 20


@pytest.fixture
def mnist_files(tmp_path, monkeypatch):
    """The stand-in MNIST files in tmp_path/mnist, $MNIST_PATH naming them, and tmp_path the working folder main.lua
    writes its figures into."""
    if not DATA.exists():
        pytest.skip('needs examples/data/mnist_5k.npz')
    data = np.load(DATA)
    order = np.random.RandomState(0).permutation(len(data['x']))
    x, y = data['x'][order], data['y'][order]
    folder = tmp_path / 'mnist'
    folder.mkdir()
    write_idx_files(folder, 'train', x[:N_TRAIN], y[:N_TRAIN])
    write_idx_files(folder, 't10k', x[N_TRAIN:N_TRAIN + N_TEST], y[N_TRAIN:N_TRAIN + N_TEST])
    monkeypatch.setenv('MNIST_PATH', str(folder))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# model -> (epochs, the figures main.lua writes for it besides Training.png and Reconstructions.png)
MODELS = {
    'AE': (3, ['Weights.png']),
    'SparseAE': (3, ['Weights.png']),
    'DeepAE': (3, []),
    'ConvAE': (3, []),
    'UpconvAE': (3, []),
    'DenoisingAE': (2, []),
    'CAE': (3, ['Weights.png']),
    'Seq2SeqAE': (1, []),
    'VAE': (3, ['Interpolations.png', 'Samples.png', 'Samples (MCMC step 1).png']),
    'CatVAE': (3, ['Interpolations.png', 'Samples.png', 'Samples (MCMC step 1).png']),
    'AAE': (3, ['Interpolations.png', 'Samples.png', 'Samples (MCMC step 1).png']),
    'WTA-AE': (3, ['Weights.png']),
}


@pytest.mark.parametrize('model', list(MODELS))
def test_main_trains_every_model(mnist_files, model):
    """``th main.lua -cpu -model <model>``: the loss of the last batches is below the first batch's, the test
    reconstructions are 10 digits in (0, 1), and the figures are written."""
    epochs, figures = MODELS[model]
    result = ae_main.main(['-cpu', '-model', model, '-epochs', str(epochs), '-learningRate', '0.001', '-mcmc', '1'])
    losses = result['losses']
    assert len(losses) == epochs * N_TRAIN // 60
    assert all(math.isfinite(loss) for loss in losses)
    assert np.mean(losses[-2:]) < losses[0]
    xHat = result['xHat']
    assert xHat.size() == (10, 28, 28)
    assert 0 < xHat.min() and xHat.max() < 1
    for name in ['Training.png', 'Reconstructions.png'] + figures:
        assert (mnist_files / name).stat().st_size > 0, name
    if model == 'AAE':
        assert len(result['advLosses']) == len(losses)
        assert all(math.isfinite(loss) for loss in result['advLosses'])


def test_denoising_flag_inserts_white_noise_first(mnist_files):
    """``-denoising`` (the README's DAAE): ``Model.autoencoder:insert(nn.WhiteNoise(0, 0.5), 1)`` puts the
    corruption first (legonn's insert takes the 0-based position), and the model still trains."""
    result = ae_main.main(['-cpu', '-model', 'AAE', '-denoising', '-epochs', '2', '-learningRate', '0.001'])
    modules = result['autoencoder'].modules
    assert lg.typename(modules[0]) == 'nn.WhiteNoise' and modules[1] is result['Model'].encoder
    assert result['losses'][-1] < result['losses'][0]


def test_denoising_test_pass_keeps_the_noised_input(mnist_files):
    """DenoisingAE's test pass stays in training mode to show the noised digits: ``x`` is WhiteNoise's output,
    the clean digits plus N(0, 0.5) noise."""
    result = ae_main.main(['-cpu', '-model', 'DenoisingAE', '-epochs', '1'])
    noised = result['x']
    digits = np.load(DATA)['x'][np.random.RandomState(0).permutation(5000)][N_TRAIN:N_TRAIN + 10] / 255.0
    noise = noised.numpy() - digits
    assert abs(noise.std() - 0.5) < 0.05 and abs(noise.mean()) < 0.05


def test_vae_kl_gradient_matches_finite_differences():
    """main.lua's VAE regulariser: ``gradKLLoss = {mean / n, 0.5 * (var - 1) / n}`` is the derivative of
    ``KLLoss = 0.5 * sum(mean^2 + exp(logVar) - logVar - 1) / n``."""
    rng = np.random.RandomState(3)
    mean, logVar = rng.randn(4, 2), rng.randn(4, 2)
    nElements = 4 * 784

    def KLLoss():
        m, lv = lg.from_numpy(mean), lg.from_numpy(logVar)
        return 0.5 * lg.sum(lg.pow(m, 2) + lg.exp(lv) - lv - 1) / nElements

    var = lg.exp(lg.from_numpy(logVar))
    gradKLLoss = [lg.from_numpy(mean) / nElements, 0.5 * (var - 1) / nElements]
    np.testing.assert_allclose(gradKLLoss[0].numpy(), numeric_gradient(KLLoss, mean), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(gradKLLoss[1].numpy(), numeric_gradient(KLLoss, logVar), rtol=1e-6, atol=1e-12)


def test_catvae_kl_gradient_matches_finite_differences():
    """main.lua's CatVAE regulariser: the gradient it backpropagates through its SoftMax is the derivative of
    ``sum(z * (log z - log(1/k))) / n`` with ``z = softmax(logits) + 1e-9``."""
    k, N = 10, 5
    logits = np.random.RandomState(4).randn(2, N * k)
    nElements = 2 * 784
    softmax = nn.SoftMax().double()

    def KLLoss():
        z = softmax.forward(lg.from_numpy(logits).view(-1, k)) + 1e-9
        return lg.sum(lg.cmul(z, lg.log(z) - math.log(1 / k))) / nElements

    output = lg.from_numpy(logits)
    z = softmax.forward(output.view(-1, k)) + 1e-9
    logZ = lg.log(z)
    gradKLLoss = softmax.backward(output.view(-1, k), logZ + 1 - math.log(1 / k)).view(-1, N * k) / nElements
    np.testing.assert_allclose(gradKLLoss.numpy(), numeric_gradient(KLLoss, logits), rtol=1e-5, atol=1e-10)


def test_batchtopk_keeps_the_top_fraction_of_each_unit():
    """modules/BatchTopK.lua: in training each column keeps its ceil(k * batch) largest activations (winners
    across the batch), the gradient flows to those alone; in evaluation it is the identity."""
    lg.manualSeed(5)
    m = BatchTopK(0.25, True)
    x = lg.randn(8, 3)
    y = m.forward(x)
    kept = np.sort(x.numpy(), axis=0)[-2:]
    for j in range(3):
        nonzero = np.sort(y.numpy()[:, j][y.numpy()[:, j] != 0])
        np.testing.assert_array_equal(nonzero, kept[:, j])
    g = lg.randn(8, 3)
    gi = m.backward(x, g).numpy()
    np.testing.assert_array_equal(gi, np.where(y.numpy() != 0, g.numpy(), 0))
    m.evaluate()
    assert m.forward(x) is x
    m.training()
    assert_jacobian(BatchTopK(0.25, True), lg.randn(8, 3), params=False)


def test_gaussian_and_uniform_draw_samples_shaped_like_the_input():
    """modules/Gaussian.lua and Uniform.lua: samples of the input's size, a zero gradient."""
    lg.manualSeed(6)
    x = lg.Tensor(200, 50)
    g = Gaussian(2, 3).forward(x)
    u = Uniform(-1, 4).forward(x)
    assert g.size() == u.size() == (200, 50)
    assert abs(g.mean() - 2) < 0.1 and abs(g.std() - 3) < 0.1
    assert u.min() >= -1 and u.max() <= 4 and abs(u.mean() - 1.5) < 0.1
    assert Gaussian().backward(x, g).abs().max() == 0
    assert Uniform().backward(x, u).abs().max() == 0


def test_seq2seq_decoder_input_is_the_shifted_sequence():
    """Seq2SeqAE's teacher forcing: ``decInSeq[{{}, {2, n}, {}}] = decInSeq[{{}, {1, n - 1}, {}}]`` then row 1
    zeroed. legonn copies overlapping tensors as through a copy of the source (docs/porting.md's overlapping-copy
    row), so the decoder sees the digit one row down; Torch7's in-order element copy (THTensorCopy.c's
    TH_TENSOR_APPLY2) would repeat row 1 in every row, which is computed here by hand for comparison."""
    X = lg.rand(3, 28, 28)
    Seq2SeqModel.createAutoencoder(X)
    seen = []
    decoder = Seq2SeqModel.decoder
    decoder.updateOutput = lambda inp: seen.append(inp.clone()) or nn.Sequential.updateOutput(decoder, inp)
    try:
        Seq2SeqModel.autoencoder.training()
        Seq2SeqModel.autoencoder.forward(X)
    finally:
        del decoder.updateOutput
    decIn = seen[0].numpy()
    x = X.numpy()
    np.testing.assert_array_equal(decIn[:, 1:], x[:, :-1])
    assert not decIn[:, 0].any()

    smeared = x.copy().reshape(3, -1)  # Torch7: element by element, in memory order
    for b in range(3):
        for i in range(28, 28 * 28):
            smeared[b, i] = smeared[b, i - 28]
    smeared = smeared.reshape(3, 28, 28)
    smeared[:, 0] = 0
    assert not np.allclose(smeared, decIn)


def test_overlapping_copy_reads_the_source_before_writing():
    """docs/porting.md's overlapping-copy row, on a plain tensor: an assignment or ``copy`` between overlapping
    views of one storage gives the source's values as they were before the copy (NumPy's rule). Torch7's result
    depends on its path: the element loop for non-contiguous views (Seq2SeqAE's case) repeats the first element,
    the vectorised copy of contiguous ones (these) depends on the vector width."""
    t = lg.range(1, 6)
    t[1:6] = t[0:5]
    np.testing.assert_array_equal(t.numpy(), [1, 1, 2, 3, 4, 5])
    u = lg.range(1, 6)
    u.narrow(0, 1, 5).copy(u.narrow(0, 0, 5))
    np.testing.assert_array_equal(u.numpy(), [1, 1, 2, 3, 4, 5])
    v = lg.range(1, 6)
    v.narrow(0, 0, 5).copy(v.narrow(0, 1, 5))  # the other direction: the same in both libraries
    np.testing.assert_array_equal(v.numpy(), [2, 3, 4, 5, 6, 6])


def test_seq2seq_evaluate_feeds_its_outputs_back():
    """Seq2SeqAE in evaluate mode: the decoder starts from the encoder's last state and, with remember('eval'),
    runs one step per call on its own previous output. Run over the whole sequence at once (training mode, which
    forgets between calls but starts from the encoder's state), the inputs [0, out_1, ..., out_{n-1}] give the
    same outputs."""
    lg.manualSeed(2)
    X = lg.rand(2, 28, 28)
    Seq2SeqModel.createAutoencoder(X)
    Seq2SeqModel.autoencoder.evaluate()
    out = Seq2SeqModel.autoencoder.forward(X).clone()
    assert out.size() == (2, 28, 28)
    fedBack = lg.zeros(2, 28, 28)
    fedBack[:, 1:] = out[:, :27]
    Seq2SeqModel.autoencoder.training()
    Seq2SeqModel.encoder.forward(X)
    Seq2SeqModel.forwardConnect()
    whole = Seq2SeqModel.decoder.forward(fedBack)
    np.testing.assert_allclose(whole.numpy(), out.numpy(), rtol=1e-5, atol=1e-6)


def test_seq2seq_gradient_reaches_the_encoder(monkeypatch, double_default):
    """Seq2SeqAE's backward wrapper: the decoder's gradients with respect to its start state
    (userGradPrevOutput, userGradPrevCell) become the encoder's gradPrevOutput and userNextGradCell, so the
    gradient of the reconstruction loss with respect to every parameter, encoder's included, matches a central
    difference along a random direction (float64, small LSTMs). The wrapper's ``zeroTensor = torch.Tensor(seqlen,
    batch, size)``, the gradient of the encoder's outputs, is uninitialised memory in Torch7 and zeros in legonn
    (docs/porting.md's row), so the encoder's gradient comes through its last state alone, as meant."""
    for _ in range(3):  # freed buffers that a fresh tensor could reuse
        lg.Tensor(5 * 2 * 4).uniform(1, 2)
    assert lg.abs(lg.Tensor(5, 2, 4)).max() == 0
    monkeypatch.setattr(Seq2SeqModel, 'cellSizes', [3, 4])
    lg.manualSeed(8)
    X = lg.rand(2, 5, 4)
    Seq2SeqModel.createAutoencoder(X)
    autoencoder = Seq2SeqModel.autoencoder
    autoencoder.training()
    theta, gradTheta = autoencoder.getParameters()
    criterion = nn.BCECriterion()

    def loss():
        return criterion.forward(autoencoder.forward(X), X)

    gradTheta.zero()
    xHat = autoencoder.forward(X)
    criterion.forward(xHat, X)
    autoencoder.backward(X, criterion.backward(xHat, X))
    analytic = gradTheta.clone()
    encoder_size = sum(p.nElement() for p in Seq2SeqModel.encoder.parameters()[0])
    assert lg.abs(analytic[:encoder_size]).max() > 0
    direction = lg.randn(theta.size())
    for part in (slice(0, encoder_size), slice(encoder_size, theta.nElement())):
        d = lg.zeros(theta.size())
        d[part] = direction[part]
        theta.add(1e-6, d)
        up = loss()
        theta.add(-2e-6, d)
        down = loss()
        theta.add(1e-6, d)
        assert (up - down) / 2e-6 == pytest.approx(lg.dot(analytic, d), rel=1e-6)


def test_cae_hidden_backward_with_the_minibatch_is_refused():
    """main.lua's CAE line ``Model.hidden:backward(x, Model.lambda * jacobian)`` hands the Linear(784 -> 128) the
    3-D minibatch: torch/nn's Linear.lua has no branch for it in updateGradInput and accGradParameters (a silent
    no-op), legonn refuses it, naming the module (docs/porting.md's row); the port leaves the line out."""
    hidden = nn.Linear(784, 128)
    x = lg.rand(6, 28, 28)
    with pytest.raises(ValueError, match=r'Linear\(784 -> 128\): expected a 1-D or 2-D input, got 3-D'):
        hidden.backward(x, lg.rand(6, 784))


@pytest.mark.gpu
@pytest.mark.parametrize('model, epochs', [('VAE', 3), ('ConvAE', 3), ('Seq2SeqAE', 1)])
def test_main_trains_on_the_gpu(mnist_files, model, epochs):
    """Without ``-cpu`` main.lua finds cutorch and cudnn: the data, the model (converted to cudnn) and the
    criterion are CUDA (Seq2SeqAE's wrapper table converts through its own ``cuda`` and ``replace``), and the loss
    falls as on the CPU."""
    result = ae_main.main(['-model', model, '-epochs', str(epochs), '-learningRate', '0.001'])
    assert result['xHat'].type() == 'torch.CudaTensor'
    assert np.mean(result['losses'][-2:]) < result['losses'][0]
