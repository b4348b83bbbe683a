"""harvardnlp/lie-access-memory run through its port, tests/porting/lie_access_memory/ (the package's docstring says
what is ported). The layers are checked by the repository's own totem tests (tests/test_layers.lua, test_kwrap.lua,
test_slantm.lua) and by finite differences in float64; the repository's Narrow, NarrowTable, Normalize and
MixtureTable keep their own semantics beside legonn's nn classes of those names; data/generate.py's datasets (copy,
reverse, bigramFlip) go through data/load.py; models/lstm.lua's, lantm.lua's, slantm.lua's and ram.lua's (with its
tape) kModules, cloned by utils' cloneManyTimesFast and run by fb.lua's forward and backward as train.lua's feval
does, learn a small copy task.

Stand-in data: generate.py's own tasks, tiny (batches of 8, strings of 2 to 4 symbols over an alphabet of 4),
written into tmp_path; the generator is seeded through NumPy's and Python's global generators, as generate.py
draws from them.
"""
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from legonn.graph import debug as graph_debug

from .lie_access_memory.layers.Append import Append
from .lie_access_memory.layers.CMulList import CMulList
from .lie_access_memory.layers.Cos import Cos
from .lie_access_memory.layers.CrossProduct import CrossProduct
from .lie_access_memory.layers.ExpandAs import ExpandAs
from .lie_access_memory.layers.InnerProduct import InnerProduct
from .lie_access_memory.layers.InvNormalize import InvNormalize
from .lie_access_memory.layers.MixtureTable import MixtureTable
from .lie_access_memory.layers.Narrow import Narrow
from .lie_access_memory.layers.NarrowTable import NarrowTable
from .lie_access_memory.layers.Normalize import Normalize
from .lie_access_memory.layers.OneMinus import OneMinus
from .lie_access_memory.layers.PowSum import PowSum
from .lie_access_memory.layers.Sin import Sin
from .lie_access_memory.layers.VAddTable import VAddTable
from .lie_access_memory import fb as fb_module
from .lie_access_memory.data import generate as gen
from .lie_access_memory.data.load import loader
from .lie_access_memory.models.lantm import lantm
from .lie_access_memory.models.lstm import lstm
from .lie_access_memory.models.ram import ram
from .lie_access_memory.models.slantm import slantm
from .lie_access_memory.utils import common
from tests.checks import assert_gpu_matches_cpu, assert_jacobian

pytestmark = pytest.mark.usefixtures('double_default')


def test_the_repositorys_layer_tests_pass(tmp_path, monkeypatch, capsys):
    """tests/test_layers.lua, all eleven tests (it turns nngraph's debug mode on, which writes an SVG of a
    failing graph into the working directory: tmp_path here)."""
    monkeypatch.chdir(tmp_path)
    # its nngraph.setDebug(true), run at import, is process-wide: put back afterwards
    monkeypatch.setitem(graph_debug._state, 'debug', graph_debug.enabled())
    lg.manualSeed(3)
    random.seed(3)
    from .lie_access_memory.tests import test_layers
    test_layers.main()   # raises where a test errs or fails
    out = capsys.readouterr().out
    assert 'in 11 tests with 0 failures and 0 errors' in out and out.count('[PASS]') == 11


def test_the_repositorys_kwrap_tests_pass(capsys):
    """tests/test_kwrap.lua, all eight tests (its asserteq of Penlight Lists and OrderedMaps compares them by
    Penlight's __eq, as Lua's == does)."""
    lg.manualSeed(3)
    from .lie_access_memory.tests import test_kwrap
    test_kwrap.main()
    out = capsys.readouterr().out
    assert 'in 8 tests with 0 failures and 0 errors' in out and out.count('[PASS]') == 8


def test_the_repositorys_slantm_test_passes(capsys):
    """tests/test_slantm.lua: mix_keys rotates a unit key by Rodrigues' formula and keeps keys, axes and (cos, sin)
    on their unit spheres."""
    lg.manualSeed(3)
    from .lie_access_memory.tests import test_slantm
    test_slantm.main()
    out = capsys.readouterr().out
    assert 'in 1 test with 0 failures and 0 errors' in out and out.count('[PASS]') == 1


@pytest.mark.parametrize('make, input', [
    (Cos, lambda: lg.randn(3, 4)),
    (Sin, lambda: lg.randn(3, 4)),
    (lambda: PowSum(2, 2), lambda: lg.randn(2, 3, 4)),
    (lambda: Normalize(1.5), lambda: lg.randn(3, 4)),
    (lambda: Normalize(2), lambda: lg.randn(4)),
    (lambda: Narrow(1, 0, -1), lambda: lg.randn(3, 5)),
    (lambda: Narrow(1, 1, -1), lambda: lg.randn(3, 5)),
])
def test_tensor_layers_gradients_by_finite_differences(make, input):
    lg.manualSeed(5)
    assert_jacobian(make(), input())


def _check_table_gradient(module, structure, leaves, output_size):
    """structure(leaves) builds the module's input table from the flat list of leaf tensors; the gradInput read
    back the same way must equal the finite differences of <output, gradOutput>."""
    lg.manualSeed(11)
    gradOutput = lg.randn(*output_size)
    module.forward(structure(leaves))
    analytic = [g.clone() for g in flatten(module.backward(structure(leaves), gradOutput))]
    eps = 1e-6
    for leaf, grad in zip(leaves, analytic):
        flat = leaf.numpy().reshape(-1)
        numeric = np.zeros(flat.size)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = module.forward(structure(leaves)).dot(gradOutput)
            flat[k] = old - eps
            down = module.forward(structure(leaves)).dot(gradOutput)
            flat[k] = old
            numeric[k] = (up - down) / (2 * eps)
        assert np.allclose(numeric, grad.numpy().reshape(-1), atol=1e-6)


def flatten(t):
    if isinstance(t, list):
        return [x for e in t for x in flatten(e)]
    return [t]


def test_table_layers_gradients_by_finite_differences():
    lg.manualSeed(2)
    A, Bs = lg.randn(3, 4), [lg.randn(3, 4) for _ in range(3)]
    leaves = [A] + Bs
    _check_table_gradient(InnerProduct(), lambda l: [l[0], l[1:]], leaves, (3, 3))
    _check_table_gradient(VAddTable(True), lambda l: [l[0], l[1:]], leaves, (3, 3, 4))
    _check_table_gradient(CrossProduct(), lambda l: l, [lg.randn(5, 3), lg.randn(5, 3)], (5, 3))
    _check_table_gradient(ExpandAs(), lambda l: [l[0], l[1]], [lg.randn(3, 1), lg.randn(3, 4)], (3, 4))
    cols = [lg.randn(3, 1) for _ in range(4)]
    _check_table_gradient(CMulList(), lambda l: [l[:4], l[4]], cols + [lg.randn(3, 4)], (3, 4))
    # MixtureTable of a table of experts (lantm.lua's read: weights over a memory of L slots) and of one tensor
    gater, experts = lg.rand(3, 4), [lg.randn(3, 5) for _ in range(4)]
    _check_table_gradient(MixtureTable(), lambda l: [l[0], l[1:]], [gater] + experts, (3, 5))
    _check_table_gradient(MixtureTable(2), lambda l: l, [lg.rand(3, 2), lg.randn(3, 4, 2)], (3, 4))
    # InvNormalize's backward consumes its forward's buffers (backward_ready), so it is checked here, one forward
    # before each backward, rather than by assert_jacobian's repeated backwards
    _check_table_gradient(InvNormalize(2), lambda l: l[0], [lg.rand(3, 5).add(0.5)], (3, 5))


def test_the_repositorys_narrows_keep_their_own_lengths():
    """layers/Narrow.lua and NarrowTable.lua redefine a length below 1 as the size plus it (ram.lua's
    ``nn.Narrow(2, 1, -1)`` drops the last weight); torch/nn's Narrow.lua:16 (and legonn's) reads -1 as "to the end"."""
    x = lg.Tensor([[1, 2, 3, 4]])
    assert Narrow(1, 0, -1).forward(x).tolist() == [[1, 2, 3]]
    assert Narrow(1, 1, -1).forward(x).tolist() == [[2, 3, 4]]
    assert nn.Narrow(1, 0, -1).forward(x).tolist() == [[1, 2, 3, 4]]
    keys = [lg.Tensor([k]) for k in range(4)]
    assert [t[0] for t in NarrowTable(0, -1).forward(keys)] == [0, 1, 2]
    assert [t[0] for t in nn.NarrowTable(0, -1).forward(keys)] == [0, 1, 2, 3]
    g = NarrowTable(1, -1).backward(keys, [lg.Tensor([5.]), lg.Tensor([6.]), lg.Tensor([7.])])
    assert [t[0] for t in g] == [0, 5, 6, 7]
    # the port's classes keep Torch7's type names, and lg.save takes them under a name of their own
    assert lg.typename(Narrow(1, 0, -1)) == 'nn.Narrow' and isinstance(Normalize(2), nn.Normalize)


def test_the_repositorys_expandas_is_not_rnns():
    """layers/ExpandAs.lua's {A, B} -> A expanded as B; legonn's nn.ExpandAs is rnn's {a, b} -> {a, b expanded}."""
    A, B = lg.Tensor([[1.], [2.]]), lg.zeros(2, 3)
    assert ExpandAs().forward([A, B]).tolist() == [[1, 1, 1], [2, 2, 2]]
    assert isinstance(nn.ExpandAs().forward([B, A]), list)


def test_one_minus_append_and_normalize_forward():
    x = nn.Identity()()
    net = nn.gModule([x], [OneMinus()(x)])
    assert net.forward(lg.Tensor([0.25, 1.])).tolist() == [0.75, 0.]
    out = Append().forward([[lg.ones(2)], lg.zeros(2), lg.ones(3)])
    assert len(out) == 2 and out[1].sum() == 0
    v = lg.Tensor([3., 4.])
    assert np.allclose(Normalize(2).forward(v).numpy(), [0.6, 0.8])
    assert str(Normalize(2)) == 'nn.Normalize(2)' and str(Normalize(1.5)) == 'nn.Normalize(1.500000)'
    # InvNormalize: rows of 1/t^p, L1-normalised
    t = lg.Tensor([[1., 2., 4.]])
    w = 1 / np.array([1., 2., 4.]) ** 2
    assert np.allclose(InvNormalize(2, 0).forward(t).numpy(), [w / w.sum()])


def _generate(tmp_path, task, n=20, low=2, high=4):
    np.random.seed(0)
    random.seed(0)
    return gen.generate_all(task, str(tmp_path), 8, n, low, high, 2, 5, 6, 4, oneindex=False)


@pytest.mark.parametrize('task, answer', [
    ('copy', lambda s: s),
    ('reverse', lambda s: s[::-1]),
    ('bigramFlip', lambda s: [c for i in range(0, len(s), 2) for c in (s[i + 1], s[i])]),
])
def test_load_reads_generated_datasets(tmp_path, task, answer):
    """data/load.lua over generate.py's files: metadata copied into opt, the tensors batch-major, each sample
    ``^ s # f(s) $`` in the symbols of str2int.txt."""
    opt = {'dataset': _generate(tmp_path, task)}
    train, valid, idx2char, char2idx = loader.load(opt)
    assert opt['task'] == task and opt['batch_size'] == 8 and opt['max_valid_seq_len'] == 6
    assert train.size(0) == 8 and valid.size(0) == 8 and set(idx2char.values()) == {'0', '1', '2', '3', '^', '#', '$'}
    assert all(idx2char[char2idx[c]] == c for c in char2idx)
    text = [[idx2char[int(v)] for v in row] for row in train.numpy()]
    for row in text:
        samples = ','.join(row).split(',$')[:-1]
        assert len(samples) == 20
        for sample in samples:
            head, _, tail = sample.strip(',').partition(',#,')
            assert head.startswith('^,')
            s = head[2:].split(',')
            assert 2 <= len(s) <= 4 and tail.split(',') == answer(s)


LANTM_OPT = {'num_memory_modules': 1, 'key_dim': 2, 'mem_width': 8, 'weight_method': 'InvNormalize', 'num_read': 1,
             'init_mem_length': 1, 'bound_act': True, 'bias_gate_write': -10, 'bias_gate_read': 0,
             'bias_gate_act_write': -10, 'bias_gate_act_read': 0, 'bias_init_mem_strength': -10,
             'act_interp': False, 'sumpow': 2, 'invnorm_pow': 1, 'epsilon_read_weight': 1e-9, 'bound_act_exp': 2,
             'blank_input_during_response': True, 'no_write_during_response': True}


def _train_on_copy(tmp_path, monkeypatch, model, extra_opt, iterations, init_magnitude):
    """train.lua's process_data, init_protos, pool_params, reinit_params, clone and feval (fb.forward, fb.backward,
    the gradient divided by the count of answer symbols and clipped) around optim.adam; the losses."""
    lg.manualSeed(0)
    opt = {'dataset': _generate(tmp_path, 'copy'), 'gpuid': -1, 'opencl': 0, 'num_lstm_layers': 1,
           'embedding_size': 8, 'rnn_size': 16, 'num_memory_modules': 0, 'max_grad_norm': 10}
    opt.update(extra_opt)
    train, _, loader.idx2char, loader.char2idx = loader.load(opt)
    monkeypatch.setattr(common, 'opt', opt)       # utils' __opt
    monkeypatch.setattr(fb_module, 'loader', loader)
    state_train = {'data': common.gpu(train.t(), opt), 'pos': 0}
    state_train.update(fine=0, fine_total=0, coarse=0, coarse_total=0)
    opt['vocab_size'] = len(loader.idx2char)
    protos = {'criterion': nn.CrossEntropyCriterion(lg.ones(opt['vocab_size'])),
              'enc_dict': nn.LookupTable(opt['vocab_size'], opt['embedding_size'])}
    protos['rnn'] = model.model(opt, {'enc_dict': protos['enc_dict'], 'criterion': protos['criterion']})
    protos['init_states'] = model.learnable_init_states(opt)
    params, grad_params = common.combineAllParameters(protos['rnn'], protos['init_states'])
    assert params.nElement() == sum(p.nElement() for m in (protos['rnn'], protos['init_states'])
                                    for p in m.parameters()[0])
    if init_magnitude:
        params.uniform(-init_magnitude, init_magnitude)
    clones = {'rnn': common.cloneManyTimesFast(protos['rnn'], 2 * opt['max_valid_seq_len'] + 3)}
    # the clones share the prototype's parameters: one flat vector trains them all
    assert clones['rnn'][5].parameters()[0][0].storage() is protos['rnn'].parameters()[0][0].storage()
    fb_module.fb.init(opt, model.init_states)

    def feval(params_):
        grad_params.zero()
        forward_states, _ = fb_module.fb.forward(state_train, opt, protos, clones)
        loss = forward_states['loss'] / forward_states['nloss']
        fb_module.fb.backward(state_train, forward_states['rnn_states'], opt, protos, clones)
        grad_params.div(forward_states['nloss'])
        grad_norm = grad_params.norm()
        if grad_norm > opt['max_grad_norm']:
            grad_params.mul(opt['max_grad_norm'] / grad_norm)
        return loss, grad_params

    state = {'learningRate': 0.02}
    losses = [optim.adam(feval, params, state)[1][0] for _ in range(iterations)]
    assert 0 < state_train['fine_acc'] <= 1
    return losses, fb_module.rnn_states_seen


def test_the_lstm_model_learns_the_copy_task_through_fb(tmp_path, monkeypatch):
    """models/lstm.lua's kModule: the answer symbols' cross-entropy falls."""
    losses, _ = _train_on_copy(tmp_path, monkeypatch, lstm, {}, 200, 0.1)
    assert np.mean(losses[-20:]) < 0.7 * np.mean(losses[:20])


def test_the_lantm_learns_the_copy_task_through_fb(tmp_path, monkeypatch):
    """models/lantm.lua (xopts/copy/lantm_copy_smalltrain.json's bound_act, nn's own initialisation, options.lua's
    defaults otherwise, a smaller memory width): the memory grows by one vector and key per step of the question
    and not in the answer (no_write_during_response), and the answer symbols' cross-entropy falls."""
    losses, rnn_states = _train_on_copy(tmp_path, monkeypatch, lantm, LANTM_OPT, 60, None)
    assert np.mean(losses[-10:]) < 0.75 * np.mean(losses[:10])
    last = rnn_states[len(rnn_states) - 1]['memory'][0]
    question = [t for t in range(len(rnn_states) - 1) if not rnn_states[t]['answerphase']]
    # init_mem_length 1, then one write per step of the question (its '^' and symbols)
    assert len(last['mem']) == len(last['keys_']) == len(last['mem_strength']) == 1 + len(question)
    assert all(k.size() == (8, 2) for k in last['keys_'])


def test_the_slantm_learns_the_copy_task_through_fb(tmp_path, monkeypatch):
    """models/slantm.lua (keys on the unit sphere of R^3, moved by rotations: Cos, Sin, CrossProduct, Normalize):
    every key it writes has norm 1, and the answer symbols' cross-entropy falls."""
    opt = dict(LANTM_OPT, key_dim=3, angle_bound_bias=-5, squash_mem=True)
    losses, rnn_states = _train_on_copy(tmp_path, monkeypatch, slantm, opt, 60, None)
    assert np.mean(losses[-10:]) < 0.75 * np.mean(losses[:10])
    keys = rnn_states[len(rnn_states) - 1]['memory'][0]['keys_']
    written = np.stack([k.numpy() for k in keys[opt['init_mem_length']:]])
    assert written.shape[1:] == (8, 3) and np.allclose(np.linalg.norm(written, axis=2), 1, atol=1e-6)


def test_the_ram_with_tape_learns_the_copy_task_through_fb(tmp_path, monkeypatch):
    """models/ram.lua with ``tape`` (options.lua then sets init_mem_length to 2): its forward and backward keys mix
    the stored keys one slot after and before the read weights through the repository's Narrow and NarrowTable
    (length -1: all but the last); the answer symbols' cross-entropy falls."""
    opt = dict(LANTM_OPT, tape=True, squash_mem=True, init_mem_length=2, wt_sharpening=False)
    losses, rnn_states = _train_on_copy(tmp_path, monkeypatch, ram, opt, 60, None)
    assert np.mean(losses[-10:]) < 0.75 * np.mean(losses[:10])
    memory = rnn_states[len(rnn_states) - 1]['memory'][0]
    assert memory['forward_keys'][0].size() == memory['backward_keys'][0].size() == (8, 2)
    assert len(memory['keys_']) > 2


@pytest.mark.gpu
@pytest.mark.parametrize('make, input', [
    (Cos, lambda: lg.randn(3, 4)),
    (Sin, lambda: lg.randn(3, 4)),
    (lambda: PowSum(2, 2), lambda: lg.randn(2, 3, 4)),
    (lambda: InvNormalize(2), lambda: lg.rand(3, 5).add(0.5)),
    (lambda: Normalize(1.5), lambda: lg.randn(3, 4)),
    (lambda: Narrow(1, 0, -1), lambda: lg.randn(3, 5)),
    (InnerProduct, lambda: [lg.randn(3, 4), [lg.randn(3, 4), lg.randn(3, 4)]]),
    (lambda: VAddTable(True), lambda: [lg.randn(3, 4), [lg.randn(3, 4), lg.randn(3, 4)]]),
    (CrossProduct, lambda: [lg.randn(5, 3), lg.randn(5, 3)]),
    (MixtureTable, lambda: [lg.rand(3, 2), [lg.randn(3, 5), lg.randn(3, 5)]]),
])
def test_the_layers_on_cuda_match_the_cpu(make, input):
    lg.manualSeed(4)
    assert_gpu_matches_cpu(make(), input())


def test_gradients_of_one_node_in_two_shapes_are_refused(tmp_path, monkeypatch):
    """CMulList.lua's gradients are ``(batch)`` for ``(batch, 1)`` strengths, which Append also gets: nngraph sums
    the two by element count, legonn's gModule refuses the sum naming the node (docs/porting.md), so the port views
    each as its input."""
    class FlatGradient(nn.Module):
        def updateOutput(self, input):
            self.output = input.clone()
            return self.output

        def updateGradInput(self, input, gradOutput):
            self.gradInput = gradOutput.clone().view(-1)
            return self.gradInput

    monkeypatch.chdir(tmp_path)   # in debug mode a failing graph is drawn into the working directory
    x = nn.Identity()()
    g = nn.gModule([x], [nn.CAddTable()([FlatGradient()(x), nn.Identity()(x)])])
    inp = lg.randn(3, 1)
    g.forward(inp)
    with pytest.raises(ValueError, match='Identity'):
        g.backward(inp, lg.ones(3, 1))
    cols = [lg.randn(3, 1) for _ in range(2)]
    grads = CMulList().backward([cols, lg.randn(3, 2)], lg.ones(3, 2))
    assert [t.size() for t in grads[0]] == [(3, 1), (3, 1)]
