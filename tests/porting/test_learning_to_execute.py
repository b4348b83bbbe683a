"""wojciechz/learning_to_execute run through its port, tests/porting/learning_to_execute/ (main.lua, data.lua,
layers/*.lua, utils/*.lua; each module's docstring lists its edits beyond syntax and indices).

Tiny settings: the script's own options (``-gpuidx 0``, ``-target_length 1 -target_nesting 1``, ``-strategy
naive``) and its ``params`` table shrunk (batch 16, 10 steps unrolled, one layer of 32 cells; 301/101/101
positions per column instead of 10001/501/501), 150 steps of the Lua's ``optim.adam`` loop.
"""
import contextlib
import io

import pytest

import legonn as lg
from legonn import nn

from .learning_to_execute import data, main
from .learning_to_execute.layers.MaskedLoss import MaskedLoss
from .learning_to_execute.utils import strategies
from .learning_to_execute.utils.utils import str_hash

pytestmark = pytest.mark.usefixtures('double_default')


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr(data, 'log', lambda *a: None)


def program_text(code, var):
    return ''.join(line + '\n' for line in code) + 'print(%s)' % var


def test_generated_programs_print_their_targets(quiet, monkeypatch):
    """data.lua's own check (its programs against python2.7) with Python's exec: every composed program prints
    the value compose says, at the hardest settings of hardness_fun (8 digits, nesting 4)."""
    monkeypatch.setattr(main, 'params', {'gpuidx': 0})
    lg.manualSeed(1)
    for k in range(200):
        code, var, output = data.compose(data.hardness_fun)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(program_text(code, var), {})
        assert out.getvalue().strip() == "%d" % output


def test_to_data_marks_only_the_output():
    x, y, orig = data.to_data(['a=5;'], '(a+3)', 8)
    assert orig == 'a=5;#print((a+3))@8.'
    assert len(x) == len(y) == len(orig)
    assert all(t == -1 for t in y[:-2])
    assert [data.symbolsManager.idx2symbol[t] for t in y[-2:]] == ['8', '.']
    assert ''.join(data.symbolsManager.idx2symbol[i] for i in x) == orig


def test_str_hash_splits_three_ways():
    kinds = [str_hash('print(%d)@%d.' % (n, n)) % 3 for n in range(300)]
    assert set(kinds) == {0, 1, 2}
    assert str_hash('ab') == 1 * 12345 % 452930459 + ord('a') * 67890 + ord('b') * 13579
    assert str_hash('abc') == (str_hash('ab') * 12345) % 452930459 + ord('c') * 67890 + 3 * 13579


def test_curriculum_raises_length_then_nesting(monkeypatch):
    monkeypatch.setattr(main, 'params', {'current_length': 1, 'current_nesting': 1,
                                         'target_length': 2, 'target_nesting': 2})
    monkeypatch.setattr(main, 'state_train', {'seed': 1})
    monkeypatch.setattr(main, 'state_val', {'seed': 1})
    steps = []
    while strategies.make_harder():
        steps.append(strategies.naive())
    assert steps == [(2, 1), (1, 2), (2, 2)]
    assert main.state_train['seed'] == 5


def test_masked_loss_counts_marked_targets_only():
    logp = lg.Tensor([[-0.1, -2.0, -3.0], [-1.0, -0.5, -2.0], [-0.2, -0.3, -4.0]])
    target = lg.Tensor([0, 2, -1])
    loss, acc, normal = MaskedLoss().forward([logp, target])
    assert normal == 2 and acc == 1
    assert abs(loss - (0.1 + 2.0) / 3) < 1e-12
    grad = MaskedLoss().updateGradInput([logp, target])[0]
    assert lg.equal(grad, lg.Tensor([[-1 / 3, 0, 0], [0, 0, -1 / 3], [0, 0, 0]]))


def test_masked_loss_target_gradient_is_empty_for_identity():
    """docs/porting.md's MaskedLoss row: the Lua's torch.Tensor({0}) for the targets' gradient is refused by
    legonn's nn.Identity (a size check Torch7's Identity.lua lacks); an empty tensor passes."""
    t = lg.Tensor([0, 2, -1])
    with pytest.raises(ValueError, match='gradOutput'):
        nn.Identity().backward(t, lg.Tensor([0]))
    assert nn.Identity().backward(t, lg.Tensor()).nElement() == 0


def test_training_beats_chance_and_improves(quiet):
    history = main.main(['-gpuidx', '0', '-target_length', '1', '-target_nesting', '1', '-strategy', 'naive'],
                        params_update={'batch_size': 16, 'seq_length': 10, 'layers': 1, 'rnn_size': 32},
                        lens=(301, 101, 101), max_steps=150)
    chance = 1 / data.symbolsManager.vocab_size
    assert len(history) >= 8
    first, last = history[0], history[-1]
    assert last['Training'] > first['Training'] + 0.05
    for name in ('Training', 'Validation', 'Test'):
        assert last[name] > 4 * chance
    inputs, predictions = main.show_predictions(main.state_test)
    assert len(inputs) == len(predictions) >= 1
    assert all('@' not in i and 'print(' in i for i in inputs)


@pytest.mark.gpu
def test_training_runs_on_cuda(quiet):
    """The script's default ``-gpuidx 1``: the network on the GPU, the data (symbol codes) on the host, as in Lua."""
    history = main.main(['-gpuidx', '1', '-target_length', '1', '-target_nesting', '1', '-strategy', 'naive'],
                        params_update={'batch_size': 4, 'seq_length': 10, 'layers': 1, 'rnn_size': 8},
                        lens=(221, 101, 101), max_steps=11)
    assert main.paramx.type() == 'torch.CudaTensor' and main.paramdx.norm() > 0
    assert len(history) == 1 and all(0 <= acc <= 1 for acc in history[0].values())
