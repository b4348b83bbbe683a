"""torch/rnn's zero mask in backward: a masked row's gradOutput is zeroed by a select before the step's maths
(StepLSTM.lua:136-139, StepGRU.lua:102-105, SeqLSTM.lua:242-244 and 279-283, SeqGRU.lua likewise; their
recursiveZeroMask is a maskedFill, utils.lua:177-195), so an inf or NaN there gives the gradients a zero there
gives. The masked rows' zero gates alone gave 0 * inf, NaN, in the LSTMs' gradInput and parameter gradients."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

T, N, D, H, R = 4, 3, 4, 5, 2
MASKED_STEP_ROWS = ((1, 1), (3, 0))   # (step, row) pairs masked in the sequence cases


def r(*sizes):
    return lg.DoubleTensor(*sizes).uniform(-1, 1)


def step_case(module, state_widths, grad_widths):
    mask = lg.ByteTensor(N).zero()
    mask[1] = 1
    module.maskZero().setZeroMask(mask)
    x = [r(N, D)] + [r(N, w) for w in state_widths]
    go = [r(N, w) for w in grad_widths]
    return module, x, (go if len(go) > 1 else go[0]), [(None, 1)]


def sequence_case(module, by_zero_rows):
    module.maskZero()
    x = r(T, N, D)
    if by_zero_rows:   # Element-Research's mask: the input's all-zero rows
        for t, n in MASKED_STEP_ROWS:
            x[t][n].zero()
    else:
        mask = lg.ByteTensor(T, N).zero()
        for t, n in MASKED_STEP_ROWS:
            mask[t][n] = 1
        module.setZeroMask(mask)
    return module, x, r(T, N, module.outputsize), list(MASKED_STEP_ROWS)


CASES = {
    'StepLSTM': lambda: step_case(nn.StepLSTM(D, H), (H, H), (H, H)),
    'StepLSTM-projected': lambda: step_case(nn.StepLSTM(D, H, R), (R, H), (R, H)),
    'StepGRU': lambda: step_case(nn.StepGRU(D, H), (H,), (H,)),
    'SeqLSTM-setZeroMask': lambda: sequence_case(nn.SeqLSTM(D, H), False),
    'SeqLSTM-zero-rows': lambda: sequence_case(nn.SeqLSTM(D, H), True),
    'SeqLSTMP-setZeroMask': lambda: sequence_case(nn.SeqLSTMP(D, H, R), False),
    'SeqLSTMP-zero-rows': lambda: sequence_case(nn.SeqLSTMP(D, H, R), True),
    'SeqGRU-setZeroMask': lambda: sequence_case(nn.SeqGRU(D, H), False),
    'SeqGRU-zero-rows': lambda: sequence_case(nn.SeqGRU(D, H), True),
}


def as_list(t):
    return t if isinstance(t, list) else [t]


def gradients(module, x, go):
    """(gradInput arrays, parameter gradient arrays) of one forward and backward from zero gradients."""
    module.forward(x)
    module.zeroGradParameters()
    gi = module.backward(x, go)
    return [g.double().numpy().copy() for g in as_list(gi)], \
        [g.double().numpy().copy() for g in module.parameters()[1]]


def set_rows(go, rows, value):
    for t, n in rows:
        for g in as_list(go):
            (g[n] if t is None else g[t][n]).fill(value)


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('case', sorted(CASES))
def test_inf_and_nan_gradoutput_at_masked_rows_give_the_gradients_of_zeros(case, tensor):
    module, x, go, rows = CASES[case]()
    module = module.type(tensor)
    x = [t.type(tensor) for t in x] if isinstance(x, list) else x.type(tensor)
    go = [t.type(tensor) for t in go] if isinstance(go, list) else go.type(tensor)
    set_rows(go, rows, 0)
    zero_gi, zero_params = gradients(module, x, go)
    set_rows(go, rows[:1], float('inf'))
    set_rows(go, rows[1:], float('nan'))
    given = [g.double().numpy().copy() for g in as_list(go)]
    gi, params = gradients(module, x, go)
    for got, expected in zip(gi + params, zero_gi + zero_params):
        assert np.isfinite(got).all()
        np.testing.assert_array_equal(got, expected)
    # the masked rows get no gradient, the others some
    grad_x = gi[0] if case.startswith('Seq') else gi[0][None]
    for t, n in rows:
        assert not grad_x[t or 0][n].any()
    assert np.abs(grad_x).sum() > 0
    # the caller's gradOutput is left as given (the Lua's step modules zero it in place)
    for g, before in zip(as_list(go), given):
        np.testing.assert_array_equal(g.double().numpy(), before)


@pytest.mark.parametrize('case', ['StepLSTM', 'StepLSTM-projected', 'StepGRU'])
def test_step_modules_leave_the_caller_s_gradoutput_and_the_lua_s_rows_are_one_masked_fill_away(case):
    """docs/porting.md: StepLSTM.lua:136-139 and StepGRU.lua:102-105 zero a masked row of the caller's gradOutput
    tensors in place; legonn's step modules leave them as given. A port that reads its gradOutput after backward
    writes the Lua's zeros itself with ``g.maskedFill(zeroMask.view(-1, 1).expandAs(g), 0)``, and gets the same
    gradients either way."""
    module, x, go, _ = CASES[case]()
    module, mask = module.double(), module.zeroMask
    given = [g.clone() for g in as_list(go)]
    gi, params = gradients(module, x, go)
    for g, before in zip(as_list(go), given):
        np.testing.assert_array_equal(g.numpy(), before.numpy())   # legonn: untouched, row 1 still non-zero
        assert g[1].abs().sum() > 0
    lua_go = [g.clone().maskedFill(mask.view(-1, 1).expandAs(g), 0) for g in as_list(go)]
    for g, before in zip(lua_go, given):   # the Lua's gradOutput after backward: row 1 zero, the others as given
        assert not g[1].numpy().any()
        np.testing.assert_array_equal(g.numpy()[[0, 2]], before.numpy()[[0, 2]])
    lua_gi, lua_params = gradients(module, x, lua_go if len(lua_go) > 1 else lua_go[0])
    for got, expected in zip(gi + params, lua_gi + lua_params):
        np.testing.assert_array_equal(got, expected)
