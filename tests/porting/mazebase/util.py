"""util.lua (lines 8-128 without the load/save of checkpoints): tensor_to_words, the repository's own
rmsprop, format_stat, print_tensor and format_helpers."""
import legonn as lg

g_opts = None
g_ivocab = None
g_modules = None
g_factory = None


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
