"""facebookresearch/MIXER (https://github.com/facebookresearch/MIXER) ported line by line in tests/porting/mixer.py
and run on a tiny generated summarisation corpus (titles that copy the first words of their article), saved
and read back through DataSource.lua's files: the user modules against their Lua maths, the unrolled
attentive LSTM's parameter gradient against finite differences, the BLEU reward, and main.lua's schedule (XENT
first, then REINFORCE on the last steps with the XENT weight 0.5)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_jacobian
from tests.porting import mixer as mx

# the port calls Threads.serialization('threads.sharedserialize'), process-wide as in Lua: the fixture puts the
# default back after each test
pytestmark = pytest.mark.usefixtures('sharedserialize')

# steps (titles of 4 words take an eos label); target words (0 the separator, 7 the padding); source words (6 the
# padding)
BPTT, NT, NS = 5, 8, 7


@pytest.fixture(autouse=True)
def double_default():
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


def write_corpus(root, n_articles=24, seed=0):
    """makedata.lua's files for the train and valid sets: articles of 4 words from 1..5, titles ``<s> a b c``
    copying the article's first three words (target and source ids agree)."""
    rng = np.random.default_rng(seed)
    for dtype in ('train', 'valid'):
        articles = rng.integers(1, 6, size=(n_articles, 4))
        words = []
        for a, art in enumerate(articles):
            for w in [0] + art[:3].tolist():
                words.append([w, a])
        lg.save(str(root / f'{dtype}.sources.th7'), {4: lg.from_numpy(articles).long()})
        lg.save(str(root / f'{dtype}.targets.th7'), {4: lg.from_numpy(np.array(words)).long()})


def dictionaries():
    dict_target = {'nwords': NT, 'separatorIndex': 0, 'paddingIndex': NT - 1}
    dict_source = {'nwords': NS, 'paddingIndex': NS - 1}
    return dict_target, dict_source


def build(tmp_path, nhid=12, bsz=4, cuda=False):
    """main.lua's set-up, small: the data sources, the one-step net, the BLEU reward, the criterion, Mixer and
    Trainer."""
    write_corpus(tmp_path)
    dict_target, dict_source = dictionaries()
    data = {d: mx.DataSource({'root_path': str(tmp_path), 'data_type': d, 'batch_size': bsz, 'bin_thresh': 8,
                              'sequence_length': BPTT, 'dct_target': dict_target, 'dct_source': dict_source})
            for d in ('train', 'valid')}
    config = {'n_hidden': nhid, 'batch_size': bsz, 'bptt': BPTT, 'grad_param_clip': 10, 'reward': 'bleu',
              'cuda_mm': cuda}
    config['eosIndex'] = dict_target['separatorIndex']
    config['n_tokens'] = dict_target['nwords']
    config['paddingIndex'] = dict_target['paddingIndex']
    net, size_hid_layers = mx.models.makeNetSingleStep(config, dict_target, dict_source)
    config['size_hid_layers'] = size_hid_layers
    compute_reward = mx.RewardFactory(config['reward'], BPTT, config['n_tokens'], config['eosIndex'],
                                      config['paddingIndex'], None, bsz, nthreads=2)
    compute_reward.training_mode()
    if cuda:
        compute_reward.cuda()
    reinforce = mx.ReinforceCriterion(compute_reward, BPTT, config['eosIndex'], config['paddingIndex'])
    model = mx.Mixer(config, net, reinforce, not cuda)
    trainer = mx.Trainer({'bptt': BPTT, 'n_epochs': 1, 'initial_learning_rate': 0.2, 'save_dir': str(tmp_path)},
                         model)
    trainer.type = 'torch.CudaTensor' if cuda else 'torch.DoubleTensor'
    return data, model, trainer


# ---- the user modules -----------------------------------------------------------------------------------------

def test_linear_no_backprop_input_and_weighted_nll():
    """LinearNoBackpropInput: Linear's output and parameter gradients, a zero gradInput;
    ClassNLLCriterionWeighted: NLL times the global weight, and the total weight as its second result."""
    m = mx.LinearNoBackpropInput(5, 3)
    ref = nn.Linear(5, 3)
    ref.weight.copy(m.weight)
    ref.bias.copy(m.bias)
    x, g = lg.randn(4, 5), lg.randn(4, 3)
    np.testing.assert_allclose(m.forward(x).numpy(), ref.forward(x).numpy())
    assert m.backward(x, g).abs().sum() == 0
    ref.backward(x, g)
    np.testing.assert_allclose(m.gradWeight.numpy(), ref.gradWeight.numpy())

    w = lg.Tensor([1, 1, 0])
    crit = mx.ClassNLLCriterionWeighted(0.25, w, True)
    logp = nn.LogSoftMax().forward(lg.randn(4, 3))
    t = lg.LongTensor([0, 2, 1, 1])
    loss, n = crit.forward(logp, t)
    lp = logp.numpy()
    assert n == 3 and loss == pytest.approx(0.25 * -(lp[0, 0] + lp[2, 1] + lp[3, 1]) / 3)
    grad = np.zeros((4, 3))
    grad[[0, 2, 3], [0, 1, 1]] = -0.25 / 3
    np.testing.assert_allclose(crit.backward(logp, t).numpy(), grad)


def test_reinforce_sampler_samples_and_routes_the_gradient():
    """ReinforceSampler: a word per row drawn from exp(input) (a sure word is always drawn), returned as a
    FloatTensor batch x 1, and the gradient placed at the drawn word only."""
    logp = lg.Tensor([[0, -60, -60], [-60, -60, 0]])
    s = mx.ReinforceSampler('multinomial')
    out = s.forward(logp)
    assert out.type() == 'torch.FloatTensor' and out.numpy().tolist() == [[0], [2]]
    grad = s.backward(logp, lg.Tensor([[0.5], [-2]]))
    np.testing.assert_array_equal(grad.numpy(), [[0.5, 0, 0], [0, 0, -2]])


class FixedReward:
    """A reward function with ReinforceCriterion's interface: the given rewards per step."""

    def __init__(self, rewards):
        self.rewards = rewards

    def get_reward(self, target, input, tt):
        return self.rewards[:, tt - 1]

    def num_samples(self, target, input):
        return target[1].size(0)

    def set_start(self, ss):
        self.start = ss


def test_reinforce_criterion_against_its_lua_maths():
    """ReinforceCriterion: the loss is minus the summed cumulative rewards from ``skips`` on, times ``weight``;
    the gradient at step t is (predicted - actual cumulative reward) times ``weight``, zero at padding, and
    ``weight_predictive_reward`` times that for the predictor; skipped steps get zeros."""
    T, B, pad = 4, 3, 7
    rng = np.random.default_rng(1)
    rewards = rng.random((B, T))
    words = [lg.Tensor([1, pad, 2]), lg.Tensor([3, 4, 5]), lg.Tensor([pad, 1, 1]), lg.Tensor([2, 2, 2])]
    preds = [lg.from_numpy(rng.random((B, 1))) for _ in range(T)]
    input = {t + 1: [words[t], preds[t]] for t in range(T)}
    target = {t + 1: lg.Tensor([1, 1, 1]) for t in range(T)}
    crit = mx.ReinforceCriterion(FixedReward(lg.from_numpy(rewards)), T, 0, pad, 2, 0.5, 0.1)
    loss, n = crit.forward(input, target)
    cum = np.cumsum(rewards[:, ::-1], 1)[:, ::-1]   # cumulative reward from each step on
    assert n == B and loss == pytest.approx(-cum[:, 1].sum() * 0.5)
    grad = crit.backward(input, target)
    for t in range(T):
        if t < 1:
            assert grad[t + 1][0].abs().sum() == 0 and grad[t + 1][1].abs().sum() == 0
            continue
        want = (preds[t].numpy()[:, 0] - cum[:, t]) * 0.5 * (words[t].numpy() != pad)
        np.testing.assert_allclose(grad[t + 1][0].numpy(), want)
        np.testing.assert_allclose(grad[t + 1][1].numpy()[:, 0], 0.1 * want)


def test_bleu_reward():
    """reward_factory.lua's smoothed sentence BLEU, paid at the step of each generated eos: 1 for a copy of
    the reference, the (n-gram precision) geometric mean times the brevity penalty otherwise; 0 elsewhere."""
    rf = mx.RewardFactory('bleu', 5, NT, 0, NT - 1, None, 2, nthreads=2)
    target = {t + 1: lg.Tensor(w) for t, w in enumerate([[1, 1], [2, 2], [3, 4], [4, 5], [0, 0]])}
    gen = [[1, 1], [2, 3], [3, 0], [4, NT - 1], [0, NT - 1]]
    input = {t + 1: [lg.Tensor(w), None] for t, w in enumerate(gen)}
    rewards = {tt: rf.get_reward(target, input, tt).clone().numpy().tolist() for tt in range(1, 6)}
    assert rewards[5][0] == pytest.approx(1.0) and rewards[3][0] == 0
    # sample 1: '1 3' against '1 2 4 5', eos at step 3: smoothed precisions (1+1)/(2+1), (0+1)/(1+1)
    bp = math.exp(1 - (4 + 1) / 2)
    assert rewards[3][1] == pytest.approx(math.sqrt(2 / 3 * 1 / 2) * bp)
    assert sum(rewards[tt][1] for tt in (1, 2, 4, 5)) == 0
    assert rf.num_samples(target, input) == 2


# ---- the model -------------------------------------------------------------------------------------------------

def test_data_source_batches():
    """DataSource.lua's shards: titles along time (separator first), labels the next words ending in eos, the
    article repeated at each step, positions 0 .. len-1, padding where the batch runs out of titles."""
    import tempfile
    import pathlib
    with tempfile.TemporaryDirectory() as d:
        write_corpus(pathlib.Path(d), n_articles=6)
        dict_target, dict_source = dictionaries()
        ds = mx.DataSource({'root_path': d, 'data_type': 'valid', 'batch_size': 4, 'bin_thresh': 8,
                            'sequence_length': BPTT, 'dct_target': dict_target, 'dct_source': dict_source})
        inputs, labels, bsz, nbatches = ds.get_next_shard()
        articles = lg.load(str(pathlib.Path(d) / 'valid.sources.th7'))[4].numpy()
    assert (bsz, nbatches) == (4, 10)
    tgt = inputs.target.numpy()
    np.testing.assert_array_equal(tgt[:5, 0], [0] + articles[0, :3].tolist() + [NT - 1])
    np.testing.assert_array_equal(labels.numpy()[:5, 0], articles[0, :3].tolist() + [0, NT - 1])
    np.testing.assert_array_equal(inputs[2][1].numpy()[1], articles[1])
    np.testing.assert_array_equal(inputs[2][2].numpy()[1], [0, 1, 2, 3])
    assert (tgt[5:, 2:] == NT - 1).all()   # 6 titles: the second batch's last two columns are padding


def test_unrolled_gradient_matches_finite_differences(tmp_path):
    """Mixer.lua's train_one_batch with the XENT weight 1 and every step initialised from the data: the
    parameter gradient its backward through the bptt clones leaves in grad_param is that of the summed
    per-step NLL (finite differences in float64)."""
    lg.manualSeed(3)
    data, model, trainer = build(tmp_path, nhid=6, bsz=3)
    model.set_xent_weight(1)
    model.set_nrstepsinit(BPTT)
    model.clip_param_val = None
    inputs, labels, _, _ = data['valid'].get_next_shard()
    model.reset()
    for i in range(BPTT):
        model.train_one_batch(inputs[i], labels[i], 0)
    grad = model.grad_param.clone()

    def loss():
        model.reset()
        total = 0
        for i in range(BPTT):
            l, n = model.test_one_batch(inputs[i], labels[i])
            total += l / n if n else 0   # a step of padding only: no words, loss 0
        return total

    rng = np.random.default_rng(0)
    for k in rng.choice(model.param.size(0), 12, replace=False):
        k = int(k)
        old = model.param[k]
        model.param[k] = old + 1e-6
        up = loss()
        model.param[k] = old - 1e-6
        down = loss()
        model.param[k] = old
        assert grad[k] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-8), k


def test_mixer_schedule_trains_and_checkpoints(tmp_path):
    """main.lua's schedule, short: XENT epochs lower the training entropy; then REINFORCE on the last steps
    (nrstepsinit 3, 2, XENT weight 0.5) runs with sampled words fed back, rewards counted and the predictors
    of the cumulative reward trained; eval_generation scores BLEU on the valid set; save/load round-trip."""
    lg.manualSeed(1)
    data, model, trainer = build(tmp_path)
    model.set_xent_weight(1)
    trainer.set_nrstepsinit(BPTT)
    trainer.learning_rate = 1.0
    entropies = [trainer.train(data['train'])[0] for _ in range(12)]
    assert entropies[-1] < 0.7 * entropies[0]
    valid_entropy, n = trainer.eval(data['valid'])
    assert n > 0 and valid_entropy < 2.5   # bits per word: 3 for a uniform guess over the 8 words
    trainer.set_nrstepsinit(1)   # main.lua: BLEU of whole generations after each stage
    bleu_xent, ppl = trainer.eval_generation(data['valid'])
    assert 0 < bleu_xent <= 1

    model.set_xent_weight(0.5)
    crp_before = model.param_crp[BPTT].clone()
    rewards = []
    for nrstepsinit in (3, 2):
        trainer.set_nrstepsinit(nrstepsinit)
        entropy, output_rf, reward_err, n_xe, n_rf = trainer.train(data['train'])
        assert n_rf > 0 and 0 <= output_rf <= 1 and math.isfinite(entropy) and reward_err > 0
        rewards.append(output_rf)
    assert max(rewards) > 0
    assert not lg.equal(crp_before, model.param_crp[BPTT])
    trainer.set_nrstepsinit(1)
    bleu, ppl = trainer.eval_generation(data['valid'])
    assert 0 <= bleu <= 1 and model.criterion.reward_func.counter > 0

    model.save(str(tmp_path / 'model_1'))
    other = mx.Mixer(dict(model_config(model)), model.net, model.criterion, True)
    other.load(str(tmp_path / 'model_1'))
    np.testing.assert_array_equal(other.param.numpy(), model.param.numpy())
    assert other.nrstepsinit == 1


def model_config(model):
    return {'eosIndex': model.eosidx, 'n_tokens': model.dict_size, 'paddingIndex': model.padidx, 'bptt': model.bptt,
            'n_hidden': model.cum_reward_predictors[1].weight.size(1) // 2, 'size_hid_layers': model.initial_state_dim,
            'batch_size': model.batch_size, 'grad_param_clip': model.clip_param_val}


@pytest.mark.gpu
def test_mixer_on_cuda(tmp_path):
    """main.lua as written: make_cuda_mm's ``nn.MM():cuda()``, Mixer without ``double`` (net, criterion,
    predictors and NLLs on the GPU), the shards as CudaTensors: a REINFORCE epoch runs and counts rewards."""
    lg.manualSeed(1)
    data, model, trainer = build(tmp_path, cuda=True)
    assert model.param.type() == 'torch.CudaTensor'
    model.set_xent_weight(0.5)
    trainer.set_nrstepsinit(2)
    entropy, output_rf, reward_err, n_xe, n_rf = trainer.train(data['train'])
    assert n_rf > 0 and math.isfinite(entropy)
