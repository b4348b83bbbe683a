"""facebookarchive/CommNet's lever-pulling game, levers/levers.lua and levers/conv_model.lua, ported in
tests/porting/commnet.py: its reward and batches, the fixed convolution that averages the other agents, supervised
training with and without shared stream layers, the REINFORCE step, and the Lua as written (on the GPU) on the
simulator."""
import numpy as np
import pytest

import legonn as lg
from tests.porting import commnet as C

pytestmark = pytest.mark.usefixtures('double_default')


def test_levers_reward_and_batches():
    """get_reward gives each bag the number of distinct levers over n - 1; make_batch's targets are the ranks of
    the agents' ids within their bag (0-based), so that supervised targets are a permutation per bag."""
    batchids = lg.LongTensor([0, 3, 7])
    acts = lg.Tensor([2, 2, 5, 0, 1, 2, 3])
    R = C.get_reward(batchids, acts)
    np.testing.assert_allclose(R.numpy(), [0.5] * 3 + [1.0] * 4)
    opts = C.levers_opts(nagents=50)
    T, Y = [lg.zeros(7)], lg.zeros(7)
    C.make_batch(opts, T, Y, batchids)
    ids = T[0].numpy()
    assert ids.min() >= 0 and ids.max() <= 49
    for a, b in ((0, 3), (3, 7)):
        np.testing.assert_array_equal(Y.numpy()[a:b], np.argsort(np.argsort(ids[a:b], kind='stable'), kind='stable'))


def test_levers_communication_layer_averages_the_others():
    """build_communicate_layer: the memories and hidden vectors pass through and a third plane is added, the fixed
    convolution K's mean of the other agents' hidden vectors in each bag; K never trains (accGradParameters
    replaced)."""
    opts = C.levers_opts(apg=3, batchsize=2, hdim=4, comm=True, cuda=False)
    layer = C.build_communicate_layer(opts)
    x = lg.randn(2, 4, 6, 1)
    y = layer.forward(x)
    h = x[1].numpy()[:, :, 0].reshape(4, 2, 3)            # hidden, bag, agent within the bag
    others = (h.sum(2, keepdims=True) - h) / 2
    assert y.size() == (3, 4, 6, 1)
    np.testing.assert_allclose(y[2].numpy()[:, :, 0], others.reshape(4, 6), rtol=1e-12)
    np.testing.assert_array_equal(y[:2].numpy(), x.numpy())
    K = layer.modules[1].modules[1]
    before = K.weight.clone()
    layer.backward(x, lg.randn(*y.size()))
    assert float(K.gradWeight.abs().sum()) == 0 and float((K.weight - before).abs().sum()) == 0


@pytest.mark.parametrize('recurrent', [False, True])
def test_levers_supervised_training(recurrent):
    """levers.lua's supervised loop (ClassNLLCriterion to the ranks) with communication: the criterion falls;
    with ``--recurrent`` every stream layer shares the first one's parameters."""
    lg.manualSeed(4)
    opts = C.levers_opts(apg=3, nagents=6, nlevers=3, hdim=12, batchsize=8, nlayer=2, lr=0.5, maxiter=50,
                         comm=True, recurrent=recurrent, cuda=False)
    model, crits, rewards = C.levers_main(opts)
    assert np.mean(crits[-10:]) < 0.9 * np.mean(crits[:10])
    convs = model.findModules('cudnn.SpatialConvolution')[0]
    if recurrent:
        assert convs[0].weight.storageOffset() == convs[4].weight.storageOffset()
    else:
        assert convs[0].weight.storageOffset() != convs[4].weight.storageOffset()


def test_levers_reinforce_step():
    """levers.lua's ``--reward_only`` step: R = baseline - reward goes in as the gradient of each sampled lever's
    log-probability, so the SGD step changes sum_t R_t log p_t(a_t) by -dt |dF|^2 to first order: the levers that
    beat the baseline get likelier."""
    lg.manualSeed(6)
    opts = C.levers_opts(apg=3, nagents=6, nlevers=3, hdim=12, batchsize=8, nlayer=2, lr=1e-4, maxiter=3,
                         comm=True, reward_only=True, cuda=False)
    rec = {}
    model, _, rewards = C.levers_main(opts, rec)
    assert all(0 <= r <= 1 for r in rewards)
    after = model.forward(rec['T'])
    idx = rec['acts'].view(-1, 1)
    change = float(((after.gather(1, idx) - rec['out'].gather(1, idx)).view(-1) * rec['R']).sum())
    expected = -rec['dt'] * float(rec['dF'].norm()) ** 2
    assert expected < 0 and abs(change - expected) < 1e-3 * abs(expected)


@pytest.mark.gpu
def test_levers_on_the_gpu():
    """levers.lua as written: T, Y, grad, the criterion and the model on the GPU (cudnn convolutions); the loss
    falls as on the CPU."""
    lg.manualSeed(4)
    opts = C.levers_opts(apg=3, nagents=6, nlevers=3, hdim=12, batchsize=16, nlayer=2, lr=0.5, maxiter=60,
                         comm=True)
    model, crits, _ = C.levers_main(opts)
    assert lg.typename(model.modules[-2].weight) == 'torch.CudaTensor'
    assert np.isfinite(crits).all() and np.mean(crits[-10:]) < np.mean(crits[:10])


def test_levers_log_file_and_model_snapshots(tmp_path, capsys):
    """Every ``verbose`` iterations levers.lua prints the mean criterion and reward, appends the reward to its log
    file (named after the options, Lua's ``tostring`` of the flags) and saves the model; the saved model loads with
    its frozen averaging convolution (K.accGradParameters replaced) and computes what the trained one does."""
    lg.manualSeed(7)
    opts = C.levers_opts(apg=3, nagents=6, nlevers=3, hdim=4, batchsize=2, nlayer=1, comm=True, cuda=False,
                         maxiter=5, verbose=2, save=True, savedir=str(tmp_path) + '/', logpath=str(tmp_path) + '/')
    model, crits, rewards = C.levers_main(opts)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith('iteration')]
    assert [l.split()[1] for l in lines] == ['1', '3', '5']
    assert lines[1].split()[5] == '%.14g' % ((crits[1] + crits[2]) / 2)
    log = tmp_path / 'levers_apg3_nagents6_nlev3_hdim4_nl1_lr0.05_ROfalse_commtrue_clp-1.txt'
    assert [float(v) for v in log.read_text().split()] == pytest.approx(
        [rewards[0] / 2, (rewards[1] + rewards[2]) / 2, (rewards[3] + rewards[4]) / 2])
    loaded = lg.load(str(tmp_path / 'model.th'))
    T = [lg.Tensor(6).random(6), lg.zeros(6, 4), lg.zeros(6, 4), lg.ones(6), lg.LongTensor([0, 3, 6])]
    np.testing.assert_allclose(loaded.forward(T).numpy(), model.forward(T).numpy(), rtol=1e-12)
    K = loaded.modules[3].modules[1].modules[1]
    before = K.weight.clone()
    loaded.zeroGradParameters()
    loaded.backward(T, lg.randn(6, 3))
    assert float(K.gradWeight.abs().sum()) == 0 and float((K.weight - before).abs().sum()) == 0
