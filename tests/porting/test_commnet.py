"""facebookarchive/CommNet, ported in tests/porting/commnet.py (its docstring lists the files and lines): the repo's
own linear_multi_test; every model variant of model.lua checked by finite differences in float64 and the
communication step against NumPy; train_batch's gradient checked against a replay of the episode's REINFORCE
surrogate; training on the stand-in lever game, with and without communication; the checkpoint of
g_save_model/g_load_model. The lever-pulling game of levers/ is tests/porting/test_commnet_levers.py."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.porting import commnet as C

pytestmark = pytest.mark.usefixtures('double_default')

SMALL = dict(hidsz=6, nactions=3, max_steps=3, batch_size=3, visibility=0, nwords=3, nagents=3)

VARIANTS = {
    'mlp': dict(),
    'mlp_comm_nhop2': dict(comm=True, nhop=2),
    'mlp_comm_sum_relu_decoder2': dict(comm=True, nhop=2, comm_mode='sum', nonlin='relu', comm_decoder=2),
    'mlp_comm_encoder_no_decoder': dict(comm=True, nhop=2, comm_encoder=1, comm_decoder=0, nonlin='none'),
    'rnn_comm': dict(model='rnn', comm=True, unroll=0),
    'lstm_comm': dict(model='lstm', comm=True, unroll=0),
    'fully_connected': dict(fully_connected=True, nhop=2),
    'unshare_hops': dict(comm=True, nhop=2, unshare_hops=True),
    'discrete_comm': dict(nactions_comm=3, nhop=2),
    'encoder_lut': dict(encoder_lut=True, encoder_lut_size=2, comm=True),
    'no_coop': dict(model='rnn', comm=True, unroll=0, no_coop=True, reward_mult=2),
    'blink_sum': dict(comm=True, nhop=2, blink=True, comm_mode='sum', comm_scale_div=2),
}


def _model_inputs(batch_size=SMALL['batch_size']):
    """One forward's input table for the current g_opts, in g_model_inputs' order."""
    o = C.g_opts
    N = batch_size * o['nagents']
    inp = [None] * len(C.g_model_inputs)
    if o['encoder_lut']:
        inp[C.g_model_inputs['input']] = lg.Tensor(N, o['encoder_lut_size']).random(o['encoder_lut_nil'] + 1)
    else:
        inp[C.g_model_inputs['input']] = lg.rand(N, (2 * o['visibility'] + 1) ** 2 * o['nwords'])
    inp[C.g_model_inputs['prev_hid']] = lg.randn(N, o['hidsz'])
    if 'prev_cell' in C.g_model_inputs:
        inp[C.g_model_inputs['prev_cell']] = lg.randn(N, o['hidsz'])
    if 'comm_in' in C.g_model_inputs:
        inp[C.g_model_inputs['comm_in']] = lg.randn(N, o['nagents'], o['hidsz'])
    if 'model_ids' in C.g_model_inputs:
        inp[C.g_model_inputs['model_ids']] = lg.Tensor(N).random(o['nmodels'])
    return inp


def _weighted_sum(outs, weights):
    return sum(float((o.double() * w).sum()) for o, w in zip(outs, weights))


def _finite_difference_check(model, inp, params, grads, continuous):
    """d(sum_k w_k . out_k) by backward, against central differences along random directions of the flat
    parameters and of each continuous input (float64, step 1e-6)."""
    outs = model.forward(inp)
    outs = outs if isinstance(outs, list) else [outs]
    weights = [lg.randn(*o.size()) for o in outs]
    grads.zero()
    model.zeroGradParameters()
    ginp = model.backward(inp, weights if len(weights) > 1 else weights[0])
    ginp = [g.clone() for g in ginp]
    dparams = grads.clone()

    def loss():
        o = model.forward(inp)
        return _weighted_sum(o if isinstance(o, list) else [o], weights)

    eps = 1e-6
    targets = [(params, dparams)] + [(inp[i], ginp[i]) for i in continuous]
    for x, dx in targets:
        for _ in range(2):
            d = lg.randn(*x.size())
            x.add(eps, d)
            up = loss()
            x.add(-2 * eps, d)
            down = loss()
            x.add(eps, d)
            estimate = (up - down) / (2 * eps)
            exact = float((dx * d).sum())
            assert abs(estimate - exact) <= 1e-6 * max(1, abs(exact)), (estimate, exact)


def test_linear_multi_test_and_its_jacobian():
    """linear_multi.lua's own test (two Linears picked per row by the ids), then d out / d (input, parameters) by
    finite differences; the LookupTables' replaced updateGradInput hands the ids back, summed as nngraph sums a
    node's gradients, and the ids themselves stay untouched."""
    C.linear_multi_test()
    C.g_opts = {'nmodels': 3}
    x, ids = nn.Identity()(), nn.Identity()()
    lm = C.linear_multi(4, 5, ids, x)
    model = nn.gModule([x, ids], [lm])
    params, grads = model.getParameters()
    params.normal(0, 1)
    inp = [lg.randn(6, 4), lg.Tensor([0, 2, 1, 2, 0, 1])]
    _finite_difference_check(model, inp, params, grads, continuous=[0])
    assert inp[1].tolist() == [0, 2, 1, 2, 0, 1]
    assert model.gradInput[1].tolist() == [0, 4, 2, 4, 0, 2]   # the ids, from weight_lut and bias_lut
    # the rows of each model only get gradients from the rows that use it
    w = lm.weight_lut.data.module
    model.zeroGradParameters()
    model.forward([inp[0], lg.Tensor([0, 0, 0, 0, 0, 0])])
    model.backward([inp[0], lg.Tensor([0, 0, 0, 0, 0, 0])], lg.ones(6, 5))
    assert float(w.gradWeight[1:].abs().sum()) == 0 and float(w.gradWeight[0].abs().sum()) > 0


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_model_variants_gradients(name):
    """g_build_model for each variant main.lua's options give: the outputs named in g_model_outputs have the
    Lua's shapes, and the backward of the whole graph matches finite differences."""
    lg.manualSeed(3)
    C.setup(**SMALL, **VARIANTS[name])
    o = C.g_opts
    inp = _model_inputs()
    outs = C.g_model.forward(inp)
    N = SMALL['batch_size'] * o['nagents']
    assert outs[C.g_model_outputs['action_prob']].size() == (N, o['nactions'])
    assert outs[C.g_model_outputs['baseline']].size() == (N, 1)
    assert outs[C.g_model_outputs['hidstate']].size() == (N, o['hidsz'])
    if o['comm']:   # the fully connected model's N x (nagents * hidsz) is viewed so by train_batch
        expected = (N, o['nagents'] * o['hidsz']) if o['fully_connected'] else (N, o['nagents'], o['hidsz'])
        assert outs[C.g_model_outputs['comm_out']].size() == expected
    if o['nactions_comm'] > 1:
        assert outs[C.g_model_outputs['action_comm']].size() == (N, o['nactions_comm'])
    if o['model'] == 'lstm':
        assert outs[C.g_model_outputs['cellstate']].size() == (N, o['hidsz'])
    continuous = [C.g_model_inputs[k] for k in ('prev_hid', 'prev_cell', 'comm_in') if k in C.g_model_inputs]
    if not o['encoder_lut']:
        continuous.append(C.g_model_inputs['input'])
    _finite_difference_check(C.g_model, inp, C.g_paramx, C.g_paramdx, continuous)


def test_comm_step_against_numpy():
    """The mlp CommNet step written out in NumPy: h = tanh(W_e x + W_h prev_hid + sum_j comm_in[:, j]), the
    action log-probabilities, the baseline, and comm_out = the decoder's output repeated for every agent."""
    C.setup(**SMALL, comm=True)
    inp = _model_inputs()
    outs = C.g_model.forward(inp)
    enc, pre = C.g_modules['encoder_linear'], C.g_modules['pre_hid']
    linears = C.g_model.findModules('nn.Linear')[0]
    x, hid, comm = (inp[C.g_model_inputs[k]].numpy() for k in ('input', 'prev_hid', 'comm_in'))
    h = np.tanh(x @ enc.weight.numpy().T + enc.bias.numpy() + hid @ pre.weight.numpy().T + pre.bias.numpy()
                + comm.sum(1))
    np.testing.assert_allclose(outs[C.g_model_outputs['hidstate']].numpy(), h, rtol=1e-12)
    dec = C.g_modules['comm_decoder'].data.module
    action = next(m for m in linears if m.weight.size(0) == C.g_opts['nactions'])
    a = h @ action.weight.numpy().T + action.bias.numpy()
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    np.testing.assert_allclose(outs[C.g_model_outputs['action_prob']].numpy(), logp, rtol=1e-12)
    c = h @ dec.weight.numpy().T + dec.bias.numpy()
    np.testing.assert_allclose(outs[C.g_model_outputs['comm_out']].numpy(),
                               np.repeat(c[:, None, :], C.g_opts['nagents'], 1), rtol=1e-12)


def _check_comm_masks(rec):
    """train_batch's comm_mask[t][b][s][d]: 1 when s != d and both are active (every pair when fully connected),
    divided in 'avg' mode by the number of senders d hears, then by comm_scale_div."""
    o = C.g_opts
    if not o['comm']:
        return
    B, n = o['batch_size'], o['nagents']
    for t, m in rec['comm_mask'].items():
        act = rec['active'][t].numpy().reshape(B, n)
        pairs = np.ones((B, n, n)) - np.eye(n)
        if not o['fully_connected']:
            pairs = pairs * act[:, :, None] * act[:, None, :]
        if o['comm_mode'] == 'avg':
            pairs = pairs / np.maximum(pairs.sum(1, keepdims=True), 1)
        np.testing.assert_allclose(m.numpy(), pairs / o['comm_scale_div'], rtol=1e-12)
    if o.get('blink'):
        assert min(float(a.sum()) for a in rec['active'].values()) < B * n


def _replay(rec, coef=None):
    """The episode train_batch recorded, run forward again at the current parameters with the same game inputs,
    actions and masks: sum over acting steps of coef . logp(action) (coef = (baseline - R) / batch_size, taken
    from the first replay and then held fixed, as the Lua treats it) plus alpha / batch_size times the baseline's
    squared error; its gradient is what train_batch's backward accumulates (full unrolling, every agent active)."""
    o = C.g_opts
    B, n, hs = o['batch_size'], o['nagents'], o['hidsz']
    N = B * n
    T = o['max_steps'] * o['nhop']
    # the return from step t on, averaged over each game's agents (no_coop: each agent's own), zero when inactive
    rewards = {t: rec['reward'][t].numpy() for t in rec['reward']}
    returns, reward_sum = {}, rec['reward_terminal'].numpy().copy()
    for t in range(T, 0, -1):
        if t % o['nhop'] == 0:
            reward_sum = reward_sum + rewards[t]
        R = reward_sum if o['no_coop'] else np.repeat(reward_sum.reshape(B, n).mean(1), n)
        returns[t] = lg.from_numpy((R * rec['active'][t].numpy() * o['reward_mult']).reshape(N, 1))
    hid = lg.Tensor(N, hs).fill(o['init_hid'] if o['recurrent'] else 0)
    cell = hid.clone()
    comm = lg.zeros(N, n, hs)
    total, new_coef = 0.0, {}
    for t in range(1, T + 1):
        inp = list(rec['input'][t])
        inp[C.g_model_inputs['prev_hid']] = hid
        if 'prev_cell' in C.g_model_inputs:
            inp[C.g_model_inputs['prev_cell']] = cell
        if 'comm_in' in C.g_model_inputs:
            inp[C.g_model_inputs['comm_in']] = comm
        out = C.g_model.forward(inp)
        if t % o['nhop'] == 0 or o['nactions_comm'] > 1:
            b = out[C.g_model_outputs['baseline']].clone().cmul(rec['active'][t])
            R = returns[t]
            new_coef[t] = (b - R).div(B)
            c = coef[t] if coef is not None else new_coef[t]
            total += o['alpha'] / B * float(((b - R) ** 2).sum())
            if t % o['nhop'] == 0:
                total += float((out[C.g_model_outputs['action_prob']].gather(1, rec['action'][t]) * c).sum())
            if o['nactions_comm'] > 1:
                total += float((out[C.g_model_outputs['action_comm']].gather(1, rec['action_comm'][t]) * c).sum())
        hid = out[C.g_model_outputs['hidstate']].clone()
        if 'cellstate' in C.g_model_outputs:
            cell = out[C.g_model_outputs['cellstate']].clone()
        if o['comm']:
            h = out[C.g_model_outputs['comm_out']].clone().view(B, n, n, hs)
            h.cmul(rec['comm_mask'][t].view(B, n, n, 1).expandAs(h).clone())
            comm = h.transpose(1, 2).clone().view(N, n, hs)
        if t % o['nhop'] == 0 and not o['recurrent']:
            hid.zero()
            cell.zero()
            comm.zero()
    return total, new_coef


@pytest.mark.parametrize('name', ['mlp_comm_nhop2', 'rnn_comm', 'lstm_comm', 'fully_connected', 'discrete_comm',
                                  'unshare_hops', 'no_coop', 'blink_sum'])
def test_train_batch_gradient_is_the_reinforce_surrogate_gradient(name):
    """train_batch's g_paramdx (backward through every step and hop, the communication transposed and masked on
    the way back) equals the finite-difference gradient of the replayed surrogate."""
    lg.manualSeed(5)
    C.setup(**SMALL, **VARIANTS[name], alpha=0.5)
    rec = {}
    C.train_batch(record=rec)
    grad = C.g_paramdx.clone()
    _check_comm_masks(rec)
    _, coef = _replay(rec)
    eps = 1e-6
    for _ in range(3):
        d = lg.randn(C.g_paramx.nElement())
        C.g_paramx.add(eps, d)
        up = _replay(rec, coef)[0]
        C.g_paramx.add(-2 * eps, d)
        down = _replay(rec, coef)[0]
        C.g_paramx.add(eps, d)
        estimate, exact = (up - down) / (2 * eps), float((grad * d).sum())
        assert abs(estimate - exact) <= 1e-6 * max(1, abs(exact)), (estimate, exact)
    assert float(grad.abs().sum()) > 0


def _train_reward(comm, nbatches):
    lg.manualSeed(11)
    C.setup(hidsz=16, nactions=2, nwords=2, nagents=2, visibility=0, max_steps=1, nhop=2, batch_size=32,
            comm=comm, optim='adam', lrate=0.03, init_std=0.2, nbatches=nbatches)
    C.train(1)
    first = C.g_log[-1]['reward']
    C.train(1)
    return first, C.g_log[-1]['reward']


def test_commnet_learns_the_lever_game_only_with_communication():
    """Each agent must pull the lever named by the word its neighbour sees: with communication the mean reward
    per game (2 agents, 1 step) climbs well above chance (1); without it, it cannot."""
    first, last = _train_reward(True, 15)
    assert last > 1.8 and last > first
    _, last_alone = _train_reward(False, 15)
    assert last_alone < 1.3


def test_checkpoint_round_trip(tmp_path):
    """g_save_model's {opts, paramx, log, optim_state} and g_load_model into a freshly built model."""
    path = str(tmp_path / 'commnet.t7')
    lg.manualSeed(2)
    C.setup(**SMALL, comm=True, save=path, nbatches=2)
    C.train(1)
    saved_x, saved_log = C.g_paramx.clone(), C.g_log
    state_m = C.g_optim_state['m'].clone()
    C.setup(**SMALL, comm=True, load=path)
    assert float((C.g_paramx - saved_x).abs().max()) == 0
    assert C.g_log[0]['epoch'] == saved_log[0]['epoch'] == 1
    assert float((C.g_optim_state['m'] - state_m).abs().max()) == 0


def test_train_with_worker_processes(capsys):
    """train with ``nworker`` 2 (main.lua's init_threads, worker processes each with its own g_opts, g_model and
    g_paramx as each Lua worker has its own state): each batch's gradient is the workers' sum, divided by nworker
    in g_update_param; the epoch counts every worker's games, the reward climbs, and format_stat prints the
    epoch's line. Each worker's generator starts from the OS's entropy, as each Lua worker's does; the test seeds
    them so that the games and samples, and so the learning curve, are the same on every run."""
    lg.manualSeed(11)
    C.setup(hidsz=16, nactions=2, nwords=2, nagents=2, visibility=0, max_steps=1, nhop=2, batch_size=16,
            comm=True, optim='adam', lrate=0.03, nbatches=10, nworker=2)
    try:
        for w in range(2):
            C.g_workers.addjob(w, lg.manualSeed, lambda *args: None, 100 + w)
        C.g_workers.synchronize()
        C.train(2)
    finally:
        C.g_workers.terminate()
    assert C.g_log[-1]['count'] == 2 * 16 * 10
    assert C.g_log[-1]['reward'] > 1.7 > C.g_log[0]['reward']
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'starting 2 workers'
    assert lines[-1].startswith('bl_cost: ') and lines[-1].endswith(' epoch: 2')
    assert ' reward: %2.4g ' % C.g_log[-1]['reward'] in lines[-1]


def test_lstm_step_against_numpy():
    """build_lstm with the encoded communication (main.lua forces comm_encoder 1 for the LSTM): A = encoder(x) +
    W_h prev_hid + W_c sum_j comm_in[:, j], viewed as N x 4 x hidsz and split into forget, write, read gates and the
    tanh input; cell = prev_cell * f + g * w, hid = tanh(cell) * r."""
    C.setup(**SMALL, model='lstm', comm=True)
    inp = _model_inputs()
    outs = C.g_model.forward(inp)
    x, hid, cell, comm = (inp[C.g_model_inputs[k]].numpy() for k in ('input', 'prev_hid', 'prev_cell', 'comm_in'))

    def affine(m, v):
        return v @ m.weight.numpy().T + m.bias.numpy()
    enc, comm_enc = C.g_modules['encoder_linear'], C.g_modules['comm_encoder'].data.module
    hs = C.g_opts['hidsz']
    # build_lstm names no module for the prev_hid Linear (build_rnn's pre_hid): the other hs -> 4 hs one
    pre = next(m for m in C.g_model.findModules('nn.Linear')[0]
               if m.weight.size() == (4 * hs, hs) and m is not comm_enc)
    A = affine(enc, x) + affine(pre, hid) + affine(comm_enc, comm.sum(1))
    A = A.reshape(-1, 4, hs)
    sig = lambda v: 1 / (1 + np.exp(-v))
    f, w, r, g = sig(A[:, 0]), sig(A[:, 1]), sig(A[:, 2]), np.tanh(A[:, 3])
    c = cell * f + g * w
    np.testing.assert_allclose(outs[C.g_model_outputs['cellstate']].numpy(), c, rtol=1e-12)
    np.testing.assert_allclose(outs[C.g_model_outputs['hidstate']].numpy(), np.tanh(c) * r, rtol=1e-12)


@pytest.mark.parametrize('unshare_hops', [False, True])
def test_comm_zero_init(unshare_hops):
    """g_init_model's comm_zero_init: after init_std's normal draw, the communication encoder and decoder start at
    zero, as Linears (one model) or as the rows of linear_multi's LookupTables (several)."""
    C.setup(**SMALL, comm=True, nhop=2, comm_encoder=1, comm_zero_init=True, unshare_hops=unshare_hops)
    assert C.g_opts['nmodels'] == (2 if unshare_hops else 1)
    for name in ('comm_encoder', 'comm_decoder'):
        node = C.g_modules[name]
        mods = [node.weight_lut.data.module, node.bias_lut.data.module] if unshare_hops else [node.data.module]
        for m in mods:
            assert float(m.weight.abs().sum()) == 0
            if not unshare_hops:
                assert float(m.bias.abs().sum()) == 0
    assert float(C.g_paramx.abs().sum()) > 0


def test_encoder_lut_nil_row_stays_zero():
    """The LookupTable encoder's last row is the NIL word (batch_input_lut pads with it): g_init_model zeroes it and
    g_update_param zeroes it again after every step, so padding adds nothing to the encoding."""
    C.setup(**SMALL, encoder_lut=True, encoder_lut_size=2, optim='sgd', lrate=0.5, nbatches=3)
    lut = C.g_modules['encoder_lut']
    nil = C.g_opts['encoder_lut_nil']
    assert nil == lut.weight.size(0) - 1 == SMALL['nwords']
    assert float(lut.weight[nil].abs().sum()) == 0
    before = lut.weight.clone()
    C.train(1)
    assert float(lut.weight[nil].abs().sum()) == 0
    assert float((lut.weight - before).abs().sum()) > 0
    x = C.batch_input_lut(C.batch_init(2), lg.ones(2 * SMALL['nagents']), 1)
    assert (x.numpy()[:, 1] == nil).all() and (x.numpy()[:, 0] < nil).all()


def test_g_load_model_reads_a_torch7_checkpoint(tmp_path):
    """g_load_model of the table g_save_model writes in Torch7 (main.lua's FloatTensor paramx, the log as a Lua
    array of stat tables, RMSprop's m and tmp), written here by lg.save_lua: the parameters, the log and the
    optimiser state come back, and training goes on from the next epoch with that state."""
    lg.setdefaulttensortype('torch.FloatTensor')      # main.lua's init()
    path = str(tmp_path / 'commnet.t7')
    lg.manualSeed(2)
    C.setup(**SMALL, comm=True, nbatches=2)
    C.train(1)
    lg.save_lua(path, {'opts': dict(C.g_opts), 'paramx': C.g_paramx, 'log': C.g_log,
                       'optim_state': {'m': C.g_optim_state['m'], 'tmp': C.g_optim_state['tmp']}})
    saved_x, saved_m = C.g_paramx.clone(), C.g_optim_state['m'].clone()
    C.setup(**SMALL, comm=True, nbatches=1, load=path)
    assert float((C.g_paramx - saved_x).abs().max()) == 0
    assert isinstance(C.g_log, list) and C.g_log[0]['epoch'] == 1
    assert float((C.g_optim_state['m'] - saved_m).abs().max()) == 0
    C.train(1)
    assert C.g_log[-1]['epoch'] == 2
    # RMSprop went on from the loaded m: m <- alpha m + (1 - alpha) g^2 (g_paramdx holds the step's gradient)
    expected = saved_m.mul(C.g_opts['rmsprop_alpha']).addcmul(1 - C.g_opts['rmsprop_alpha'], C.g_paramdx, C.g_paramdx)
    np.testing.assert_allclose(C.g_optim_state['m'].numpy(), expected.numpy(), rtol=1e-5, atol=1e-12)
