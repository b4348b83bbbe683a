"""code/comm.lua: options, the game and model, and the training loop: run_episode (each agent's forward pass at
each step with its message channel, epsilon-greedy actions, the target network's look-ahead q values), DRU (DIAL's
discretise/regularise unit), then the backward pass through time with TD errors and DIAL's message gradients,
rmsprop, the target network's update, the greedy test episodes and the statistics.

Edits beyond Lua syntax and 0-based indices:

* The script runs when loaded; the port defines ``main(arg)`` (``arg`` as the command line) returning ``stats``
  and ``model``, and leaves the call to its caller. Script locals (``opt``, ``game``, ``model``, ``agent``,
  ``stats``) are locals of ``main``; ``DRU`` is a global function reading the global ``opt``: a closure.
* ``require('game.' .. opt.game)`` and ``require('model.' .. opt.game)`` import those modules by name.
* Actions stay the Lua's codes, 1 .. game_action_space_total, 0 for none, as values in ``a_t``/``a_comm_t``
  (compared with 0, stored, fed back): where a code indexes q values it is ``code - 1``; where ``torch.max``
  gives a 0-based index it becomes the code ``index + 1``; ``torch.random(n)`` draws 1..n, legonn's
  ``random(n)`` 0..n-1 (docs/porting.md's row on ``random(b)``): a code is ``random(1, n + 1)``, an index into
  ``agent.range`` ``random(n)``. The LookupTables read 0-based codes: agent ids ``fill(i)`` with 0-based ``i``;
  the last action input is ``a_t`` where the Lua has ``a_t + 1`` (from zeros, Lua's ones).
* ``step`` keeps the Lua's count from 1 (the episode table is a dict keyed by it, as ``agent.state`` and
  ``d_state`` from 0); ``model.id(step, i)`` is 0-based (model/Switch.py).
* game:getActionRange's ranges are (row, (first, end)) slices (game/Switch.py); ``q_t[action_range[b]]`` is
  ``q_t[row:row + 1, first:end]`` and ``agent.range[{ action_range[b][2] }]`` is ``range[first:end]``.
  getCommLimited's ``{agent, {}}`` is ``(agent, None)``: ``comm[{ {b}, agent, {} }]`` is ``comm[b:b + 1, agent]``.
* ``local a, b = game:getActionRange(step, i)`` of a game returning nil (ColorDigit) sets both to nil: ``... or
  (None, None)`` (a Python tuple assignment needs two values).
* ``agent[i].input_target`` ends in ``agent[i].input[step][5]``, nil without model_action_aware (the table then
  ends there): ``input[4:5]``.
* ``sys.clock()`` (torch's sys package) is ``time.time()``; ``collectgarbage()`` is ``gc.collect()``.
* ``torch.setdefaulttensortype('torch.FloatTensor')`` is kept: the caller restores its own default.
"""
import gc
import importlib
import time

import legonn as lg

from .include import log, util


def main(arg=()):
    # Configuration
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Learning to Communicate with Deep Multi-Agent Reinforcement Learning')
    cmd.text()
    cmd.text('Options')

    # general options:
    cmd.option('-seed', -1, 'initial random seed')
    cmd.option('-threads', 1, 'number of threads')

    # gpu
    cmd.option('-cuda', 0, 'cuda')

    # rl
    cmd.option('-gamma', 1, 'discount factor')
    cmd.option('-eps', 0.05, 'epsilon-greedy policy')

    # model
    cmd.option('-model_rnn', 'gru', 'rnn type')
    cmd.option('-model_dial', 0, 'use dial connection or rial')
    cmd.option('-model_comm_narrow', 1, 'combines comm bits')
    cmd.option('-model_know_share', 1, 'knowledge sharing')
    cmd.option('-model_action_aware', 1, 'last action used as input')
    cmd.option('-model_rnn_size', 128, 'rnn size')
    cmd.option('-model_rnn_layers', 2, 'rnn layers')
    cmd.option('-model_dropout', 0, 'dropout')
    cmd.option('-model_bn', 1, 'batch normalisation')
    cmd.option('-model_target', 1, 'use a target network')
    cmd.option('-model_avg_q', 1, 'avearge q functions')

    # training
    cmd.option('-bs', 32, 'batch size')
    cmd.option('-learningrate', 5e-4, 'learningrate')
    cmd.option('-nepisodes', 1e+6, 'number of episodes')
    cmd.option('-nsteps', 10, 'number of steps')

    cmd.option('-step', 1000, 'print every episodes')
    cmd.option('-step_test', 10, 'print every episodes')
    cmd.option('-step_target', 100, 'target network updates')

    cmd.option('-filename', '', '')

    # games
    # ColorDigit
    cmd.option('-game', 'ColorDigit', 'game name')
    cmd.option('-game_dim', 28, '')
    cmd.option('-game_bias', 0, '')
    cmd.option('-game_colors', 2, '')
    cmd.option('-game_use_mnist', 1, '')
    cmd.option('-game_use_digits', 0, '')
    cmd.option('-game_nagents', 2, '')
    cmd.option('-game_action_space', 2, '')
    cmd.option('-game_comm_limited', 0, '')
    cmd.option('-game_comm_bits', 1, '')
    cmd.option('-game_comm_sigma', 0, '')
    cmd.option('-game_coop', 1, '')
    cmd.option('-game_bottleneck', 10, '')
    cmd.option('-game_level', 'extra_hard', '')
    cmd.option('-game_vision_net', 'mlp', 'mlp or cnn')
    cmd.option('-nsteps', 2, 'number of steps')
    # Switch
    cmd.option('-game', 'Switch', 'game name')
    cmd.option('-game_nagents', 3, '')
    cmd.option('-game_action_space', 2, '')
    cmd.option('-game_comm_limited', 1, '')
    cmd.option('-game_comm_bits', 2, '')
    cmd.option('-game_comm_sigma', 0, '')
    cmd.option('-nsteps', 6, 'number of steps')

    cmd.text()

    opt = cmd.parse(list(arg))

    # Custom options
    if opt['seed'] == -1:
        opt['seed'] = lg.random(1, 1000001)
    opt['model_comm_narrow'] = opt['model_dial']

    if opt['model_rnn'] == 'lstm':
        opt['model_rnn_states'] = 2 * opt['model_rnn_layers']
    elif opt['model_rnn'] == 'gru':
        opt['model_rnn_states'] = opt['model_rnn_layers']

    # Set float as default type
    lg.manualSeed(opt['seed'])
    lg.setnumthreads(opt['threads'])
    lg.setdefaulttensortype('torch.FloatTensor')

    # Cuda initialisation
    if opt['cuda'] == 1:
        from legonn import cutorch
        cutorch.setDevice(0)
        opt['dtype'] = 'torch.CudaTensor'
        print(cutorch.getDeviceProperties(0))
    else:
        opt['dtype'] = 'torch.FloatTensor'

    if opt['model_comm_narrow'] == 0 and opt['game_comm_bits'] > 0:
        opt['game_comm_bits'] = 2 ** opt['game_comm_bits']

    # Initialise game
    game_module = importlib.import_module(__package__ + '.game.' + opt['game'])
    game = getattr(game_module, opt['game'])(opt)

    if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
        # Without dial we add the communication actions to the action space
        opt['game_action_space_total'] = opt['game_action_space'] + opt['game_comm_bits']
    else:
        opt['game_action_space_total'] = opt['game_action_space']

    # Initialise models
    model_module = importlib.import_module(__package__ + '.model.' + opt['game'])
    model = getattr(model_module, opt['game'])(opt)

    # Print options
    util.sprint(opt)

    # Model target evaluate
    model.evaluate(model.agent_target)

    # Get parameters
    params, gradParams, params_target, _ = model.getParameters()

    # Optimisation function
    optim_func, optim_config = model.optim()
    optim_state = {}

    # Initialise agents
    agent = []
    for i in range(opt['game_nagents']):
        agent.append({})

        agent[i]['id'] = lg.Tensor().type(opt['dtype']).resize(opt['bs']).fill(i)

        # Populate init state
        agent[i]['input'] = {}
        agent[i]['input_target'] = {}
        agent[i]['state'] = {}
        agent[i]['state_target'] = {}
        agent[i]['state'][0] = []
        agent[i]['state_target'][0] = []
        for j in range(opt['model_rnn_states']):
            agent[i]['state'][0].append(lg.zeros(opt['bs'], opt['model_rnn_size']).type(opt['dtype']))
            agent[i]['state_target'][0].append(lg.zeros(opt['bs'], opt['model_rnn_size']).type(opt['dtype']))

        agent[i]['d_state'] = {}
        agent[i]['d_state'][0] = []
        for j in range(opt['model_rnn_states']):
            agent[i]['d_state'][0].append(lg.zeros(opt['bs'], opt['model_rnn_size']).type(opt['dtype']))

        # Store q values
        agent[i]['q_next_max'] = {}
        agent[i]['q_comm_next_max'] = {}

    episode = {}

    # Initialise aux vectors
    d_err = lg.Tensor(opt['bs'], opt['game_action_space_total']).type(opt['dtype'])
    td_err = lg.Tensor(opt['bs']).type(opt['dtype'])
    td_comm_err = lg.Tensor(opt['bs']).type(opt['dtype'])
    stats = {
        'r_episode': lg.zeros(opt['nsteps']),
        'td_err': lg.zeros(opt['step']),
        'td_comm': lg.zeros(opt['step']),
        'train_r': lg.zeros(opt['step'], opt['game_nagents']),
        'steps': lg.zeros(opt['step'] // opt['step_test']),
        'test_r': lg.zeros(opt['step'] // opt['step_test'], opt['game_nagents']),
        'comm_per': lg.zeros(opt['step'] // opt['step_test']),
        'te': lg.zeros(opt['step'])
    }

    # split out the communication bits and add noise.
    def DRU(q_t, test_mode):
        if opt['model_dial'] == 0:
            raise RuntimeError('Warning!! Should only be used in DIAL')
        bound = opt['game_action_space']

        q_t_n = q_t[:, 0:bound].clone()
        comm = q_t[:, bound:opt['game_action_space_total']].clone()
        if test_mode:
            if opt['model_comm_narrow'] == 0:
                _, ind = lg.max(comm, 1)
                comm.zero()
                for b in range(opt['bs']):
                    comm[b][ind[b][0]] = 20
            else:
                comm = comm.gt(0.5).type(opt['dtype']).add(-0.5).mul(2 * 20)
        if opt['game_comm_sigma'] > 0 and not test_mode:
            noise_vect = lg.randn(comm.size()).type(opt['dtype']).mul(opt['game_comm_sigma'])
            comm = comm + noise_vect
        return q_t_n, comm

    # Run episode
    def run_episode(opt, game, model, agent, test_mode=None):

        # Test mode
        test_mode = test_mode or False

        # Reset game
        game.reset()

        # Initialise episode
        step = 1
        episode = {
            'comm_per': lg.zeros(opt['bs']),
            'r': lg.zeros(opt['bs'], opt['game_nagents']),
            'steps': lg.zeros(opt['bs']),
            'ended': lg.zeros(opt['bs']),
            'comm_count': 0,
            'non_comm_count': 0
        }
        episode[step] = {
            's_t': game.getState(),
            'terminal': lg.zeros(opt['bs'])
        }
        if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
            episode[step]['comm'] = lg.zeros(opt['bs'], opt['game_nagents'], opt['game_comm_bits']).type(opt['dtype'])
            if opt['model_dial'] == 1 and opt['model_target'] == 1:
                episode[step]['comm_target'] = episode[step]['comm'].clone()
            episode[step]['d_comm'] = lg.zeros(opt['bs'], opt['game_nagents'], opt['game_comm_bits']).type(
                opt['dtype'])

        # Run for N steps
        steps = opt['nsteps'] if test_mode else opt['nsteps'] + 1
        while step <= steps and episode['ended'].sum() < opt['bs']:

            # Initialise next step
            episode[step + 1] = {}

            # Initialise comm channel
            if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
                episode[step + 1]['comm'] = lg.zeros(opt['bs'], opt['game_nagents'], opt['game_comm_bits']).type(
                    opt['dtype'])
                episode[step + 1]['d_comm'] = lg.zeros(opt['bs'], opt['game_nagents'], opt['game_comm_bits']).type(
                    opt['dtype'])
                if opt['model_dial'] == 1 and opt['model_target'] == 1:
                    episode[step + 1]['comm_target'] = lg.zeros(opt['bs'], opt['game_nagents'],
                                                                opt['game_comm_bits']).type(opt['dtype'])

            # Forward pass
            episode[step]['a_t'] = lg.zeros(opt['bs'], opt['game_nagents']).type(opt['dtype'])
            if opt['model_dial'] == 0:
                episode[step]['a_comm_t'] = lg.zeros(opt['bs'], opt['game_nagents']).type(opt['dtype'])

            # Iterate agents
            for i in range(opt['game_nagents']):
                agent[i]['input'][step] = [
                    episode[step]['s_t'][i].type(opt['dtype']),
                    agent[i]['id'],
                    agent[i]['state'][step - 1]
                ]

                # Communication enabled
                if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1:
                    comm_limited = game.getCommLimited(step, i)
                    comm = episode[step]['comm'].clone().type(opt['dtype'])
                    if comm_limited:
                        # Create limited communication channel nbits
                        comm_lim = lg.zeros(opt['bs'], 1, opt['game_comm_bits']).type(opt['dtype'])
                        for b in range(opt['bs']):
                            if comm_limited[b] == 0:
                                comm_lim[b:b + 1].zero()
                            else:
                                comm_lim[b:b + 1] = comm[b:b + 1, comm_limited[b][0]]
                        agent[i]['input'][step].append(comm_lim)
                    else:
                        # zero out own communication if not action aware
                        comm[:, i:i + 1].zero()
                        agent[i]['input'][step].append(comm)

                # Last action enabled
                if opt['model_action_aware'] == 1:
                    # If comm always then use both action
                    if opt['model_dial'] == 0:
                        la = [lg.zeros(opt['bs']).type(opt['dtype']), lg.zeros(opt['bs']).type(opt['dtype'])]
                        if step > 1:
                            for b in range(opt['bs']):
                                # Last action
                                if episode[step - 1]['a_t'][b][i] > 0:
                                    la[0][b:b + 1] = episode[step - 1]['a_t'][b][i]
                                # Last comm action
                                if episode[step - 1]['a_comm_t'][b][i] > 0:
                                    la[1][b:b + 1] = episode[step - 1]['a_comm_t'][b][i] - opt['game_action_space']
                        agent[i]['input'][step].append(la)
                    else:
                        # Action aware for single a, comm action
                        la = lg.zeros(opt['bs']).type(opt['dtype'])
                        if step > 1:
                            for b in range(opt['bs']):
                                if episode[step - 1]['a_t'][b][i] > 0:
                                    la[b:b + 1] = episode[step - 1]['a_t'][b][i]
                        agent[i]['input'][step].append(la)

                # Compute Q values
                agent[i]['state'][step], q_t = model.agent[model.id(step, i)].forward(agent[i]['input'][step])

                # If dial split out the comm values from q values
                if opt['model_dial'] == 1:
                    q_t, comm = DRU(q_t, test_mode)

                # Pick an action (epsilon-greedy)
                action_range = action_range_comm = None
                max_a_comm = None
                if opt['model_dial'] == 0:
                    action_range, action_range_comm = game.getActionRange(step, i) or (None, None)
                else:
                    action_range = game.getActionRange(step, i)

                # If Limited action range
                if action_range:
                    if agent[i].get('range') is None:       # `x = x or ...` of a tensor (docs/porting.md's `a or b`)
                        agent[i]['range'] = lg.range(1, opt['game_action_space_total'])
                    max_value = lg.Tensor(opt['bs'], 1)
                    max_a = lg.zeros(opt['bs'], 1)
                    if opt['model_dial'] == 0:
                        max_a_comm = lg.zeros(opt['bs'], 1)
                    for b in range(opt['bs']):
                        row, (lo, hi) = action_range[b]
                        # If comm always fetch range for comm and actions
                        if opt['model_dial'] == 0:
                            # If action was taken
                            if lo >= 0:
                                v, a = lg.max(q_t[row:row + 1, lo:hi], 1)
                                max_value[b] = v.squeeze()
                                max_a[b] = agent[i]['range'][lo:hi][int(a.squeeze())]
                            # If comm action was taken
                            crow, (clo, chi) = action_range_comm[b]
                            if clo >= 0:
                                v, a = lg.max(q_t[crow:crow + 1, clo:chi], 1)
                                max_a_comm[b] = agent[i]['range'][clo:chi][int(a.squeeze())]
                        else:
                            v, a = lg.max(q_t[row:row + 1, lo:hi], 1)
                            max_a[b] = agent[i]['range'][lo:hi][int(a.squeeze())]
                else:
                    # If comm always pick max_a and max_comm
                    if opt['model_dial'] == 0 and opt['game_comm_bits'] > 0:
                        _, max_a = lg.max(q_t[:, 0:opt['game_action_space']], 1)
                        _, max_a_comm = lg.max(q_t[:, opt['game_action_space']:opt['game_action_space_total']], 1)
                        max_a = max_a + 1
                        max_a_comm = max_a_comm + 1 + opt['game_action_space']
                    else:
                        _, max_a = lg.max(q_t, 1)
                        max_a = max_a + 1

                # Store actions
                episode[step]['a_t'][:, i:i + 1] = max_a.type(opt['dtype'])
                if opt['model_dial'] == 0 and opt['game_comm_bits'] > 0:
                    episode[step]['a_comm_t'][:, i:i + 1] = max_a_comm.type(opt['dtype'])

                for b in range(opt['bs']):

                    # Epsilon-greedy action picking
                    if not test_mode:
                        if opt['model_dial'] == 0:
                            # Random action
                            if lg.uniform() < opt['eps']:
                                if action_range:
                                    row, (lo, hi) = action_range[b]
                                    if lo >= 0:
                                        a_range = agent[i]['range'][lo:hi]
                                        a_idx = lg.random(a_range.nElement())
                                        episode[step]['a_t'][b][i] = agent[i]['range'][lo:hi][a_idx]
                                else:
                                    episode[step]['a_t'][b][i] = lg.random(1, opt['game_action_space'] + 1)

                            # Random communication
                            if opt['game_comm_bits'] > 0 and lg.uniform() < opt['eps']:
                                if action_range:
                                    crow, (clo, chi) = action_range_comm[b]
                                    if clo >= 0:
                                        a_range = agent[i]['range'][clo:chi]
                                        a_idx = lg.random(a_range.nElement())
                                        episode[step]['a_comm_t'][b][i] = agent[i]['range'][clo:chi][a_idx]
                                else:
                                    episode[step]['a_comm_t'][b][i] = lg.random(opt['game_action_space'] + 1,
                                                                                opt['game_action_space_total'] + 1)

                        else:
                            if lg.uniform() < opt['eps']:
                                if action_range:
                                    row, (lo, hi) = action_range[b]
                                    a_range = agent[i]['range'][lo:hi]
                                    a_idx = lg.random(a_range.nElement())
                                    episode[step]['a_t'][b][i] = agent[i]['range'][lo:hi][a_idx]
                                else:
                                    episode[step]['a_t'][b][i] = lg.random(1, q_t[b].size(0) + 1)

                    # If communication action populate channel
                    if step <= opt['nsteps']:
                        # For dial we 'forward' the direct activation otherwise we shift the a_t into the
                        # 1-game_comm_bits range
                        if opt['model_dial'] == 1:
                            episode[step + 1]['comm'][b][i] = comm[b]
                        else:
                            a_t = int(episode[step]['a_comm_t'][b][i] - opt['game_action_space'])
                            if a_t > 0:
                                episode[step + 1]['comm'][b][i:i + 1, a_t - 1:a_t] = 1

                        if episode['ended'][b] == 0:
                            episode['comm_per'][b:b + 1].add(1 / opt['game_nagents'])
                        episode['comm_count'] = episode['comm_count'] + 1

                    else:
                        episode['non_comm_count'] = episode['non_comm_count'] + 1

            # Compute reward for current state-action pair
            episode[step]['r_t'], episode[step]['terminal'] = game.step(episode[step]['a_t'])

            # Accumulate steps (not for +1 step)
            if step <= opt['nsteps']:
                for b in range(opt['bs']):
                    if episode['ended'][b] == 0:

                        # Keep steps and rewards
                        episode['steps'][b:b + 1].add(1)
                        episode['r'][b:b + 1].add(episode[step]['r_t'][b])

                        # Check if terminal
                        if episode[step]['terminal'][b] == 1:
                            episode['ended'][b:b + 1] = 1

            # Target Network, for look-ahead
            if opt['model_target'] == 1 and not test_mode:
                for i in range(opt['game_nagents']):
                    comm = agent[i]['input'][step][3]

                    if opt['game_comm_bits'] > 0 and opt['game_nagents'] > 1 and opt['model_dial'] == 1:
                        comm_limited = game.getCommLimited(step, i)
                        comm = episode[step]['comm_target'].clone().type(opt['dtype'])

                        # Create limited communication channel nbits
                        if comm_limited:
                            comm_lim = lg.zeros(opt['bs'], 1, opt['game_comm_bits']).type(opt['dtype'])
                            for b in range(opt['bs']):
                                if comm_limited[b] == 0:
                                    comm_lim[b:b + 1] = 0
                                else:
                                    comm_lim[b:b + 1] = comm[b:b + 1, comm_limited[b][0]]
                            comm = comm_lim
                        else:
                            comm[:, i:i + 1] = 0

                    # Target input
                    agent[i]['input_target'][step] = [
                        agent[i]['input'][step][0],
                        agent[i]['input'][step][1],
                        agent[i]['state_target'][step - 1],
                        comm,
                    ] + agent[i]['input'][step][4:5]

                    # Forward target
                    state, q_t_target = model.agent_target[model.id(step, i)].forward(agent[i]['input_target'][step])
                    agent[i]['state_target'][step] = state
                    if opt['model_dial'] == 1:
                        q_t_target, comm = DRU(q_t_target, test_mode)

                    # Limit actions
                    if opt['model_dial'] == 0 and opt['game_comm_bits'] > 0:
                        action_range, action_range_comm = game.getActionRange(step, i) or (None, None)
                        if action_range:
                            agent[i]['q_next_max'][step] = lg.zeros(opt['bs']).type(opt['dtype'])
                            agent[i]['q_comm_next_max'][step] = lg.zeros(opt['bs']).type(opt['dtype'])
                            for b in range(opt['bs']):
                                row, (lo, hi) = action_range[b]
                                if lo >= 0:
                                    agent[i]['q_next_max'][step][b], _ = lg.max(q_t_target[row:row + 1, lo:hi], 1)
                                else:
                                    raise RuntimeError('Not implemented')

                                # If comm not available pick from None
                                crow, (clo, chi) = action_range_comm[b]
                                if clo >= 0:
                                    agent[i]['q_comm_next_max'][step][b], _ = lg.max(
                                        q_t_target[crow:crow + 1, clo:chi], 1)
                                else:
                                    agent[i]['q_comm_next_max'][step][b], _ = lg.max(
                                        q_t_target[row:row + 1, lo:hi], 1)
                        else:
                            agent[i]['q_next_max'][step], _ = lg.max(q_t_target[:, 0:opt['game_action_space']], 1)
                            agent[i]['q_comm_next_max'][step], _ = lg.max(
                                q_t_target[:, opt['game_action_space']:opt['game_action_space_total']], 1)
                    else:
                        action_range = game.getActionRange(step, i)
                        if action_range:
                            agent[i]['q_next_max'][step] = lg.zeros(opt['bs']).type(opt['dtype'])
                            for b in range(opt['bs']):
                                row, (lo, hi) = action_range[b]
                                if lo >= 0:
                                    agent[i]['q_next_max'][step][b], _ = lg.max(q_t_target[row:row + 1, lo:hi], 1)
                        else:
                            agent[i]['q_next_max'][step], _ = lg.max(q_t_target, 1)

                    if opt['model_dial'] == 1:
                        for b in range(opt['bs']):
                            episode[step + 1]['comm_target'][b][i] = comm[b]

            # Forward next step
            step = step + 1
            if episode['ended'].sum() < opt['bs']:
                episode[step]['s_t'] = game.getState()

        # Update stats
        episode['nsteps'] = int(episode['steps'].max())
        episode['comm_per'].cdiv(episode['steps'])

        return episode, agent

    # Start time
    beginning_time = lg.tic()

    # Iterate episodes
    for e in range(1, int(opt['nepisodes']) + 1):

        stats['e'] = e

        # Initialise clock
        time_ = time.time()

        # Model training
        model.training(model.agent)

        # Run episode
        episode, agent = run_episode(opt, game, model, agent)

        # Rewards stats
        stats['train_r'][(e - 1) % opt['step']] = episode['r'].mean(0)

        # Reset parameters
        if e == 1:
            gradParams.zero()

        # Backwawrd pass
        step_back = 1
        for step in range(episode['nsteps'], 0, -1):
            stats['td_err'][(e - 1) % opt['step']] = 0
            stats['td_comm'][(e - 1) % opt['step']] = 0

            # Iterate agents
            for i in range(opt['game_nagents']):

                # Compute Q values
                state, q_t = model.agent[model.id(step, i)].output

                # Compute td error
                td_err.zero()
                td_comm_err.zero()
                d_err.zero()

                for b in range(opt['bs']):
                    if step >= episode['steps'][b]:
                        # if first backward init RNN
                        for j in range(opt['model_rnn_states']):
                            agent[i]['d_state'][step_back - 1][j][b].zero()

                    if step <= episode['steps'][b]:

                        # if terminal state or end state => no future rewards
                        a = int(episode[step]['a_t'][b][i])
                        if a > 0:
                            if episode[step]['terminal'][b] == 1:
                                td_err[b] = episode[step]['r_t'][b][i] - q_t[b][a - 1]
                            else:
                                if opt['model_avg_q'] == 1 and opt['model_dial'] == 0 and \
                                        episode[step]['a_comm_t'][b][i] > 0:
                                    q_next_max = (agent[i]['q_next_max'][step + 1].squeeze() +
                                                  agent[i]['q_comm_next_max'][step + 1].squeeze()) / 2
                                else:
                                    q_next_max = agent[i]['q_next_max'][step + 1].squeeze()
                                td_err[b] = episode[step]['r_t'][b][i] + opt['gamma'] * q_next_max[b] - q_t[b][a - 1]
                            d_err[b:b + 1, a - 1:a] = -td_err[b]

                        else:
                            raise RuntimeError('Error!')

                        # Delta Q for communication
                        if opt['model_dial'] == 0:
                            ac = int(episode[step]['a_comm_t'][b][i])
                            if ac > 0:
                                if episode[step]['terminal'][b] == 1:
                                    td_comm_err[b] = episode[step]['r_t'][b][i] - q_t[b][ac - 1]
                                else:
                                    if opt['model_avg_q'] == 1 and episode[step]['a_t'][b][i] > 0:
                                        q_next_max = (agent[i]['q_next_max'][step + 1].squeeze() +
                                                      agent[i]['q_comm_next_max'][step + 1].squeeze()) / 2
                                    else:
                                        q_next_max = agent[i]['q_comm_next_max'][step + 1].squeeze()
                                    td_comm_err[b] = episode[step]['r_t'][b][i] + opt['gamma'] * q_next_max[b] - \
                                        q_t[b][ac - 1]
                                d_err[b:b + 1, ac - 1:ac] = -td_comm_err[b]

                        # If we use dial and the agent took the umbrella comm action and the messsage happened
                        # before last round, the we get incoming derivaties
                        if opt['model_dial'] == 1 and step < episode['steps'][b]:
                            # Derivatives with respect to agent_i's message are stored in d_comm[b][i]
                            bound = opt['game_action_space']
                            d_err[b:b + 1, bound:opt['game_action_space_total']].add(episode[step + 1]['d_comm'][b][i])

                # Track td-err
                stats['td_err'][(e - 1) % opt['step']] = stats['td_err'][(e - 1) % opt['step']] + \
                    0.5 * td_err.clone().pow(2).mean()
                if opt['model_dial'] == 0:
                    stats['td_comm'][(e - 1) % opt['step']] = stats['td_comm'][(e - 1) % opt['step']] + \
                        0.5 * td_comm_err.clone().pow(2).mean()

                # Track the amplitude of the dial-derivatives
                if opt['model_dial'] == 1:
                    bound = opt['game_action_space']
                    stats['td_comm'][(e - 1) % opt['step']] = stats['td_comm'][(e - 1) % opt['step']] + \
                        0.5 * d_err[:, bound:opt['game_action_space_total']].clone().pow(2).mean()

                # Backward pass
                grad = model.agent[model.id(step, i)].backward(agent[i]['input'][step], [
                    agent[i]['d_state'][step_back - 1],
                    d_err
                ])

                # 'state' is the 3rd input, so we can extract d_state
                agent[i]['d_state'][step_back] = grad[2]

                # For dial we need to write add the derivatives w/ respect to the incoming messages to the d_comm
                # tracker
                if opt['model_dial'] == 1:
                    comm_limited = game.getCommLimited(step, i)
                    comm_grad = grad[3]

                    if comm_limited:
                        for b in range(opt['bs']):
                            # Agent could only receive the message if they were active
                            if comm_limited[b] != 0:
                                episode[step]['d_comm'][b:b + 1, comm_limited[b][0]].add(comm_grad[b])
                    else:
                        # zero out own communication unless it's part of the switch riddle
                        comm_grad[:, i:i + 1].zero()
                        episode[step]['d_comm'].add(comm_grad)

            # Count backward steps
            step_back = step_back + 1

        # Update gradients
        def feval(x):
            # Normalise Gradients
            gradParams.div(opt['game_nagents'] * opt['bs'])

            # Clip Gradients
            gradParams.clamp(-10, 10)

            return None, gradParams

        optim_func(feval, params, optim_config, optim_state)

        # Gradient statistics
        if e % opt['step'] == 0:
            stats['grad_norm'] = gradParams.norm() / gradParams.nElement() * 1000

        # Reset parameters
        gradParams.zero()

        # Update target network
        if e % opt['step_target'] == 0:
            params_target.copy(params)

        # Test
        if e % opt['step_test'] == 0:
            test_idx = int((e / opt['step_test'] - 1) % (opt['step'] / opt['step_test']))

            episode, _ = run_episode(opt, game, model, agent, True)
            stats['test_r'][test_idx] = episode['r'].mean(0)
            stats['steps'][test_idx] = episode['steps'].mean()
            stats['comm_per'][test_idx] = episode['comm_count'] / (episode['comm_count'] + episode['non_comm_count'])

        # Compute statistics
        stats['te'][(e - 1) % opt['step']] = time.time() - time_

        if e == opt['step']:
            stats['td_err_avg'] = stats['td_err'].mean()
            stats['td_comm_avg'] = stats['td_comm'].mean()
            stats['train_r_avg'] = stats['train_r'].mean(0)
            stats['test_r_avg'] = stats['test_r'].mean(0)
            stats['steps_avg'] = stats['steps'].mean()
            stats['comm_per_avg'] = stats['comm_per'].mean()
            stats['te_avg'] = stats['te'].mean()
        elif e % opt['step'] == 0:
            coef = 0.9
            stats['td_err_avg'] = stats['td_err_avg'] * coef + stats['td_err'].mean() * (1 - coef)
            stats['td_comm_avg'] = stats['td_comm_avg'] * coef + stats['td_comm'].mean() * (1 - coef)
            stats['train_r_avg'] = stats['train_r_avg'] * coef + stats['train_r'].mean(0) * (1 - coef)
            stats['test_r_avg'] = stats['test_r_avg'] * coef + stats['test_r'].mean(0) * (1 - coef)
            stats['steps_avg'] = stats['steps_avg'] * coef + stats['steps'].mean() * (1 - coef)
            stats['comm_per_avg'] = stats['comm_per_avg'] * coef + stats['comm_per'].mean() * (1 - coef)
            stats['te_avg'] = stats['te_avg'] * coef + stats['te'].mean() * (1 - coef)

        # Print statistics
        if e % opt['step'] == 0:
            log.infof('e=%d, td_err=%.3f, td_err_avg=%.3f, td_comm=%.3f, td_comm_avg=%.3f, tr_r=%.2f, '
                      'tr_r_avg=%.2f, te_r=%.2f, te_r_avg=%.2f, st=%.1f, comm=%.1f%%, grad=%.3f, t/s=%.2f s, t=%d m',
                      stats['e'],
                      stats['td_err'].mean(),
                      stats['td_err_avg'],
                      stats['td_comm'].mean(),
                      stats['td_comm_avg'],
                      stats['train_r'].mean(),
                      stats['train_r_avg'].mean(),
                      stats['test_r'].mean(),
                      stats['test_r_avg'].mean(),
                      stats['steps_avg'],
                      stats['comm_per_avg'] * 100,
                      stats['grad_norm'],
                      stats['te_avg'] * opt['step'],
                      lg.toc(beginning_time) / 60)

            gc.collect()

        # run model specific statistics
        model.stats(opt, game, stats, e)

        # run model specific statistics
        model.save(opt, stats, model)

    return stats, model
