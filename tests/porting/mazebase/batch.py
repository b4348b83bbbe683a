"""lua/mazebase/batch.lua: a batch of games, their inputs for the memnn / conv / mlp models, and the batched
act, reward, update, active and success."""
import math

import legonn as lg

g_opts = None
g_vocab = None
g_mazebase = None


def batch_init(size):
    batch = []
    for i in range(size):
        batch.append(g_mazebase.new_game())
    return batch


def batch_input(batch, active, t):
    if g_opts['model'] == 'conv':
        return batch_input_conv(batch, active, t)
    elif g_opts['model'] == 'mlp':
        return batch_input_mlp(batch, active, t)
    active = active.view(len(batch), g_opts['nagents'])
    input = lg.Tensor(len(batch), g_opts['nagents'], g_opts['memsize'], g_opts['max_attributes'])
    input.fill(g_vocab['nil'])
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            g.agent = g.agents[a]
            if active[i][a] == 1:
                g.to_sentence(input[i][a])
    dummy = lg.Tensor(len(batch) * g_opts['nagents'], g_opts['hidsz']).fill(0.1)
    input.resize(len(batch) * g_opts['nagents'], g_opts['memsize'] * g_opts['max_attributes'])
    return [dummy, input]


def batch_input_conv(batch, active, t):
    active = active.view(len(batch), g_opts['nagents'])
    input = lg.Tensor(len(batch), g_opts['nagents'], g_opts['conv_sz'], g_opts['conv_sz'], g_opts['max_attributes'])
    context = lg.Tensor(len(batch), g_opts['nagents'], g_opts['memsize'], g_opts['max_attributes'])
    input.fill(g_vocab['nil'])
    context.fill(g_vocab['nil'])
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            g.agent = g.agents[a]
            m = None
            if active[i][a] == 1:
                m = g.to_map()
            if m is not None:
                dy = math.floor((g_opts['conv_sz'] - m.size(0)) / 2)
                dx = math.floor((g_opts['conv_sz'] - m.size(1)) / 2)
                input[i][a].narrow(0, dy, m.size(0)).narrow(1, dx, m.size(1)).copy(m)
                if g.items_bytype.get('info'):
                    for j, e in enumerate(g.items_bytype['info']):
                        for k, w in enumerate(e.to_sentence(0, 0, True)):
                            context[i][a][j][k] = g_vocab[w]
    return [input.view(len(batch) * g_opts['nagents'], -1), context.view(len(batch) * g_opts['nagents'], -1)]


def batch_input_mlp(batch, active, t):
    mapwords = g_opts['conv_sz'] * g_opts['conv_sz'] * g_opts['nwords']
    nilword = mapwords + g_opts['memsize'] * g_opts['nwords']
    active = active.view(len(batch), g_opts['nagents'])
    input = lg.Tensor(len(batch), g_opts['nagents'], g_opts['memsize'] * g_opts['max_attributes'])
    input.fill(nilword)
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            g.agent = g.agents[a]
            if active[i][a] == 1:
                g.to_map_onehot(input[i][a])
    return input.view(len(batch) * g_opts['nagents'], -1)


def batch_act(batch, action, active):
    active = active.view(len(batch), g_opts['nagents'])
    action = action.view(len(batch), g_opts['nagents'])
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            g.agent = g.agents[a]
            if active[i][a] == 1:
                g.act(action[i][a])


def batch_reward(batch, active, is_last):
    active = active.view(len(batch), g_opts['nagents'])
    reward = lg.Tensor(len(batch), g_opts['nagents']).zero()
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            g.agent = g.agents[a]
            if active[i][a] == 1:
                reward[i][a] = g.get_reward(is_last)
    return reward.view(-1)


def batch_update(batch, active):
    active = active.view(len(batch), g_opts['nagents'])
    for i, g in enumerate(batch):
        for a in range(g_opts['nagents']):
            g.agent = g.agents[a]
            if active[i][a] == 1:
                g.update()
                break


def batch_active(batch):
    active = lg.Tensor(len(batch), g_opts['nagents']).zero()
    for i, g in enumerate(batch):
        if (not getattr(g, 'sv_on', None)) and (not getattr(g, 'qa_on', None)):
            for a in range(g_opts['nagents']):
                g.agent = g.agents[a]
                if g.is_active():
                    active[i][a] = 1
    return active.view(-1)


def batch_success(batch):
    success = lg.Tensor(len(batch)).fill(0)
    for i, g in enumerate(batch):
        if g.is_success():
            success[i] = 1
    return success
