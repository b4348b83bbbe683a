"""code/model/Switch.lua: the agents' network (state, id, incoming message and last action embedded and summed,
a GRU or LSTM, an MLP to the q values and, for DIAL, the message), its clones unrolled over steps and agents
(shared weights with ``model_know_share``), the target network, rmsprop, statistics and saving.

Edits beyond Lua syntax and 0-based indices:

* The Lua returns a function of ``opt`` building a table ``exp`` of closures: ``Switch(opt)`` returns a
  ``types.SimpleNamespace`` of the same functions. Those model/ColorDigit.lua repeats word for word (optim,
  load, clearState, training, evaluate, getParameters, id, and the unrolling at the end) are built by
  ``shared_functions`` and ``unroll`` here, which model/ColorDigit.py calls too.
* ``require 'module.rmsprop'`` replaces ``optim.rmsprop`` in Torch7 for every user; exp.optim returns the
  port's module/rmsprop.py function instead of patching legonn's optim.
* ``nn.SelectTable(i)``, ``nn.SplitTable`` indices and ``nn.CAddTable(2)`` (its argument is ``ip``, a number:
  true in Lua, docs/porting.md's flag row): ``nn.CAddTable(True)``.
* The LookupTables read 0-based codes (game/Switch.py's states, agent ids, comm.py's last actions).
* ``opt.game_comm_limited`` is tested for nil only (Lua's 0 is true).
* ``stats.e % opt.step == 0``'s saving writes ``results/...`` under the current directory as the Lua does;
  ``os.execute('mkdir -p ...')`` is ``os.makedirs``; ``string.upper(string.format("%x", opt.seed))`` is
  ``'%X' % seed``.
"""
import os
import types

import legonn as lg
from legonn import csvigo, graph, nn, paths

from ..include import log, util
from ..module.GRU import GRU
from ..module.LSTM import LSTM
from ..module.rmsprop import rmsprop
from ..module import GaussianNoise, Binarize        # noqa: F401  (required by the Lua, unused)


def Switch(opt):
    exp = types.SimpleNamespace()

    def save(opt, stats, model):
        if stats['e'] % opt['step'] == 0:
            if opt['filename'] == '':
                exp.save_path = getattr(exp, 'save_path', None) or paths.concat(
                    'results', opt['game'] + '_' + str(opt['game_nagents']) +
                    ('_dial' if opt['model_dial'] == 1 else '') + '_' + ('%x' % opt['seed']).upper())
            else:
                exp.save_path = getattr(exp, 'save_path', None) or paths.concat(
                    'results', opt['game'] + '_' + str(opt['game_nagents']) +
                    ('_dial' if opt['model_dial'] == 1 else '') + '_' + opt['filename'] + '_' +
                    ('%x' % opt['seed']).upper())

            # Save opt
            if stats['e'] == opt['step']:
                os.makedirs(exp.save_path, exist_ok=True)
                opt_csv = []
                for k, v in util.spairs(opt):
                    opt_csv.append([k, v])

                csvigo.save({'path': paths.concat(exp.save_path, 'opt.csv'), 'data': opt_csv, 'verbose': False})

            # keep stats
            stats['history'] = stats.get('history') or [['e', 'td_err', 'td_comm', 'train_r', 'test_r', 'test_opt',
                                                         'test_god', 'steps', 'comm_per', 'te']]
            stats['history'].append([
                stats['e'],
                stats['td_err'].mean(),
                stats['td_comm'].mean(),
                stats['train_r'].mean(),
                stats['test_r'].mean(),
                stats['test_opt'].mean(),
                stats['test_god'].mean(),
                stats['steps'].mean(),
                stats['comm_per'].mean(),
                stats['te'].mean()
            ])

            # Save stats csv
            csvigo.save({'path': paths.concat(exp.save_path, 'stats.csv'), 'data': stats['history'],
                         'verbose': False})

            # (hist_action / hist_comm: options the Switch game never sets, nil in Lua)
            # save model
            if stats['e'] % (opt['step'] * 10) == 0:
                log.debug('Saving model')

                # clear state
                # exp.clearState(model.agent)

                # save model
                filename = paths.concat(exp.save_path, 'exp.t7')
                lg.save(filename, [opt, stats, model.agent])
    exp.save = save

    shared_functions(opt, exp)

    def stats_(opt, game, stats, e):
        if e % opt['step_test'] == 0:
            test_idx = int((e / opt['step_test'] - 1) % (opt['step'] / opt['step_test']))

            # Initialise
            # `x = x or torch.zeros(...)` of a tensor: docs/porting.md's `a or b` row
            if stats.get('test_opt') is None:
                stats['test_opt'] = lg.zeros(opt['step'] // opt['step_test'], opt['game_nagents'])
            if stats.get('test_god') is None:
                stats['test_god'] = lg.zeros(opt['step'] // opt['step_test'], opt['game_nagents'])

            # Naive strategy
            r_naive = 0
            for b in range(opt['bs']):
                has_been = game.has_been[b:b + 1, 0:opt['nsteps'], :].sum(1).squeeze(1).gt(0).float().sum()
                if has_been == opt['game_nagents']:
                    r_naive = r_naive + game.reward_all_live
                else:
                    r_naive = r_naive + game.reward_all_die
            stats['test_opt'][test_idx] = r_naive / opt['bs']

            # God strategy
            r_god = 0
            for b in range(opt['bs']):
                has_been = game.has_been[b:b + 1, 0:opt['nsteps'], :].sum(1).squeeze(1).gt(0).float().sum()
                if has_been == opt['game_nagents']:
                    r_god = r_god + game.reward_all_live
            stats['test_god'][test_idx] = r_god / opt['bs']

        # Keep stats
        if e == opt['step']:
            stats['test_opt_avg'] = stats['test_opt'].mean()
            stats['test_god_avg'] = stats['test_god'].mean()
        elif e % opt['step'] == 0:
            coef = 0.9
            stats['test_opt_avg'] = stats['test_opt_avg'] * coef + stats['test_opt'].mean() * (1 - coef)
            stats['test_god_avg'] = stats['test_god_avg'] * coef + stats['test_god'].mean() * (1 - coef)

        # Print statistics
        if e % opt['step'] == 0:
            log.infof('te_opt=%.2f, te_opt_avg=%.2f, te_god=%.2f, te_god_avg=%.2f',
                      stats['test_opt'].mean(),
                      stats['test_opt_avg'],
                      stats['test_god'].mean(),
                      stats['test_god_avg'])
    exp.stats = stats_

    def create_agent():
        # Sizes
        comm_size = 0

        if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
            if opt['game_comm_limited'] is not None:
                comm_size = opt['game_comm_bits']
            else:
                raise RuntimeError('game_comm_limited is required')

        action_aware_size = 0
        if opt['model_action_aware'] == 1:
            action_aware_size = opt['game_action_space_total']

        model_state = nn.Sequential()
        model_state.add(nn.LookupTable(2, opt['model_rnn_size']))

        return agent_graph(opt, model_state, comm_size, action_aware_size)

    # Create model
    unroll(opt, exp, create_agent())

    return exp


def shared_functions(opt, exp):
    """exp.optim, load, clearState, training, evaluate, getParameters and id: model/ColorDigit.lua repeats these
    closures word for word, so both ports take them from here."""
    def optim_(iter=None):
        # iter can be used for learning rate decay
        # local optimfunc = optim.adam
        optimfunc = rmsprop
        optimconfig = {'learningRate': opt['learningrate']}
        return optimfunc, optimconfig
    exp.optim = optim_

    def load():
        pass
    exp.load = load

    def clearState(model):
        for i in range(len(model)):
            model[i].clearState()
    exp.clearState = clearState

    def training(model):
        for i in range(len(model)):
            model[i].training()
    exp.training = training

    def evaluate(model):
        for i in range(len(model)):
            model[i].evaluate()
    exp.evaluate = evaluate

    def getParameters():
        # Get model params
        a = nn.Container()
        for i in range(len(exp.agent)):
            a.add(exp.agent[i])
        params, gradParams = a.getParameters()

        log.infof('Creating model(s), params=%d', params.nElement())

        # Get target model params
        a = nn.Container()
        for i in range(len(exp.agent_target)):
            a.add(exp.agent_target[i])
        params_target, gradParams_target = a.getParameters()

        log.infof('Creating target model(s), params=%d', params_target.nElement())

        return params, gradParams, params_target, gradParams_target
    exp.getParameters = getParameters

    def id(step_i, agent_i):
        # step_i counts from 1 (comm.py), agent_i from 0: the clone's 0-based position
        return (step_i - 1) * opt['game_nagents'] + agent_i
    exp.id = id



def unroll(opt, exp, agent):
    """The end of both model files: the target network as a clone, then the clones over steps and agents."""
    agent_target = agent.clone()

    # Knowledge sharing
    if opt['model_know_share'] == 1:
        exp.agent = util.cloneManyTimes(agent, opt['game_nagents'] * (opt['nsteps'] + 1))
        exp.agent_target = util.cloneManyTimes(agent_target, opt['game_nagents'] * (opt['nsteps'] + 1))
    else:
        exp.agent = {}
        exp.agent_target = {}

        agent_copies = util.copyManyTimes(agent, opt['game_nagents'])
        agent_target_copies = util.copyManyTimes(agent_target, opt['game_nagents'])

        for i in range(opt['game_nagents']):
            unrolled = util.cloneManyTimes(agent_copies[i], opt['nsteps'] + 1)
            unrolled_target = util.cloneManyTimes(agent_target_copies[i], opt['nsteps'] + 1)
            for s in range(1, opt['nsteps'] + 2):
                exp.agent[exp.id(s, i)] = unrolled[s - 1]
                exp.agent_target[exp.id(s, i)] = unrolled_target[s - 1]
        exp.agent = [exp.agent[k] for k in range(len(exp.agent))]
        exp.agent_target = [exp.agent_target[k] for k in range(len(exp.agent_target))]


def agent_graph(opt, model_state, comm_size, action_aware_size):
    """create_agent's graph from the input processing on: model/ColorDigit.lua repeats it word for word, with
    its vision network as ``model_state`` (Switch's LookupTable(2) is made first here, before ``model_input``,
    a CAddTable drawing nothing from the generator, so the weights are drawn in the Lua's order)."""
    # Process inputs
    model_input = nn.Sequential()
    model_input.add(nn.CAddTable(True))
    # if opt.model_bn == 1 then model_input:add(nn.BatchNormalization(opt.model_rnn_size)) end


    # RNN
    if opt['model_rnn'] == 'lstm':
        model_rnn = LSTM(opt['model_rnn_size'], opt['model_rnn_size'], opt['model_rnn_layers'],
                         opt['model_dropout'], opt['model_bn'] == 1)
    elif opt['model_rnn'] == 'gru':
        model_rnn = GRU(opt['model_rnn_size'], opt['model_rnn_size'], opt['model_rnn_layers'],
                        opt['model_dropout'])

    # use default initialization for convnet, but uniform -0.08 to .08 for RNN:
    # double parens necessary
    for param in model_rnn.parameters()[0]:
        param.uniform(-0.08, 0.08)

    # Output
    model_out = nn.Sequential()
    if opt['model_dropout'] > 0:
        model_out.add(nn.Dropout(opt['model_dropout']))
    model_out.add(nn.Linear(opt['model_rnn_size'], opt['model_rnn_size']))
    model_out.add(nn.ReLU(True))
    model_out.add(nn.Linear(opt['model_rnn_size'], opt['game_action_space_total']))

    # Construct Graph
    in_state = nn.Identity()()
    in_id = nn.Identity()()
    in_rnn_state = nn.Identity()()

    in_comm = in_action = None

    in_all = [
        model_state(in_state),
        nn.LookupTable(opt['game_nagents'], opt['model_rnn_size'])(in_id)
    ]

    # Communication enabled
    if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
        in_comm = nn.Identity()()
        # Process comm
        model_comm = nn.Sequential()
        model_comm.add(nn.View(-1, comm_size))
        if opt['model_dial'] == 1:
            if opt['model_comm_narrow'] == 1:
                model_comm.add(nn.Sigmoid())
            else:
                model_comm.add(nn.SoftMax())
        if opt['model_bn'] == 1 and opt['model_dial'] == 1:
            model_comm.add(nn.BatchNormalization(comm_size))
        model_comm.add(nn.Linear(comm_size, opt['model_rnn_size']))
        if opt['model_comm_narrow'] == 1:
            model_comm.add(nn.ReLU(True))

        # Process inputs node
        in_all.append(model_comm(in_comm))

    # Last action enabled
    if opt['model_action_aware'] == 1:
        in_action = nn.Identity()()

        # Process action node (+1 for no-action at 0-step)
        if opt['model_dial'] == 0:
            in_action_aware = nn.CAddTable(True)([
                nn.LookupTable(opt['game_action_space'] + 1, opt['model_rnn_size'])(
                    nn.SelectTable(0)(in_action)),
                nn.LookupTable(opt['game_comm_bits'] + 1, opt['model_rnn_size'])(nn.SelectTable(1)(in_action))
            ])
            in_all.append(in_action_aware)
        else:
            in_all.append(nn.LookupTable(action_aware_size + 1, opt['model_rnn_size'])(in_action))

    # Process inputs
    proc_input = model_input(in_all)

    # 2*n+1 rnn inputs
    rnn_input = []
    rnn_input.append(proc_input)

    # Restore state
    for i in range(opt['model_rnn_states']):
        rnn_input.append(nn.SelectTable(i)(in_rnn_state))

    rnn_output = model_rnn(rnn_input)

    # Split state and out
    rnn_state = rnn_output
    rnn_out = nn.SelectTable(opt['model_rnn_states'] - 1)(rnn_output)

    # Process out
    proc_out = model_out(rnn_out)

    # Create model
    model_inputs = [in_state, in_id, in_rnn_state]
    model_outputs = [rnn_state, proc_out]

    if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
        model_inputs.append(in_comm)

    if opt['model_action_aware'] == 1:
        model_inputs.append(in_action)

    graph.annotateNodes()

    model = nn.gModule(model_inputs, model_outputs)

    return model.type(opt['dtype'])
