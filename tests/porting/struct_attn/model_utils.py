"""models/model_utils.lua: clone_many_times (the function harvardnlp/im2markup and seq2seq-attn carry: its port is
tests/porting/im2markup.py's, re-exported here) and the hand-written adagrad, adam and adadelta steps the train
scripts call on each layer's flat parameters."""
import math

import legonn as lg
from tests.porting.im2markup import clone_many_times  # noqa: F401  (the same Lua function)


def adagrad_step(x, dfdx, lr, state):
    if state.get('var') is None:
        state['var'] = lg.Tensor().typeAs(x).resizeAs(x).zero().add(0.1)
        state['std'] = lg.Tensor().typeAs(x).resizeAs(x)

    state['var'].addcmul(1, dfdx, dfdx)
    state['std'].sqrt(state['var'])
    x.addcdiv(-lr, dfdx, state['std'])


def adam_step(x, dfdx, lr, state):
    beta1 = state.get('beta1', 0.9)
    beta2 = state.get('beta2', 0.999)
    eps = state.get('eps', 1e-8)

    state['t'] = state.get('t', 0)
    state['m'] = state.get('m') if state.get('m') is not None else x.new(dfdx.size()).zero()
    state['v'] = state.get('v') if state.get('v') is not None else x.new(dfdx.size()).zero()
    state['denom'] = state.get('denom') if state.get('denom') is not None else x.new(dfdx.size()).zero()

    state['t'] = state['t'] + 1
    state['m'].mul(beta1).add(1-beta1, dfdx)
    state['v'].mul(beta2).addcmul(1-beta2, dfdx, dfdx)
    state['denom'].copy(state['v']).sqrt().add(eps)

    bias1 = 1-beta1**state['t']
    bias2 = 1-beta2**state['t']
    stepSize = lr * math.sqrt(bias2)/bias1
    x.addcdiv(-stepSize, state['m'], state['denom'])


def adadelta_step(x, dfdx, lr, state):
    rho = state.get('rho', 0.9)
    eps = state.get('eps', 1e-6)
    state['var'] = state.get('var') if state.get('var') is not None else x.new(dfdx.size()).zero()
    state['std'] = state.get('std') if state.get('std') is not None else x.new(dfdx.size()).zero()
    state['delta'] = state.get('delta') if state.get('delta') is not None else x.new(dfdx.size()).zero()
    state['accDelta'] = state.get('accDelta') if state.get('accDelta') is not None else x.new(dfdx.size()).zero()
    state['var'].mul(rho).addcmul(1-rho, dfdx, dfdx)
    state['std'].copy(state['var']).add(eps).sqrt()
    state['delta'].copy(state['accDelta']).add(eps).sqrt().cdiv(state['std']).cmul(dfdx)
    x.add(-lr, state['delta'])
    state['accDelta'].mul(rho).addcmul(1-rho, state['delta'], state['delta'])
