"""train.lua (without the progress bar; the epoch's g_save_model is util.py's): train_batch (an
episode over a batch of games, then REINFORCE with the learnt baseline backward through the steps),
apply_curriculum, train and g_update_param (sgd or util.lua's rmsprop)."""
import legonn as lg

from .batch import (batch_act, batch_active, batch_init, batch_input, batch_reward, batch_success,
                    batch_update)
from . import util
from .util import format_helpers, format_stat, rmsprop

g_opts = None
g_model = None
g_modules = None
g_paramx = None
g_paramdx = None
g_bl_loss = None
g_factory = None
g_log = None
g_rmsprop_state = None
g_workers = None


def train_batch():
    batch = batch_init(g_opts['batch_size'])
    reward = {}
    input = {}
    action = {}
    active = {}

    for t in range(g_opts['max_steps']):
        active[t] = batch_active(batch)
        if active[t].sum() == 0:
            break
        input[t] = batch_input(batch, active[t], t)
        out = g_model.forward(input[t])
        try:
            action[t] = lg.multinomial(lg.exp(out[0]), 1)
        except (ValueError, RuntimeError):
            action[t] = lg.multinomial(lg.ones(out[0].size()), 1)
        batch_act(batch, action[t].view(-1), active[t])
        batch_update(batch, active[t])
        reward[t] = batch_reward(batch, active[t], t == g_opts['max_steps'] - 1)
    success = batch_success(batch)

    if g_opts.get('curriculum') == 1:
        apply_curriculum(batch, success)

    g_paramdx.zero()
    stat = {}
    R = lg.Tensor(g_opts['batch_size'] * g_opts['nagents']).zero()
    for t in range(g_opts['max_steps'] - 1, -1, -1):
        if active.get(t) is not None and active[t].sum() > 0:
            out = g_model.forward(input[t])
            R.add(reward[t])  # cumulative reward
            baseline = out[1]
            baseline.cmul(active[t])
            R.cmul(active[t])
            stat['bl_cost'] = (stat.get('bl_cost') or 0) + g_bl_loss.forward(baseline, R)
            stat['bl_count'] = (stat.get('bl_count') or 0) + active[t].sum()
            bl_grad = g_bl_loss.backward(baseline, R).mul(g_opts['alpha'])
            baseline.add(-1, R)
            grad = lg.Tensor(g_opts['batch_size'] * g_opts['nagents'], g_opts['nactions']).zero()
            grad.scatter(1, action[t], baseline)
            grad.div(g_opts['batch_size'])
            g_model.backward(input[t], [grad, bl_grad])

    R.resize(g_opts['batch_size'], g_opts['nagents'])
    for i, g in enumerate(batch):
        stat['reward'] = (stat.get('reward') or 0) + R[i].mean()
        stat['success'] = (stat.get('success') or 0) + success[i]
        stat['count'] = (stat.get('count') or 0) + 1

        t = lg.type(batch[i])
        stat['reward_' + t] = (stat.get('reward_' + t) or 0) + R[i].mean()
        stat['success_' + t] = (stat.get('success_' + t) or 0) + success[i]
        stat['count_' + t] = (stat.get('count_' + t) or 0) + 1
    return stat


def apply_curriculum(batch, success):
    for i in range(len(batch)):
        gname = batch[i].typename
        g_factory.collect_result(gname, success[i])
        count = g_factory.count(gname)
        total_count = g_factory.total_count(gname)
        pct = g_factory.success_percent(gname)
        if not g_factory.helpers[gname].frozen:
            if total_count > g_opts['curriculum_total_count']:
                print('freezing ' + gname)
                g_factory.hardest(gname)
                g_factory.freeze(gname)
            else:
                if count > g_opts['curriculum_min_count']:
                    if pct > g_opts['curriculum_pct_high']:
                        g_factory.harder(gname)
                        print('making ' + gname + ' harder')
                        print(format_helpers())
                    if pct < g_opts['curriculum_pct_low']:
                        g_factory.easier(gname)
                        print('making ' + gname + ' easier')
                        print(format_helpers())
                    g_factory.reset_counters(gname)


def train_batch_thread(opts_orig, paramx_orig):
    global g_opts
    g_opts = opts_orig
    g_paramx.copy(paramx_orig)
    stat = train_batch()
    return g_paramdx, stat


def train(N):
    for n in range(N):
        stat = {}
        for k in range(g_opts['nbatches']):
            if g_opts['nworker'] > 1:
                g_paramdx.zero()
                for w in range(g_opts['nworker']):
                    def endcallback(paramdx_thread, s):
                        g_paramdx.add(paramdx_thread)
                        for k, v in s.items():
                            stat[k] = (stat.get(k) or 0) + v
                    g_workers.addjob(w, train_batch_thread, endcallback, g_opts, g_paramx)
                g_workers.synchronize()
            else:
                s = train_batch()
                for k, v in s.items():
                    stat[k] = (stat.get(k) or 0) + v
            g_update_param()
        for k, v in list(stat.items()):
            if k[0:5] == 'count':
                s = k[5:]
                stat['reward' + s] = stat['reward' + s] / v
                stat['success' + s] = stat['success' + s] / v
        if stat.get('bl_count') is not None and stat['bl_count'] > 0:
            stat['bl_cost'] = stat['bl_cost'] / stat['bl_count']
        else:
            stat['bl_cost'] = 0
        stat['epoch'] = len(g_log) + 1
        print(format_stat(stat))
        g_log.append(stat)
        util.g_save_model()


def g_update_param():
    g_paramdx.div(g_opts['nworker'])
    if g_opts['max_grad_norm'] > 0:
        if g_paramdx.norm() > g_opts['max_grad_norm']:
            g_paramdx.div(g_paramdx.norm() / g_opts['max_grad_norm'])
    if g_opts['optim'] == 'sgd':
        g_paramx.add(g_paramdx.mul(-g_opts['lrate']))
    elif g_opts['optim'] == 'rmsprop':
        def f(x):
            return g_paramx, g_paramdx
        config = {
            'learningRate': g_opts['lrate'],
            'alpha': g_opts['beta'],
            'epsilon': g_opts['eps'],
        }
        rmsprop(f, g_paramx, config, g_rmsprop_state)
    else:
        raise ValueError('wrong optim')
    if g_opts['model'] == 'mlp':
        mapwords = g_opts['conv_sz'] * g_opts['conv_sz'] * g_opts['nwords']
        nilword = mapwords + g_opts['memsize'] * g_opts['nwords']
        if g_modules.get('atab'):
            g_modules['atab'].weight[nilword].zero()
        if g_modules.get('btab'):
            g_modules['btab'].weight[nilword].zero()
