"""facebookarchive/CommNet ported line by line: linear_multi.lua (lines 10-53: a Linear with one weight and bias per
model id, read from LookupTables whose updateGradInput is replaced by one that returns the ids), model.lua (lines
12-203: the encoder as a Linear or a LookupTable-Sum-Add, the mlp/rnn step and the LSTM step, the communication
input summed over senders and its optional encoder, the outputs action_prob, baseline, hidstate, comm_out through
the optional decoder and Replicate, the discrete-communication head, g_init_model with init_std, comm_zero_init and
the NIL row), util.lua (lines 8-65, 83-111, 141-166: get_agent, merge_stat, sample_multinomial, g_load_model,
g_save_model, format_stat), games/batch.lua (lines 8-148), main.lua (lines 8-37, 41-150: init, init_threads, the
options), train.lua (lines 10-467 without plotting, test-run printing and the curriculum: train_batch's episode with
the communication masks, REINFORCE with a learnt baseline, backward through the hops and steps, train with or
without worker threads and its epoch statistics, g_update_param with sgd/rmsprop/adam) and levers/levers.lua with
levers/conv_model.lua (the lever-pulling game: get_reward, make_batch, the CommNet of 1x1 cudnn convolutions whose
communication is a fixed convolution averaging the other agents, and the supervised or REINFORCE loop with its log
file and model snapshots).

The Lua's globals (g_opts, g_model, g_modules, ...) stay module globals: a function that assigns one says
``global`` (docs/porting.md's row). The traffic and combat games (games/MazeBase.lua and the rest) are not ported;
``LeverGame`` below stands in for a MazeBase game with the interface batch.lua calls (``agents``, ``agent``,
``get_visible_state``, ``act``, ``update``, ``get_reward``, ``is_active``, ``is_success``)."""
import functools

import legonn as lg
from legonn import cudnn, nn, optim, paths, threads

g_opts = None
g_modules = None
g_model = None
g_paramx = None
g_paramdx = None
g_bl_loss = None
g_model_inputs = None
g_model_outputs = None
g_log = None
g_optim_state = None
g_workers = None


# --- util.lua -----------------------------------------------------------------------------------------------

def get_agent(g, a):
    return g.agents[a]


def set_current_agent(g, a):
    g.agent = get_agent(g, a)


def merge_stat(stat, s):
    for k, v in s.items():
        if isinstance(v, (int, float)):
            stat[k] = (stat[k] if stat.get(k) is not None else 0) + v
        elif isinstance(v, dict):
            if v.get('op') == 'join':
                if stat.get(k) is not None:
                    sz = list(stat[k]['data'].size())
                    sz[0] = sz[0] + v['data'].size(0)
                    stat[k]['data'].resize(*sz)
                    stat[k]['data'].narrow(0, sz[0] - v['data'].size(0), v['data'].size(0)).copy(v['data'])
                else:
                    stat[k] = {'data': v['data'].clone()}
        else:
            # it must be tensor
            if stat.get(k) is not None:
                stat[k].add(v)
            else:
                stat[k] = v.clone()


def sample_multinomial(p):
    # for some reason multinomial fails sometimes
    try:
        sample = lg.multinomial(p, 1)
    except (ValueError, RuntimeError):
        sample = lg.multinomial(lg.ones(p.size()), 1)
    return sample


def format_stat(stat):
    a = []
    for n in stat:
        a.append(n)
    a.sort()
    str_ = ''
    for i, n in enumerate(a):
        if 'count_' in n:
            str_ = str_ + n + ': ' + '%2.4g' % stat[n] + ' '
    str_ = str_ + '\n'
    for i, n in enumerate(a):
        if 'reward_' in n:
            str_ = str_ + n + ': ' + '%2.4g' % stat[n] + ' '
    str_ = str_ + '\n'
    for i, n in enumerate(a):
        if 'success_' in n:
            str_ = str_ + n + ': ' + '%2.4g' % stat[n] + ' '
    str_ = str_ + '\n'
    str_ = str_ + 'bl_cost: ' + '%2.4g' % stat['bl_cost'] + ' '
    str_ = str_ + 'reward: ' + '%2.4g' % stat['reward'] + ' '
    str_ = str_ + 'success: ' + '%2.4g' % stat['success'] + ' '
    str_ = str_ + 'active: ' + '%2.4g' % stat['step_active'] + ' '
    str_ = str_ + 'epoch: ' + '%.14g' % stat['epoch']
    return str_


def g_load_model():
    global g_log, g_optim_state
    if g_opts['load'] != '':
        if paths.filep(g_opts['load']) is False:
            print('WARNING: Failed to load from ' + g_opts['load'])
            return
        f = lg.load(g_opts['load'])
        g_paramx.copy(f['paramx'])
        g_log = f['log']
        if f.get('optim_state') is not None:
            g_optim_state = f['optim_state']
        print('model loaded from ', g_opts['load'])


def g_save_model():
    if g_opts['save'] != '':
        f = {'opts': g_opts, 'paramx': g_paramx, 'log': g_log}
        if g_optim_state is not None:
            f['optim_state'] = g_optim_state
        lg.save(g_opts['save'], f)
        print('model saved to ', g_opts['save'])


# --- linear_multi.lua ---------------------------------------------------------------------------------------

# linear layer with multple copies of parameters
# which parameters to use is set by model_ids
def linear_multi(sz_in, sz_out, model_ids, input):
    if g_opts['nmodels'] == 1:
        return nn.Linear(sz_in, sz_out)(input)
    weight_lut = nn.LookupTable(g_opts['nmodels'], sz_in * sz_out)(model_ids)
    weight_lut.data.module.updateGradInput = lambda input, gradOutput: input
    bias_lut = nn.LookupTable(g_opts['nmodels'], sz_out)(model_ids)
    bias_lut.data.module.updateGradInput = lambda input, gradOutput: input
    weight_view = nn.View(sz_out, sz_in).setNumInputDims(1)(weight_lut)
    input = nn.View(-1, 1).setNumInputDims(1)(input)
    out = nn.MM(False, False)([weight_view, input])
    out = nn.View(-1).setNumInputDims(2)(out)
    out = nn.CAddTable()([out, bias_lut])
    out.weight_lut = weight_lut
    out.bias_lut = bias_lut
    return out


def linear_multi_test():
    global g_opts
    l1 = nn.Linear(10, 20)
    l2 = nn.Linear(10, 20)
    x = lg.rand(3, 10)
    y1 = l1.forward(x)
    y2 = l2.forward(x)
    input = nn.Identity()()
    ids = nn.Identity()()
    g_opts = {'nmodels': 2}
    lm = linear_multi(10, 20, ids, input)
    w = lm.weight_lut.data.module
    b = lm.bias_lut.data.module
    w.weight[0].copy(l1.weight.view(-1))
    w.weight[1].copy(l2.weight.view(-1))
    b.weight[0].copy(l1.bias)
    b.weight[1].copy(l2.bias)

    model = nn.gModule([input, ids], [lm])
    y = model.forward([x, lg.Tensor([0, 1, 0])])
    assert y.size(0) == 3
    assert y.size(1) == 20
    assert y.dim() == 2
    assert y1[0].add(-1, y[0]).abs().sum() < 1e-3
    assert y2[1].add(-1, y[1]).abs().sum() < 1e-3
    assert y1[2].add(-1, y[2]).abs().sum() < 1e-3


# --- model.lua ----------------------------------------------------------------------------------------------

def nonlin():
    if g_opts['nonlin'] == 'tanh':
        return nn.Tanh()
    elif g_opts['nonlin'] == 'relu':
        return nn.ReLU()
    elif g_opts['nonlin'] == 'none':
        return nn.Identity()
    else:
        raise ValueError('wrong nonlin')


def build_encoder(hidsz):
    in_dim = (g_opts['visibility'] * 2 + 1) ** 2 * g_opts['nwords']
    if g_opts['encoder_lut']:
        in_dim = in_dim + 1  # for NIL padding
        g_opts['encoder_lut_nil'] = in_dim - 1
        m = nn.LookupTable(in_dim, hidsz)
        g_modules['encoder_lut'] = m
        s = nn.Sequential()
        s.add(m)
        s.add(nn.Sum(1))
        s.add(nn.Add(hidsz))  # bias
        g_modules['encoder_sum'] = s.modules[2]
        return s
    else:
        m = nn.Linear(in_dim, hidsz)
        g_modules['encoder_linear'] = m
        return m


def build_rnn(input, prev_hid, comm_in, model_ids):
    pre_hid = []
    pre_hid.append(build_encoder(g_opts['hidsz'])(input))
    pre_hid.append(linear_multi(g_opts['hidsz'], g_opts['hidsz'], model_ids, prev_hid))
    g_modules['pre_hid'] = pre_hid[1].data.module
    if comm_in is not None:
        pre_hid.append(comm_in)
    hidstate = nonlin()(nn.CAddTable()(pre_hid))
    return hidstate


def build_lstm(input, prev_hid, prev_cell, comm_in, model_ids):
    pre_hid = []
    pre_hid.append(build_encoder(g_opts['hidsz'] * 4)(input))
    pre_hid.append(linear_multi(g_opts['hidsz'], g_opts['hidsz'] * 4, model_ids, prev_hid))
    if comm_in is not None:
        pre_hid.append(comm_in)
    A = nn.CAddTable()(pre_hid)
    B = nn.View(4, g_opts['hidsz']).setNumInputDims(2)(A)
    C = nn.SplitTable(0, 2)(B)

    gate_forget = nn.Sigmoid()(nn.SelectTable(0)(C))
    gate_write = nn.Sigmoid()(nn.SelectTable(1)(C))
    gate_read = nn.Sigmoid()(nn.SelectTable(2)(C))
    in2c = nonlin()(nn.SelectTable(3)(C))
    cellstate = nn.CAddTable()([
        nn.CMulTable()([prev_cell, gate_forget]),
        nn.CMulTable()([in2c, gate_write])
    ])
    hidstate = nn.CMulTable()([nonlin()(cellstate), gate_read])
    return hidstate, cellstate


def g_build_model():
    global g_model_inputs, g_model_outputs
    g_model_inputs = {}
    g_model_outputs = {}
    in_mods = []
    out_mods = []

    prev_hid = nn.Identity()()
    g_modules['prev_hid'] = prev_hid.data.module
    input = nn.Identity()()
    in_mods.append(input)
    g_model_inputs['input'] = len(in_mods) - 1
    in_mods.append(prev_hid)
    g_model_inputs['prev_hid'] = len(in_mods) - 1

    model_ids = nn.Identity()()
    if g_opts['nmodels'] > 1:
        in_mods.append(model_ids)
        g_model_inputs['model_ids'] = len(in_mods) - 1

    comm2hid = None
    if g_opts['comm']:
        comm_in = nn.Identity()()
        in_mods.append(comm_in)
        g_model_inputs['comm_in'] = len(in_mods) - 1
        g_modules['comm_in'] = comm_in.data.module
        comm2hid = nn.Sum(1)(comm_in)
        if g_opts['comm_encoder'] == 1:
            if g_opts['model'] == 'lstm':
                comm2hid = linear_multi(g_opts['hidsz'], g_opts['hidsz'] * 4, model_ids, comm2hid)
            else:
                comm2hid = linear_multi(g_opts['hidsz'], g_opts['hidsz'], model_ids, comm2hid)
            g_modules['comm_encoder'] = comm2hid

    if g_opts['model'] == 'mlp' or g_opts['model'] == 'rnn':
        hidstate = build_rnn(input, prev_hid, comm2hid, model_ids)
    elif g_opts['model'] == 'lstm':
        prev_cell = nn.Identity()()
        g_modules['prev_cell'] = prev_cell.data.module
        in_mods.append(prev_cell)
        g_model_inputs['prev_cell'] = len(in_mods) - 1
        hidstate, cellstate = build_lstm(input, prev_hid, prev_cell, comm2hid, model_ids)
        out_mods.append(cellstate)
        g_model_outputs['cellstate'] = len(out_mods) - 1
    else:
        raise ValueError('model not supported')

    action = linear_multi(g_opts['hidsz'], g_opts['nactions'], model_ids, hidstate)
    action_prob = nn.LogSoftMax()(action)
    baseline = linear_multi(g_opts['hidsz'], 1, model_ids, hidstate)
    out_mods.append(action_prob)
    g_model_outputs['action_prob'] = len(out_mods) - 1
    out_mods.append(baseline)
    g_model_outputs['baseline'] = len(out_mods) - 1
    out_mods.append(hidstate)
    g_model_outputs['hidstate'] = len(out_mods) - 1

    if g_opts['comm']:
        if g_opts['fully_connected']:
            # use different params depending on agent ID
            comm_out = linear_multi(g_opts['hidsz'], g_opts['hidsz'] * g_opts['nagents'], model_ids, hidstate)
        else:
            comm_out = hidstate
            if g_opts['comm_decoder'] >= 1:
                comm_out = linear_multi(g_opts['hidsz'], g_opts['hidsz'], model_ids, comm_out)
                g_modules['comm_decoder'] = comm_out
                if g_opts['comm_decoder'] == 2:
                    comm_out = nonlin()(comm_out)
            comm_out = nn.Contiguous()(nn.Replicate(g_opts['nagents'], 1)(comm_out))
        out_mods.append(comm_out)
        g_model_outputs['comm_out'] = len(out_mods) - 1

    if g_opts['nactions_comm'] > 1:
        action_comm = linear_multi(g_opts['hidsz'], g_opts['nactions_comm'], model_ids, hidstate)
        action_comm = nn.LogSoftMax()(action_comm)
        out_mods.append(action_comm)
        g_model_outputs['action_comm'] = len(out_mods) - 1

    model = nn.gModule(in_mods, out_mods)
    return model


def g_init_model():
    global g_modules, g_model, g_paramx, g_paramdx, g_bl_loss
    g_modules = {}
    g_model = g_build_model()
    g_paramx, g_paramdx = g_model.getParameters()
    if g_opts['init_std'] > 0:
        g_paramx.normal(0, g_opts['init_std'])
    if g_opts['comm_zero_init']:
        if g_opts['nmodels'] == 1:
            if g_modules.get('comm_encoder') is not None:
                g_modules['comm_encoder'].data.module.weight.zero()
                g_modules['comm_encoder'].data.module.bias.zero()
            if g_modules.get('comm_decoder') is not None:
                g_modules['comm_decoder'].data.module.weight.zero()
                g_modules['comm_decoder'].data.module.bias.zero()
        else:
            if g_modules.get('comm_encoder') is not None:
                g_modules['comm_encoder'].weight_lut.data.module.weight.zero()
                g_modules['comm_encoder'].bias_lut.data.module.weight.zero()
            if g_modules.get('comm_decoder') is not None:
                g_modules['comm_decoder'].weight_lut.data.module.weight.zero()
                g_modules['comm_decoder'].bias_lut.data.module.weight.zero()
    if g_opts['encoder_lut']:
        # zero NIL embedding
        g_modules['encoder_lut'].weight[g_opts['encoder_lut_nil']].zero()
    g_bl_loss = nn.MSECriterion()
    g_bl_loss.sizeAverage = False


# --- a stand-in for games/MazeBase.lua -----------------------------------------------------------------------

class LeverAgent:
    def __init__(self, word):
        self.word = word
        self.action = None
        self.attr = {}


class LeverGame:
    """Each agent sees one word (0 .. nwords-1) in a 1 x 1 view and has ``nactions`` levers; an agent's reward at
    each step is 1 when it pulls the lever numbered like the word its right-hand neighbour sees, which it can only
    learn from the communication channel (``partner=0`` asks for its own word instead: no communication needed).
    With ``blink`` agent i sits out the steps where (step + i) % 3 == 2 (inactive: no input, action, reward or
    communication)."""

    def __init__(self, nagents, nwords, nactions, partner=1, blink=False):
        self.nagents = nagents
        self.nactions = nactions
        self.partner = partner
        self.blink = blink
        self.steps = 0
        self.agents = [LeverAgent(int(lg.random(nwords))) for _ in range(nagents)]
        for a in self.agents:
            a.nactions = nactions
        self.agent = self.agents[0]

    def _target(self, i):
        return self.agents[(i + self.partner) % self.nagents].word

    def get_visible_state(self, data, use_lut=False):
        if use_lut:
            data[0] = self.agent.word
        else:
            data[0][0][self.agent.word] = 1

    def act(self, action):
        self.agent.action = int(action)

    def update(self):
        self.steps += 1

    def get_reward(self, is_last):
        return 1.0 if self.agent.action == self._target(self.agents.index(self.agent)) else 0.0

    def is_active(self):
        return not (self.blink and (self.steps + self.agents.index(self.agent)) % 3 == 2)

    def is_success(self):
        return all(a.action == self._target(i) for i, a in enumerate(self.agents))


def new_game():
    return LeverGame(g_opts['nagents'], g_opts['nwords'], g_opts['nactions'], g_opts['partner'], g_opts['blink'])


# --- games/batch.lua ----------------------------------------------------------------------------------------

def batch_init(size):
    batch = []
    for i in range(size):
        batch.append(new_game())
    return batch


def batch_input(batch, active, t):
    if g_opts['encoder_lut']:
        return batch_input_lut(batch, active, t)
    active = active.view(len(batch), g_opts['nagents'])
    input = lg.Tensor(len(batch), g_opts['nagents'], 2 * g_opts['visibility'] + 1, 2 * g_opts['visibility'] + 1,
                      g_opts['nwords'])
    input.fill(0)
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            set_current_agent(g, a)
            if active[i][a] == 1:
                g.get_visible_state(input[i][a])
    input = input.view(len(batch) * g_opts['nagents'], -1)
    return input


def batch_input_lut(batch, active, t):
    active = active.view(len(batch), g_opts['nagents'])
    input = lg.Tensor(len(batch), g_opts['nagents'], g_opts['encoder_lut_size'])
    input.fill(g_opts['encoder_lut_nil'])
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            set_current_agent(g, a)
            if active[i][a] == 1:
                g.get_visible_state(input[i][a], True)
    input = input.view(len(batch) * g_opts['nagents'], -1)
    return input


def batch_act(batch, action, active):
    active = active.view(len(batch), g_opts['nagents'])
    action = action.view(len(batch), g_opts['nagents'])
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            set_current_agent(g, a)
            if active[i][a] == 1:
                g.act(action[i][a])


def batch_reset_comm(batch):
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            for b in range(g_opts['nagents']):
                set_current_agent(g, b)
                g.agent.attr.pop('talk_' + str(a), None)


def batch_act_comm(batch, action, mask):
    action = action.view(len(batch), g_opts['nagents'])
    batch_reset_comm(batch)
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            for b in range(g_opts['nagents']):
                if mask[i][a][b] > 0:
                    set_current_agent(g, b)
                    g.agent.attr['talk_' + str(a)] = 'talk' + str(int(action[i][a]))


def batch_reward(batch, active, is_last):
    active = active.view(len(batch), g_opts['nagents'])
    reward = lg.Tensor(len(batch), g_opts['nagents']).zero()
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            set_current_agent(g, a)
            if active[i][a] == 1:
                reward[i][a] = g.get_reward(is_last)
    return reward.view(-1)


def batch_terminal_reward(batch):
    reward = lg.Tensor(len(batch), g_opts['nagents']).zero()
    for i, g in enumerate(batch):
        if getattr(g, 'get_terminal_reward', None) is not None:
            for a in range(g_opts['nagents']):
                set_current_agent(g, a)
                reward[i][a] = g.get_terminal_reward()
    return reward.view(-1)


def batch_update(batch):
    for i, g in enumerate(batch):
        g.update()


def batch_active(batch):
    active = lg.Tensor(len(batch), g_opts['nagents']).zero()
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            set_current_agent(g, a)
            if g.is_active():
                active[i][a] = 1
    return active.view(-1)


def batch_success(batch):
    success = lg.Tensor(len(batch)).fill(0)
    for i, g in enumerate(batch):
        if g.is_success():
            success[i] = 1
    return success


# --- train.lua ----------------------------------------------------------------------------------------------

def train_batch(test_run=False, record=None):
    """One episode of ``g_opts['batch_size']`` games and its backward; ``record`` (a dict, not in the Lua) keeps
    the episode's inputs, actions and masks so that a test can replay the surrogate loss."""
    # start a new episode
    stat = {}
    batch = batch_init(g_opts['batch_size'])

    # TESTS
    assert g_opts['nactions'] == batch[0].agent.nactions
    game_nagents = 0
    for i in range(batch[0].nagents):
        game_nagents = game_nagents + 1
    assert g_opts['nagents'] == game_nagents

    # record episode states
    reward = {}
    input = {}
    action = {}
    action_comm = {}
    active = {}

    # for recurrent models
    hid_state = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['hidsz']).fill(0)
    hid_grad = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['hidsz']).fill(0)
    cell_state, cell_grad = None, None
    if g_opts['model'] == 'lstm':
        cell_state = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['hidsz']).fill(0)
        cell_grad = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['hidsz']).fill(0)
    if g_opts['recurrent']:
        hid_state.fill(g_opts['init_hid'])
        if g_opts['model'] == 'lstm':
            cell_state.fill(g_opts['init_hid'])

    # communication states
    comm_state = lg.zeros(g_opts['batch_size'] * g_opts['nagents'], g_opts['nagents'], g_opts['hidsz'])
    comm_grad = lg.zeros(g_opts['batch_size'] * g_opts['nagents'], g_opts['nagents'], g_opts['hidsz'])
    comm_mask_default = lg.ones(g_opts['nagents'], g_opts['nagents'])
    comm_mask = {}
    for s in range(g_opts['nagents']):
        for d in range(g_opts['nagents']):
            if s == d:
                # no self talking
                comm_mask_default[s][d] = 0

    model_ids = {}
    minds = lg.Tensor(len(batch), g_opts['nagents'])
    for b in range(len(batch)):
        for a in range(g_opts['nagents']):
            if g_opts['fully_connected']:
                minds[b][a] = a
            else:
                minds[b][a] = lg.random(g_opts['nminds'])

    minds = minds.view(-1)
    for i in range(g_opts['nhop']):
        model_ids[i] = minds.clone()
        if g_opts['unshare_hops']:
            model_ids[i].add(i * g_opts['nminds'])

    # play the games
    for t in range(1, g_opts['max_steps'] * g_opts['nhop'] + 1):
        active[t] = batch_active(batch)
        x = batch_input(batch, active[t], t)

        input[t] = [None] * len(g_model_inputs)
        input[t][g_model_inputs['input']] = x
        hop_id = (t - 1) % g_opts['nhop']
        if g_opts['nmodels'] > 1:
            input[t][g_model_inputs['model_ids']] = model_ids[hop_id]
        input[t][g_model_inputs['prev_hid']] = hid_state
        if g_opts['model'] == 'lstm':
            input[t][g_model_inputs['prev_cell']] = cell_state
        if g_opts['comm']:
            input[t][g_model_inputs['comm_in']] = comm_state
        out = g_model.forward(input[t])

        # act when model hops completed
        if t % g_opts['nhop'] == 0:
            stat['step_active'] = stat.get('step_active', 0) + active[t].sum()
            stat['step_count'] = stat.get('step_count', 0) + len(batch) * g_opts['nagents']
            action[t] = sample_multinomial(lg.exp(out[g_model_outputs['action_prob']]))
            batch_act(batch, action[t].view(-1), active[t])
            batch_update(batch)
            reward[t] = batch_reward(batch, active[t], t == g_opts['max_steps'] * g_opts['nhop'])

        hid_state = out[g_model_outputs['hidstate']].clone()
        if g_opts['model'] == 'lstm':
            cell_state = out[g_model_outputs['cellstate']].clone()

        if g_opts['nactions_comm'] > 1:
            # discrete communication words
            action_comm[t] = sample_multinomial(lg.exp(out[g_model_outputs['action_comm']]))

        if g_opts['comm'] or g_opts['nactions_comm'] > 1:
            # determine which agent can talk to which agent?
            m = comm_mask_default.view(1, g_opts['nagents'], g_opts['nagents'])
            m = m.expand(g_opts['batch_size'], g_opts['nagents'], g_opts['nagents']).clone()

            if g_opts['fully_connected']:
                pass  # pass all comm because it is fully connected
            else:
                # inactive agents don't communicate
                m2 = active[t].view(g_opts['batch_size'], g_opts['nagents'], 1).clone()
                m2 = m2.expandAs(m).clone()
                m.cmul(m2)
                m.cmul(m2.transpose(1, 2))

            if g_opts['comm_range'] > 0:
                # far away agents can't communicate
                for i, g in enumerate(batch):
                    for s in range(g_opts['nagents']):
                        for d in range(g_opts['nagents']):
                            dy = abs(get_agent(g, s).loc['y'] - get_agent(g, d).loc['y'])
                            dx = abs(get_agent(g, s).loc['x'] - get_agent(g, d).loc['x'])
                            r = max(dy, dx)
                            if r > g_opts['comm_range']:
                                m[i][s][d] = 0

            if g_opts['comm_mode'] == 'avg':
                # average comms by dividing by number of agents
                m.cdiv(m.sum(1).expandAs(m).clone().add(m.eq(0).float()))
            m.div(g_opts['comm_scale_div'])
            comm_mask[t] = m

        if g_opts['comm']:
            # communication vectors for next step
            h = out[g_model_outputs['comm_out']].clone()
            h = h.view(g_opts['batch_size'], g_opts['nagents'], g_opts['nagents'], g_opts['hidsz'])
            # apply mask
            m = comm_mask[t]
            m = m.view(g_opts['batch_size'], g_opts['nagents'], g_opts['nagents'], 1)
            m = m.expandAs(h).clone()
            h.cmul(m)
            comm_state = h.transpose(1, 2).clone()
            comm_state.resize(g_opts['batch_size'] * g_opts['nagents'], g_opts['nagents'], g_opts['hidsz'])

        # pass discrete communication words between agents
        # (talk even between hops)
        if g_opts['nactions_comm'] > 1:
            batch_act_comm(batch, action_comm[t].view(-1), comm_mask[t])

        # restart internal states if necessary
        if t % g_opts['nhop'] == 0 and g_opts['recurrent'] is False:
            hid_state.zero()
            if g_opts['model'] == 'lstm':
                cell_state.zero()
            if g_opts['comm']:
                comm_state.zero()
            if g_opts['nactions_comm'] > 1:
                batch_reset_comm(batch)

    success = batch_success(batch)
    reward_terminal = batch_terminal_reward(batch)
    if test_run:
        return

    # do back-propagation
    g_paramdx.zero()
    reward_sum = lg.Tensor(g_opts['batch_size'] * g_opts['nagents']).zero()
    reward_sum.add(reward_terminal)
    t_step = 1
    if g_opts['unroll'] > 0:
        t_step = g_opts['unroll_freq']
    # go back in time
    for t_game in range(g_opts['max_steps'], 0, -t_step):
        if g_opts['recurrent'] is False or g_opts['unroll'] > 0:
            hid_grad.zero()
            if g_opts['model'] == 'lstm':
                cell_grad.zero()
            if g_opts['comm']:
                comm_grad.zero()

        t_sta = t_game * g_opts['nhop']
        t_end = (t_game - 1) * g_opts['nhop'] + 1
        if g_opts['unroll'] > 0:
            t_end = t_end - g_opts['unroll'] * g_opts['nhop']
        t_end = max(1, t_end)
        for t in range(t_sta, t_end - 1, -1):
            allow_reward_grad = True
            if t <= (t_game - t_step) * g_opts['nhop']:
                allow_reward_grad = False

            out = g_model.forward(input[t])
            grad = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['nactions']).zero()
            bl_grad = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], 1).zero()
            action_comm_grad = None
            if g_opts['nactions_comm'] > 1:
                action_comm_grad = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['nactions_comm']).zero()
            if allow_reward_grad and t % g_opts['nhop'] == 0:
                reward_sum.add(reward[t])  # cumulative reward

            R = reward_sum.clone()

            if not g_opts['no_coop']:
                # average agents' rewards
                R = R.view(len(batch), g_opts['nagents'])
                R = R.mean(1).expandAs(R).clone()
                R = R.view(-1, 1)
            R.cmul(active[t])
            R.mul(g_opts['reward_mult'])

            baseline = None
            if allow_reward_grad and (t % g_opts['nhop'] == 0 or g_opts['nactions_comm'] > 1):
                # do baseline update on every hop with discrete comm
                baseline = out[g_model_outputs['baseline']]
                if g_opts['bl_off']:
                    baseline.zero()
                baseline.cmul(active[t])
                stat['bl_cost'] = stat.get('bl_cost', 0) + g_bl_loss.forward(baseline, R)
                stat['bl_count'] = stat.get('bl_count', 0) + active[t].sum()
                bl_grad = g_bl_loss.backward(baseline, R)
                bl_grad.mul(g_opts['alpha']).div(g_opts['batch_size'])
                if g_opts['bl_off']:
                    bl_grad.zero()

                if g_opts['nactions_comm'] > 1:
                    # gradient for discrete comm words
                    action_comm_grad.scatter(1, action_comm[t], lg.add(baseline, -1, R))
                    if g_opts['dcomm_entropy_cost'] > 0:
                        logp = out[g_model_outputs['action_comm']]
                        entropy_grad = logp.clone().add(1)
                        entropy_grad.cmul(lg.exp(logp))
                        entropy_grad.mul(g_opts['dcomm_entropy_cost'])
                        entropy_grad.cmul(active[t].view(-1, 1).expandAs(entropy_grad).clone())
                        action_comm_grad.add(entropy_grad)
                    action_comm_grad.div(g_opts['batch_size'])

            if allow_reward_grad and t % g_opts['nhop'] == 0:
                R_action = lg.add(baseline, -1, R)  # with no_coop R has N elements, not N x 1
                grad.scatter(1, action[t], R_action)
                grad.div(g_opts['batch_size'])
            all_grad = [None] * len(g_model_outputs)
            all_grad[g_model_outputs['action_prob']] = grad
            all_grad[g_model_outputs['baseline']] = bl_grad
            if g_opts['nactions_comm'] > 1:
                all_grad[g_model_outputs['action_comm']] = action_comm_grad
            all_grad[g_model_outputs['hidstate']] = hid_grad
            if g_opts['model'] == 'lstm':
                all_grad[g_model_outputs['cellstate']] = cell_grad
            if g_opts['comm']:
                all_grad[g_model_outputs['comm_out']] = comm_grad

            if g_opts['clip_grad'] > 0:
                all_grad[g_model_outputs['hidstate']].renorm(2, 0, g_opts['clip_grad'])
                if g_opts['model'] == 'lstm':
                    all_grad[g_model_outputs['cellstate']].renorm(2, 0, g_opts['clip_grad'])
                if g_opts['comm']:
                    all_grad[g_model_outputs['comm_out']].renorm(2, 0, g_opts['clip_grad'])

            g_model.backward(input[t], all_grad)
            hid_grad = g_modules['prev_hid'].gradInput.clone()
            if g_opts['model'] == 'lstm':
                cell_grad = g_modules['prev_cell'].gradInput.clone()

            if g_opts['comm'] and t > 1:
                h = g_modules['comm_in'].gradInput.clone()
                h = h.view(g_opts['batch_size'], g_opts['nagents'], g_opts['nagents'], g_opts['hidsz'])
                comm_grad = h.transpose(1, 2).clone()
                # apply mask
                m = comm_mask[t - 1]
                m = m.view(g_opts['batch_size'], g_opts['nagents'], g_opts['nagents'], 1)
                m = m.expandAs(comm_grad).clone()
                comm_grad.cmul(m)
                comm_grad.resize(g_opts['batch_size'] * g_opts['nagents'], g_opts['nagents'], g_opts['hidsz'])

    if record is not None:
        record.update(input=input, action=action, active=active, reward=reward, comm_mask=comm_mask,
                      reward_terminal=reward_terminal, action_comm=action_comm)
    stat['reward'] = reward_sum.sum()
    stat['success'] = success.sum()
    stat['count'] = g_opts['batch_size']
    return stat


def train_batch_thread(opts_orig, paramx_orig):
    global g_opts
    g_opts = opts_orig
    g_paramx.copy(paramx_orig)
    stat = train_batch()
    return g_paramdx, stat


# EVERYTHING ABOVE RUNS ON THREADS

def train(N):
    for n in range(N):
        stat = {}
        for k in range(g_opts['nbatches']):
            if g_opts['nworker'] > 1:
                g_paramdx.zero()

                def endcallback(paramdx_thread, s):
                    g_paramdx.add(paramdx_thread)
                    merge_stat(stat, s)
                for w in range(g_opts['nworker']):
                    g_workers.addjob(w, train_batch_thread, endcallback, g_opts, g_paramx)
                g_workers.synchronize()
            else:
                s = train_batch()
                merge_stat(stat, s)
            g_update_param(g_paramx, g_paramdx)
        for k, v in list(stat.items()):
            if k[0:5] == 'count':
                s = k[5:]
                stat['reward' + s] = stat['reward' + s] / v
                stat['success' + s] = stat['success' + s] / v
        if stat.get('bl_count') is not None and stat['bl_count'] > 0:
            stat['bl_cost'] = stat['bl_cost'] / stat['bl_count']
        else:
            stat['bl_cost'] = 0
        stat['step_active'] = stat['step_active'] / stat['step_count']

        stat['epoch'] = len(g_log) + 1
        print(format_stat(stat))

        g_log.append(stat)
        g_save_model()


def g_update_param(x, dx):
    global g_optim_state
    dx.div(g_opts['nworker'])
    if g_opts['max_grad_norm'] > 0:
        if dx.norm() > g_opts['max_grad_norm']:
            dx.div(dx.norm() / g_opts['max_grad_norm'])
    f = lambda x0: (x, dx)
    if g_optim_state is None:
        g_optim_state = {}
    config = {'learningRate': g_opts['lrate']}
    if g_opts['optim'] == 'sgd':
        config['momentum'] = g_opts['momentum']
        config['weightDecay'] = g_opts['wdecay']
        optim.sgd(f, x, config, g_optim_state)
    elif g_opts['optim'] == 'rmsprop':
        config['alpha'] = g_opts['rmsprop_alpha']
        config['epsilon'] = g_opts.get('rmsprob_eps')
        config['weightDecay'] = g_opts['wdecay']
        optim.rmsprop(f, x, config, g_optim_state)
    elif g_opts['optim'] == 'adam':
        config['beta1'] = g_opts['adam_beta1']
        config['beta2'] = g_opts['adam_beta2']
        config['epsilon'] = g_opts['adam_eps']
        optim.adam(f, x, config, g_optim_state)
    else:
        raise ValueError('wrong optim')

    if g_opts['encoder_lut']:
        # zero NIL embedding
        g_modules['encoder_lut'].weight[g_opts['encoder_lut_nil']].zero()


# --- main.lua (lines 41-132: the options and what they imply) -----------------------------------------------

def main_opts(**over):
    """main.lua's ``cmd:option`` defaults (``nworker`` 1, not 18: one process unless a test asks), then its
    derived options (recurrent, unroll, nminds, nmodels, the LSTM's fixed encoder/decoder); ``over`` stands for
    the command line. ``nwords``, ``partner`` and ``blink`` are the stand-in game's (``nwords`` is g_init_vocab's
    count in the Lua); ``bl_off``, which train.lua reads and main.lua never declares (nil), is False. g_update_param
    reads ``rmsprob_eps``, a misspelt option that is nil, so RMSprop keeps its default epsilon."""
    opts = {'model': 'mlp', 'nhop': 1, 'hidsz': 50, 'nonlin': 'tanh', 'init_std': 0.2, 'init_hid': 0.1,
            'unshare_hops': False, 'encoder_lut': False, 'encoder_lut_size': 50, 'unroll': 10, 'unroll_freq': 4,
            'nagents': 1, 'nactions': 6, 'max_steps': 20, 'visibility': 1, 'optim': 'rmsprop', 'lrate': 1e-3,
            'max_grad_norm': 0, 'clip_grad': 0, 'alpha': 0.03, 'epochs': 100, 'nbatches': 100, 'batch_size': 16,
            'nworker': 1, 'reward_mult': 1, 'momentum': 0, 'wdecay': 0, 'rmsprop_alpha': 0.97, 'rmsprop_eps': 1e-6,
            'adam_beta1': 0.9, 'adam_beta2': 0.999, 'adam_eps': 1e-8, 'comm': False, 'comm_mode': 'avg',
            'comm_scale_div': 1, 'comm_encoder': 0, 'comm_decoder': 1, 'comm_zero_init': False, 'comm_range': 0,
            'nactions_comm': 1, 'dcomm_entropy_cost': 0, 'fully_connected': False, 'save': '', 'load': '',
            'no_coop': False, 'bl_off': False, 'nwords': 4, 'partner': 1, 'blink': False}
    opts.update(over)
    if opts['model'] == 'rnn' or opts['model'] == 'lstm':
        opts['recurrent'] = True
        if opts['unroll'] > 0:
            assert opts['unroll'] >= opts['unroll_freq']
    else:
        opts['recurrent'] = False
        opts['unroll'] = 0
    if opts['fully_connected']:
        # simply remove all weight sharing
        opts['nminds'] = opts['nagents']  # all agents different parameters
        opts['unshare_hops'] = True  # all hops different params
        opts['comm'] = True  # connect all agents
        opts['comm_mode'] = 'sum'
        assert opts['comm_encoder'] == 0
        assert opts['comm_zero_init'] is False
    else:
        # usually, all agents share parameters
        opts['nminds'] = 1
    if opts['model'] == 'lstm':
        # for ease of implementation, the model is the same
        opts['comm_encoder'] = 1
        opts['comm_decoder'] = 0
    if opts['unshare_hops'] is False:
        opts['nmodels'] = opts['nminds']
    else:
        opts['nmodels'] = opts['nhop'] * opts['nminds']
    return opts


def init(tensortype, threadid=None):
    """main.lua's init(), which each worker runs: the files are this module (imported with the job), and the
    default tensor type, FloatTensor in main.lua, is the main process's (the tests run in DoubleTensor)."""
    lg.setdefaulttensortype(tensortype)


def worker_setup(opts_orig):
    global g_opts
    g_opts = opts_orig
    g_init_model()


def init_threads():
    """Each Lua worker has its own state, so its g_opts, g_model and g_paramx are its own: worker processes
    (``backend='process'``) keep this module's globals apart as Lua states do (docs/threads.md)."""
    print('starting ' + str(g_opts['nworker']) + ' workers')
    threads.Threads.serialization('threads.sharedserialize')
    workers = threads.Threads(g_opts['nworker'], functools.partial(init, lg.getdefaulttensortype()),
                              backend='process')
    workers.specific(True)
    for w in range(g_opts['nworker']):
        workers.addjob(w, worker_setup, lambda: None, g_opts)
    workers.synchronize()
    return workers


def setup(**over):
    """main.lua's start: the options, the workers, g_log and g_optim_state, g_init_model and g_load_model."""
    global g_opts, g_log, g_optim_state, g_workers
    g_opts = main_opts(**over)
    if g_opts['nworker'] > 1:
        g_workers = init_threads()
    g_log = []
    g_optim_state = {}
    g_init_model()
    g_load_model()


# --- levers/levers.lua and levers/conv_model.lua ------------------------------------------------------------

def get_reward(batchids, acts):
    R = lg.zeros(batchids[-1])
    for s in range(1, batchids.size(0)):
        n = batchids[s] - batchids[s - 1]
        b = acts.sub(batchids[s - 1], batchids[s] - 1)
        sb, sv = b.sort(0)
        sb = sb.squeeze()
        c = sb[0]
        r = 0
        for t in range(1, n):
            if sb[t] != c:
                r = r + 1
                c = sb[t]
        R.sub(batchids[s - 1], batchids[s] - 1).fill(r / (n - 1))
    return R


def make_batch(opts, T, Y, batchids):
    T[0].uniform().mul(opts['nagents']).ceil().add(-1)
    u = T[0].float()
    y = u.clone()
    for s in range(1, batchids.size(0)):
        n = batchids[s] - batchids[s - 1]
        tval, pre_tid = u.sub(batchids[s - 1], batchids[s] - 1).sort(0)
        _, tid = pre_tid.sort()
        y.sub(batchids[s - 1], batchids[s] - 1).copy(tid)
    Y.copy(y)
    return T, Y


# builds a commnet with all-to-all communication.
# uses a fixed input size for simplicity/efficiency:
# if you know the number of agents in advance,
#  can implement with convolutions...
def build_streamlayer(opts):
    # inputs an
    # 3 x opts.hdim x opts.apg*opts.batchsize x 1 tensor
    # corresponding to initial mems, hidden, communication
    # outputs an
    # 2 x opts.hdim x opts.apg*opts.batchsize x 1 tensor
    # corresponding to initial mems, hidden

    P = nn.Sequential()
    P.add(nn.View(3 * opts['hdim'], opts['batchsize'] * opts['apg'], 1))
    P.add(cudnn.SpatialConvolution(3 * opts['hdim'], 3 * opts['hdim'], 1, 1))
    for s in range(opts['slayers_depth']):
        P.add(nn.Threshold(0))
        P.add(cudnn.SpatialConvolution(3 * opts['hdim'], 3 * opts['hdim'], 1, 1))
    P.add(nn.Threshold(0))
    P.add(cudnn.SpatialConvolution(3 * opts['hdim'], opts['hdim'], 1, 1))
    P.add(nn.View(1, opts['hdim'], opts['batchsize'] * opts['apg'], 1))

    Q = nn.Sequential()
    Q.add(nn.Select(0, 0))
    Q.add(nn.View(1, opts['hdim'], opts['batchsize'] * opts['apg'], 1))
    slayer = nn.Concat(0)
    slayer.add(Q)
    slayer.add(P)
    return slayer


class NoGradient:
    """conv_model.lua's ``function() end`` put in K's accGradParameters: a callable of a registered class, since
    levers.lua saves the model and lg.save stores no code (docs/porting.md's row)."""

    def __call__(self, *args):
        pass


lg.register(NoGradient)


def build_communicate_layer(opts):
    bs = opts['apg']
    h = opts['hdim']

    Q = nn.Identity()

    A = nn.Sequential()
    A.add(nn.Select(0, 1))
    if opts.get('communicate_rotate'):
        A.add(cudnn.SpatialConvolution(h, h, 1, 1))
    K = cudnn.SpatialConvolution(h, h * bs, 1, bs, 1, bs)
    K.weight.zero()
    K.bias.zero()
    K.accGradParameters = NoGradient()
    if opts['comm']:
        for s in range(bs):
            for t in range(h):
                for u in range(bs):
                    if s != u:
                        K.weight[t * bs + s][t][u][0] = 1 / (bs - 1)
    A.add(K)
    A.add(nn.View(h, bs, opts['batchsize'], 1))
    A.add(nn.Transpose([1, 2]))
    A.add(nn.View(1, h, opts['batchsize'] * bs, 1))
    A.add(nn.Contiguous())
    A.add(nn.View(1, opts['hdim'], opts['batchsize'] * opts['apg'], 1))

    C = nn.Concat(0)
    C.add(Q)
    C.add(A)
    return C


def conv_model(opts):
    model = nn.Sequential()

    baselayer = nn.ParallelTable()
    mems = nn.Sequential()
    mems.add(nn.LookupTable(opts['nagents'] + 1, opts['mdim']))
    mems.add(nn.Transpose([0, 1]))
    mems.add(nn.View(1, opts['mdim'], opts['batchsize'] * opts['apg'], 1))
    baselayer.add(mems)
    baselayer.add(nn.View(1, opts['mdim'], opts['batchsize'] * opts['apg'], 1))
    baselayer.add(nn.View(1, opts['mdim'], opts['batchsize'] * opts['apg'], 1))

    model.add(baselayer)
    model.add(nn.JoinTable(0))
    bs = None
    for s in range(opts['nlayer']):
        if opts['recurrent']:
            if s == 0:
                bs = build_streamlayer(opts)
                model.add(bs)
            else:
                l = build_streamlayer(opts)
                l.share(bs, 'weight', 'gradWeight', 'bias', 'gradBias')
                model.add(l)
        else:
            model.add(build_streamlayer(opts))
        model.add(build_communicate_layer(opts))
    if opts['recurrent']:
        l = build_streamlayer(opts)
        l.share(bs, 'weight', 'gradWeight', 'bias', 'gradBias')
        model.add(l)
    else:
        model.add(build_streamlayer(opts))

    model.add(nn.Select(0, 1))
    model.add(nn.View(opts['hdim'], opts['batchsize'] * opts['apg']))
    model.add(nn.Transpose([0, 1]))
    model.add(nn.Linear(opts['hdim'], opts['nlevers']))
    model.add(nn.LogSoftMax())
    if opts['cuda']:
        model.cuda()

    return model


def levers_opts(**over):
    """levers.lua's ``cmd:option`` defaults and ``opts.mdim = opts.hdim``; ``cuda`` (not in the Lua, which always
    runs on the GPU) lets the CPU tests leave out the ``:cuda()`` calls."""
    opts = {'apg': 10, 'nagents': 500, 'nlevers': 10, 'maxiter': 1000000, 'hdim': 20, 'slayers_depth': 1,
            'nlayer': 2, 'batchsize': 64, 'verbose': 500, 'lr': .05, 'reward_only': False, 'comm': False,
            'equal_bags': True, 'anneal': 1000000, 'clip': -1, 'savedir': '', 'save': False, 'recurrent': False,
            'logpath': '', 'cuda': True}
    opts.update(over)
    opts['mdim'] = opts['hdim']
    return opts


def levers_main(opts, record=None):
    """levers.lua lines 73-168: the bags of agents, the inputs T, the model and the training loop; returns the
    model and the per-iteration criterion values and mean rewards (what the Lua prints every ``verbose``).
    ``record`` (a dict, not in the Lua) keeps the last iteration's T, output, actions and R."""
    batchids = lg.LongTensor(opts['batchsize'] + 1)
    batchids[0] = 0
    for s in range(opts['batchsize']):
        if opts['equal_bags']:
            batchids[s + 1] = batchids[s] + opts['apg']
        else:
            # a bag size, not an index: torch.random(apg - 1) draws 1 .. apg-1, lg.random 0 .. apg-2
            batchids[s + 1] = batchids[s] + (lg.random(opts['apg'] - 1) + 1) + 1
    N = batchids[-1]
    T = [None] * 5
    T[0] = lg.rand(N).mul(opts['nagents']).ceil().add(-1)
    T[1] = lg.zeros(N, opts['hdim'])
    T[2] = lg.zeros(N, opts['hdim'])
    T[3] = lg.ones(N)
    T[4] = batchids.clone()
    Y = lg.zeros(N)
    if opts['cuda']:
        for s in range(5):
            T[s] = T[s].cuda()
        Y = Y.cuda()

    model = conv_model(opts)

    lgrad = lg.zeros(T[0].size(0), opts['nlevers'])
    grad = lgrad.clone()
    crit = nn.ClassNLLCriterion()
    if opts['cuda']:
        grad = grad.cuda()
        crit = crit.cuda()

    P, dF = model.getParameters()

    er = 0
    tr = 0
    baseline = 0

    logfile = (opts['logpath'] + 'levers_apg' + '%.14g' % opts['apg'] + '_nagents' + '%.14g' % opts['nagents'] +
               '_nlev' + '%.14g' % opts['nlevers'] + '_hdim' + '%.14g' % opts['hdim'] +
               '_nl' + '%.14g' % opts['nlayer'] + '_lr' + '%.14g' % opts['lr'] +
               '_RO' + lg.tostring(opts['reward_only']) +
               '_comm' + lg.tostring(opts['comm']) + '_clp' + '%.14g' % opts['clip'] + '.txt')

    F = None
    if opts['logpath'] != '':
        F = open(logfile, 'w')

    crits, rewards = [], []
    for s in range(1, opts['maxiter'] + 1):
        make_batch(opts, T, Y, batchids)
        model.zeroGradParameters()
        out = model.forward(T)
        acts = lg.multinomial(lg.exp(out), 1).squeeze()
        acts = lg.round(acts)
        R = get_reward(batchids, acts.float())
        rewards.append(R.mean())
        tr = tr + R.mean()
        baseline = .99 * baseline + .01 * R.mean()
        R.add(-baseline)
        R.mul(-1)
        if opts['reward_only']:
            lgrad.zero()
            for t in range(grad.size(0)):
                lgrad[t][acts[t]] = R[t]
            grad.copy(lgrad)
            model.backward(T, grad)
        else:
            crits.append(crit.forward(out, Y))
            er = er + crits[-1]
            model.backward(T, crit.backward(out, Y))
        step = (s - 1 + opts['anneal']) / opts['anneal']
        dt = max(opts['lr'] * (1 / step), .00001 * opts['lr'])
        if opts['clip'] > 0:
            if dF.norm() > opts['clip']:
                dF.div(dF.norm()).mul(opts['clip'])
        P.add(-dt, dF)
        if record is not None:
            record.update(T=T, out=out.clone(), acts=acts, R=R, dF=dF.clone(), dt=dt)

        if s % opts['verbose'] == 1:
            if not opts['reward_only']:
                print('iteration ' + '%.14g' % s + ' dt ' + '%.14g' % dt + ' crit ' + '%.14g' % (er / opts['verbose']) +
                      ' reward ' + '%.14g' % (tr / opts['verbose']))
                er = 0
            else:
                print('iteration ' + '%.14g' % s + ' dt ' + '%.14g' % dt + ' reward ' +
                      '%.14g' % (tr / opts['verbose']))
            if opts['logpath'] != '':
                F.write('%.14g' % (tr / opts['verbose']) + '\n')
                F.flush()
            tr = 0
            if opts['save']:
                lg.save(opts['savedir'] + 'model.th', model)
    if opts['logpath'] != '':
        F.close()
    return model, crits, rewards
