"""util.lua: tensor_to_words, the repository's own rmsprop, format_stat, print_tensor, format_helpers and the
checkpoint's g_load_model / g_save_model."""
import legonn as lg
from legonn import paths

g_opts = None
g_ivocab = None
g_modules = None
g_factory = None
g_paramx = None
g_log = None
g_plot_stat = None
g_rmsprop_state = None


def tensor_to_words(input, show_prob=None):
    for i in range(input.size(0)):
        line = str(i + 1) + ':'
        for j in range(input.size(1)):
            line = line + '\t' + g_ivocab[int(input[i][j])]
        if show_prob:
            for h in range(1, g_opts['nhop'] + 1):
                line = line + '\t' + '%.2f' % g_modules[h]['prob'].output[0][i]
        print(line)


def rmsprop(opfunc, x, config=None, state=None):
    config = config or {}
    state = state if state is not None else config
    lr = config.get('learningRate') or 1e-2
    alpha = config.get('alpha') or 0.99
    epsilon = config.get('epsilon') or 1e-8

    fx, dfdx = opfunc(x)

    if state.get('m') is None:
        state['m'] = lg.Tensor().typeAs(x).resizeAs(dfdx).zero()
        state['tmp'] = lg.Tensor().typeAs(x).resizeAs(dfdx)

    state['m'].mul(alpha)
    state['m'].addcmul(1.0 - alpha, dfdx, dfdx)

    state['tmp'].sqrt(state['m']).add(epsilon)
    x.addcdiv(-lr, dfdx, state['tmp'])

    return x, [fx]


def format_stat(stat):
    a = []
    for n in stat:
        a.append(n)
    a.sort()
    str_ = ''
    for n in a:
        if 'count_' in n:
            str_ = str_ + n + ': ' + '%2.4g' % stat[n] + ' '
    str_ = str_ + '\n'
    for n in a:
        if 'reward_' in n:
            str_ = str_ + n + ': ' + '%2.4g' % stat[n] + ' '
    str_ = str_ + '\n'
    for n in a:
        if 'success_' in n:
            str_ = str_ + n + ': ' + '%2.4g' % stat[n] + ' '
    str_ = str_ + '\n'
    str_ = str_ + 'bl_cost: ' + '%2.4g' % stat['bl_cost'] + ' '
    str_ = str_ + 'reward: ' + '%2.4g' % stat['reward'] + ' '
    str_ = str_ + 'success: ' + '%2.4g' % stat['success'] + ' '
    str_ = str_ + 'epoch: ' + str(stat['epoch'])
    return str_


def print_tensor(a):
    str_ = ''
    for s in range(a.size(0)):
        str_ = str_ + '%2.4g' % a[s] + ' '
    return str_


def format_helpers(gname=None):
    str_ = ''
    if not gname:
        for i, j in g_factory.helpers.items():
            str_ = str_ + i + ' :: '
            str_ = str_ + 'mapW: ' + print_tensor(j.mapW) + ' ||| '
            str_ = str_ + 'mapH: ' + print_tensor(j.mapH) + ' ||| '
            str_ = str_ + 'wpct: ' + print_tensor(j.waterpct) + ' ||| '
            str_ = str_ + 'bpct: ' + print_tensor(j.blockspct) + ' ||| '
            str_ = str_ + '\n'
    else:
        j = g_factory.helpers[gname]
        str_ = str_ + gname + ' :: '
        str_ = str_ + 'mapW: ' + print_tensor(j.mapW) + ' ||| '
        str_ = str_ + 'mapH: ' + print_tensor(j.mapH) + ' ||| '
        str_ = str_ + 'wpct: ' + print_tensor(j.waterpct) + ' ||| '
        str_ = str_ + 'bpct: ' + print_tensor(j.blockspct) + ' ||| '
        str_ = str_ + '\n'
    return str_


def g_load_model():
    global g_log, g_plot_stat, g_rmsprop_state
    if g_opts['load'] != '':
        if paths.filep(g_opts['load']) is False:
            print('WARNING: Failed to load from ' + g_opts['load'])
            return
        f = lg.load(g_opts['load'])
        g_paramx.copy(f['paramx'])
        g_log = f['log']
        g_plot_stat = {}
        for i in range(len(g_log)):
            g_plot_stat[i] = [g_log[i]['epoch'], g_log[i]['reward'], g_log[i]['success'], g_log[i]['bl_cost']]
        if f.get('rmsprop_state'):
            g_rmsprop_state = f['rmsprop_state']
        print('model loaded from ', g_opts['load'])


def g_save_model():
    if g_opts['save'] != '':
        f = {'opts': g_opts, 'paramx': g_paramx, 'log': g_log}
        if g_rmsprop_state:
            f['rmsprop_state'] = g_rmsprop_state
        lg.save(g_opts['save'], f)
        print('model saved to ', g_opts['save'])
