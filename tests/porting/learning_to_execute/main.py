"""main.lua: the LSTM (lstm, create_network: an nngraph gModule with MaskedLoss at its head), its clones unrolled
through ``seq_length`` steps, fp/bp with the gradient-norm clip, run_test, show_predictions and the curriculum
loop with ``optim.adam``.

Edits beyond Lua syntax and 0-based indices:

* main.lua calls ``main()`` when loaded; the port defines ``main(arg)`` (``arg`` as the script's command line)
  and leaves the call to its caller. The Lua's globals (``params``, ``model``, ``paramx``, ``state_*``) are this
  module's globals, which utils/strategies.py and utils/utils.py read. ``main`` takes ``params_update``
  (entries laid over the ``params`` table, as one edits the Lua's table), ``lens`` (the three states'
  ``len``, 10001/501/501 in the Lua) and ``max_steps`` (the Lua's ``while true`` ends only when the learning
  rate decays below 1e-3), and returns the accuracies it printed, so that a test can run tiny settings.
* ``hardness=_G[opt.strategy]``: the strategy by name from utils/strategies.py.
* ``model.s`` is the Lua's table from 0 to seq_length: a dict with the same keys; the time step ``i`` (0-based)
  reads ``s[i]`` and writes ``s[i + 1]``. ``state.pos`` is 0-based; where it enters a count
  (``state.pos + params.seq_length > size``) it is ``pos + 1`` (docs/porting.md's row on counts from an index).
* create_network's ``module:getParameters():uniform(...)`` keeps the first result: ``[0]``.
* run_test's ``for i = 1, (size - 1) / seq_length``: an integer here, as the assert on ``len`` makes it.
* show_predictions reads the prediction through nngraph's internals, ``fnodes[#fnodes].data.mapindex[1].input[1]``
  (the output node's first input, MaskedLoss's node, and that node's first input, the log-probabilities):
  legonn's ``forwardnodes`` leaves out the bookkeeping output node and has no ``mapindex`` (docs/porting.md's two
  nngraph node rows): ``g.outputnodes[0].input[0]``. ``random(params.batch_size)``, an index,
  is 0-based as legonn's ``random(n)``.
  ``state.pos > 1`` counts positions from 1: ``state.pos > 0``. Its ``io.write`` goes through data.py's ``log``.
* fp's ``state.count / state.normal`` is 0/0, nan in Lua, while no target has been seen yet (a short
  ``seq_length``): ``math.nan`` there (docs/porting.md's ``0/0`` row).
* ``torch.tic``/``toc`` are legonn's; ``collectgarbage()`` is ``gc.collect()``; ``cutorch.synchronize()`` is cutorch's.
"""
import gc
import math

import legonn as lg
from legonn import cutorch, nn, optim

from . import data
from .data import load_data, symbolsManager
from .layers.Embedding import Embedding
from .layers.MaskedLoss import MaskedLoss
from .utils import strategies
from .utils.strategies import current_hardness, make_harder, target_hardness
from .utils.utils import argmax, ceil, cloneManyTimes, copy_table, floor, init_gpu, random

params = None
model = None
paramx = paramdx = None
state_train = state_val = state_test = None


def lstm(i, prev_c, prev_h):
    def new_input_sum():
        i2h = nn.Linear(params['rnn_size'], params['rnn_size'])
        h2h = nn.Linear(params['rnn_size'], params['rnn_size'])
        return nn.CAddTable()([i2h(i), h2h(prev_h)])
    in_gate = nn.Sigmoid()(new_input_sum())
    forget_gate = nn.Sigmoid()(new_input_sum())
    in_gate2 = nn.Tanh()(new_input_sum())
    next_c = nn.CAddTable()([
        nn.CMulTable()([forget_gate, prev_c]),
        nn.CMulTable()([in_gate, in_gate2])
    ])
    out_gate = nn.Sigmoid()(new_input_sum())
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
    return next_c, next_h


def create_network():
    x = nn.Identity()()
    y = nn.Identity()()
    prev_s = nn.Identity()()
    i = {0: Embedding(symbolsManager.vocab_size, params['rnn_size'])(x)}
    next_s = []
    splitted = list(prev_s.split(2 * params['layers']))
    for layer_idx in range(1, params['layers'] + 1):
        prev_c = splitted[2 * layer_idx - 2]
        prev_h = splitted[2 * layer_idx - 1]
        dropped = nn.Dropout()(i[layer_idx - 1])
        next_c, next_h = lstm(dropped, prev_c, prev_h)
        next_s.append(next_c)
        next_s.append(next_h)
        i[layer_idx] = next_h
    h2y = nn.Linear(params['rnn_size'], symbolsManager.vocab_size)
    pred = nn.LogSoftMax()(h2y(i[params['layers']]))
    err = MaskedLoss()([pred, y])
    module = nn.gModule([x, y, prev_s], [err, nn.Identity()(next_s)])
    module.getParameters()[0].uniform(-params['init_weight'], params['init_weight'])
    if params['gpuidx'] > 0:
        return module.cuda()
    else:
        return module


def setup():
    global paramx, paramdx, model
    print("Creating a RNN LSTM network.")
    core_network = create_network()
    paramx, paramdx = core_network.getParameters()
    model = {}
    model['s'] = {}
    model['ds'] = []
    model['start_s'] = []
    for j in range(params['seq_length'] + 1):
        model['s'][j] = []
        for d in range(2 * params['layers']):
            model['s'][j].append(lg.zeros(params['batch_size'], params['rnn_size']))
            if params['gpuidx'] > 0:
                model['s'][j][d] = model['s'][j][d].cuda()
    for d in range(2 * params['layers']):
        model['start_s'].append(lg.zeros(params['batch_size'], params['rnn_size']))
        model['ds'].append(lg.zeros(params['batch_size'], params['rnn_size']))
        if params['gpuidx'] > 0:
            model['start_s'][d] = model['start_s'][d].cuda()
            model['ds'][d] = model['ds'][d].cuda()
    model['core_network'] = core_network
    model['rnns'] = cloneManyTimes(core_network, params['seq_length'])
    model['norm_dw'] = 0
    reset_ds()


def reset_state(state):
    load_data(state)
    state['pos'] = 0
    state['acc'] = 0
    state['count'] = 0
    state['normal'] = 0
    if model is not None and model.get('start_s') is not None:
        for d in range(2 * params['layers']):
            model['start_s'][d].zero()


def reset_ds():
    for d in range(len(model['ds'])):
        model['ds'][d].zero()


def fp(state, paramx_):
    if paramx_ is not paramx:
        paramx.copy(paramx_)
    copy_table(model['s'][0], model['start_s'])
    if state['pos'] + 1 + params['seq_length'] > state['data']['x'].size(0):
        reset_state(state)
    for i in range(params['seq_length']):
        tmp, model['s'][i + 1] = model['rnns'][i].forward([state['data']['x'][state['pos']],
                                                           state['data']['y'][state['pos'] + 1],
                                                           model['s'][i]])
        if params['gpuidx'] > 0:
            cutorch.synchronize()
        state['pos'] = state['pos'] + 1
        state['count'] = state['count'] + tmp[1]
        state['normal'] = state['normal'] + tmp[2]
    # Lua's 0/0 is nan (no targets in the window yet): docs/porting.md's `0/0` row
    state['acc'] = state['count'] / state['normal'] if state['normal'] != 0 else math.nan
    copy_table(model['start_s'], model['s'][params['seq_length']])


def bp(state):
    paramdx.zero()
    reset_ds()
    if params['gpuidx'] > 0:
        tmp_val = lg.ones(1).cuda()
    else:
        tmp_val = lg.ones(1)
    for i in range(params['seq_length'] - 1, -1, -1):
        state['pos'] = state['pos'] - 1
        tmp = model['rnns'][i].backward([state['data']['x'][state['pos']],
                                         state['data']['y'][state['pos'] + 1],
                                         model['s'][i]],
                                        [tmp_val, model['ds']])[2]
        copy_table(model['ds'], tmp)
        if params['gpuidx'] > 0:
            cutorch.synchronize()
    state['pos'] = state['pos'] + params['seq_length']
    model['norm_dw'] = paramdx.norm()
    if model['norm_dw'] > params['max_grad_norm']:
        shrink_factor = params['max_grad_norm'] / model['norm_dw']
        paramdx.mul(shrink_factor)


def eval_training(paramx_):
    fp(state_train, paramx_)
    bp(state_train)
    return 0, paramdx


def run_test(state):
    reset_state(state)
    for i in range((state['data']['x'].size(0) - 1) // params['seq_length']):
        fp(state, paramx)


def show_predictions(state):
    reset_state(state)
    copy_table(model['s'][0], model['start_s'])
    input = [""]
    prediction = [""]
    sample_idx = 0
    batch_idx = random(params['batch_size'])
    for i in range(state['data']['x'].size(0) - 1):
        tmp = model['rnns'][0].forward([state['data']['x'][state['pos']],
                                        state['data']['y'][state['pos'] + 1],
                                        model['s'][0]])[1]
        if params['gpuidx'] > 0:
            cutorch.synchronize()
        copy_table(model['s'][0], tmp)
        current_x = state['data']['x'][state['pos']][batch_idx]
        input[sample_idx] = input[sample_idx] + symbolsManager.idx2symbol[current_x]
        y = state['data']['y'][state['pos'] + 1][batch_idx]
        if y != -1:
            pred_vector = model['rnns'][0].outputnodes[0].input[0][batch_idx]
            prediction[sample_idx] = prediction[sample_idx] + symbolsManager.idx2symbol[argmax(pred_vector)]
        state['pos'] = state['pos'] + 1
        last_x = state['data']['x'][state['pos'] - 1][batch_idx]
        if state['pos'] > 0 and symbolsManager.idx2symbol[last_x] == ".":
            if sample_idx >= 2:
                break
            sample_idx = sample_idx + 1
            input.append("")
            prediction.append("")
    data.log("Some exemplary predictions for the %s dataset" % state['name'])
    for i in range(len(input)):
        input[i] = input[i].replace("#", "\n\t\t     ")
        input[i] = input[i].replace("@", "\n\tTarget:      ")
        data.log("\tInput:\t     %s" % input[i])
        data.log("\tPrediction:  %s" % prediction[i])
        data.log("\t-----------------------------")
    return input, prediction


def main(arg=(), params_update=None, lens=(10001, 501, 501), max_steps=None):
    global params, state_train, state_val, state_test
    cmd = lg.CmdLine()
    cmd.option('-gpuidx', 1, 'Index of GPU on which job should be executed. 0 for CPU')
    cmd.option('-target_length', 6, 'Length of the target expression.')
    cmd.option('-target_nesting', 3, 'Nesting of the target expression.')
    # Available strategies: baseline, naive, mix, blend.
    cmd.option('-strategy', 'blend', 'Scheduling strategy.')
    cmd.text()
    opt = cmd.parse(list(arg))

    params = {'batch_size': 100,
              'seq_length': 50,
              'layers': 2,
              'rnn_size': 400,
              'init_weight': 0.08,
              'learningRate': 0.5,
              'max_grad_norm': 5,
              'target_length': opt['target_length'],
              'target_nesting': opt['target_nesting'],
              'target_accuracy': 0.95,
              'current_length': 1,
              'current_nesting': 1,
              'gpuidx': opt['gpuidx']}
    params.update(params_update or {})

    init_gpu(opt['gpuidx'])
    state_train = {'hardness': getattr(strategies, opt['strategy']),
                   'len': max(lens[0], params['seq_length'] + 1),
                   'seed': 1,
                   'kind': 0,
                   'batch_size': params['batch_size'],
                   'name': "Training"}
    state_val = {'hardness': current_hardness,
                 'len': max(lens[1], params['seq_length'] + 1),
                 'seed': 1,
                 'kind': 1,
                 'batch_size': params['batch_size'],
                 'name': "Validation"}

    state_test = {'hardness': target_hardness,
                  'len': max(lens[2], params['seq_length'] + 1),
                  'seed': 1,
                  'kind': 2,
                  'batch_size': params['batch_size'],
                  'name': "Test"}
    print("Network parameters:")
    print(params)
    states = [state_train, state_val, state_test]

    for state in states:
        reset_state(state)
        assert state['len'] % params['seq_length'] == 1
    setup()
    step = 0
    epoch = 0
    train_accs = []
    history = []
    total_cases = 0
    start_time = lg.tic()
    print("Starting training.")
    while True:
        epoch_size = floor(state_train['data']['x'].size(0) / params['seq_length'])
        step = step + 1
        if step % epoch_size == 0:
            state_train['seed'] = state_train['seed'] + 1
            load_data(state_train)
        optim.adam(eval_training, paramx, {'learningRate': params['learningRate']}, {})
        total_cases = total_cases + params['seq_length'] * params['batch_size']
        epoch = ceil(step / epoch_size)
        if step % ceil(epoch_size / 2) == 10:
            cps = floor(total_cases / lg.toc(start_time))
            run_test(state_val)
            run_test(state_test)
            accs = ""
            for state in states:
                accs = '%s, %s acc.=%.2f%%' % (accs, state['name'], 100.0 * state['acc'])
            print('epoch=' + str(epoch) + accs +
                  ', current length=' + str(params['current_length']) +
                  ', current nesting=' + str(params['current_nesting']) +
                  ', characters per sec.=' + str(cps) +
                  ', learning rate=' + "%.3f" % params['learningRate'])
            history.append({state['name']: state['acc'] for state in states})
            if (state_val['acc'] > params['target_accuracy']) or \
                    (len(train_accs) >= 5 and train_accs[len(train_accs) - 5] > state_train['acc']):
                if not make_harder():
                    params['learningRate'] = params['learningRate'] * 0.8
                if params['learningRate'] < 1e-3:
                    break
                load_data(state_train)
                load_data(state_val)
                train_accs = []
            train_accs.append(state_train['acc'])
            total_cases = 0
            start_time = lg.tic()
            show_predictions(state_train)
            show_predictions(state_val)
            show_predictions(state_test)
        if step % 33 == 0:
            gc.collect()
        if max_steps is not None and step >= max_steps:
            break
    print("Training is over.")
    return history
