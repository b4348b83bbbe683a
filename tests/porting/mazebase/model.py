"""model.lua (all of it): the memnn model (nhop attention hops over the items' bag-of-words memories, hops sharing their
lookup tables and projection), the conv model, and the mlp model over to_map_onehot's words; each ends in an
action log-probability head and a baseline head."""
import math

from legonn import nn

from .LinearNB import LinearNB

g_opts = None
g_shareList = None
g_modules = None
g_model = None
g_paramx = None
g_paramdx = None
g_bl_loss = None


def share(name, mod):
    if g_shareList.get(name) is None:
        g_shareList[name] = []
    g_shareList[name].append(mod)


def nonlin():
    if g_opts['nonlin'] == 'tanh':
        return nn.Tanh()
    elif g_opts['nonlin'] == 'relu':
        return nn.ReLU()
    elif g_opts['nonlin'] == 'none':
        return nn.Identity()
    else:
        raise ValueError('wrong nonlin')


def build_lookup_bow(input, context, hop):
    A_LT = nn.LookupTable(g_opts['nwords'], g_opts['hidsz'])(context)
    share('A_LT', A_LT)
    g_modules['A_LT'] = A_LT
    A_V = nn.View(-1, g_opts['max_attributes'], g_opts['hidsz']).setNumInputDims(2)(A_LT)
    Ain = nn.Sum(2)(A_V)

    B_LT = nn.LookupTable(g_opts['nwords'], g_opts['hidsz'])(context)
    share('B_LT', B_LT)
    g_modules['B_LT'] = B_LT
    B_V = nn.View(-1, g_opts['max_attributes'], g_opts['hidsz']).setNumInputDims(2)(B_LT)
    Bin = nn.Sum(2)(B_V)

    hid3dim = nn.View(1, -1).setNumInputDims(1)(input)
    MMaout = nn.MM(False, True)
    Aout = MMaout([hid3dim, Ain])
    Aout2dim = nn.View(-1).setNumInputDims(2)(Aout)
    P = nn.SoftMax()(Aout2dim)
    g_modules[hop]['prob'] = P.data.module
    probs3dim = nn.View(1, -1).setNumInputDims(1)(P)
    MMbout = nn.MM(False, False)
    return MMbout([probs3dim, Bin])


def build_memory(input, context):
    hid = {}
    hid[0] = input

    for h in range(1, g_opts['nhop'] + 1):
        g_modules[h] = {}
        Bout = build_lookup_bow(hid[h - 1], context, h)
        C = LinearNB(g_opts['hidsz'], g_opts['hidsz'])(hid[h - 1])
        share('proj', C)
        D = nn.CAddTable()([C, Bout])
        hid[h] = nonlin()(D)
    return hid


def build_conv(input):
    d = g_opts['conv_sz']

    conv1 = nn.SpatialConvolution(g_opts['hidsz'], g_opts['convdim'], 3, 3, 1, 1)(input)
    share('conv1', conv1)
    nonl1 = nonlin()(conv1)
    d = d - 2

    if d > 13:
        nonl1 = nn.SpatialMaxPooling(2, 2, 2, 2)(nonl1)
        d = math.floor(d / 2)

    conv2 = nn.SpatialConvolution(g_opts['convdim'], g_opts['convdim'], 3, 3, 1, 1)(nonl1)
    share('conv2', conv2)
    nonl2 = nonlin()(conv2)
    d = d - 2

    if d > 7:
        nonl2 = nn.SpatialMaxPooling(2, 2, 2, 2)(nonl2)
        d = math.floor(d / 2)

    conv3 = nn.SpatialConvolution(g_opts['convdim'], g_opts['convdim'], 3, 3, 1, 1)(nonl2)
    share('conv3', conv3)
    nonl3 = nonlin()(conv3)
    d = d - 2
    assert d > 1 and d < 6

    out_dim = d * d * g_opts['convdim']
    fc0 = nn.View(out_dim).setNumInputDims(3)(nonl3)
    fc1 = nn.Linear(out_dim, g_opts['hidsz'])(fc0)
    share('fc1', fc1)
    return nonlin()(fc1)


def build_lookup_conv(input, context, hop):
    A_LT_conv = nn.LookupTable(g_opts['nwords'], g_opts['hidsz'])(context)
    share('A_LT_conv', A_LT_conv)
    A_V = nn.View(-1, g_opts['max_attributes'], g_opts['hidsz']).setNumInputDims(2)(A_LT_conv)
    Ain = nn.Sum(2)(A_V)

    B_LT_conv = nn.LookupTable(g_opts['nwords'], g_opts['hidsz'])(context)
    share('B_LT_conv', B_LT_conv)
    B_V = nn.View(-1, g_opts['max_attributes'], g_opts['hidsz']).setNumInputDims(2)(B_LT_conv)
    Bin = nn.Sum(2)(B_V)

    hid3dim = nn.View(1, -1).setNumInputDims(1)(input)
    MMaout = nn.MM(False, True)
    Aout = MMaout([hid3dim, Ain])
    Aout2dim = nn.View(-1).setNumInputDims(2)(Aout)
    P = nn.SoftMax()(Aout2dim)
    g_modules[hop]['prob_conv'] = P.data.module

    attention = nn.Replicate(g_opts['hidsz'], 1, 1)(P)
    in_attend = nn.CMulTable()([Bin, attention])
    in_attend2 = nn.View(g_opts['conv_sz'], g_opts['conv_sz'], g_opts['hidsz']).setNumInputDims(2)(in_attend)
    in_conv = nn.Transpose([1, 3])(in_attend2)
    conv_out = build_conv(in_conv)
    return conv_out


def build_memory_conv(input, context, context_conv):
    hid = {}
    hid[0] = input
    for h in range(1, g_opts['nhop'] + 1):
        g_modules[h] = {}
        Bout = build_lookup_bow(hid[h - 1], context, h)
        Bout_conv = build_lookup_conv(hid[h - 1], context_conv, h)
        C = LinearNB(g_opts['hidsz'], g_opts['hidsz'])(hid[h - 1])
        share('proj', C)
        D = nn.CAddTable()([C, Bout, Bout_conv])
        hid[h] = nonlin()(D)
    return hid


def build_model_memnn():
    input = nn.Identity()()
    context = nn.Identity()()
    hid = build_memory(input, context)
    return [input, context], hid[len(hid) - 1]


def build_model_conv():
    input = nn.Identity()()
    context = nn.Identity()()

    in_emb = nn.LookupTable(g_opts['nwords'], g_opts['hidsz'])(input)
    in_A = nn.View(-1, g_opts['max_attributes'], g_opts['hidsz']).setNumInputDims(2)(in_emb)
    in_bow = nn.Sum(2)(in_A)
    in_bow2d = nn.View(g_opts['conv_sz'], g_opts['conv_sz'], g_opts['hidsz']).setNumInputDims(2)(in_bow)
    in_conv = nn.Transpose([1, 3])(in_bow2d)

    conv_out = build_conv(in_conv)

    cont_emb2d = nn.LookupTable(g_opts['nwords'], g_opts['hidsz'])(context)
    cont_emb = nn.View(-1, g_opts['max_attributes'], g_opts['hidsz']).setNumInputDims(2)(cont_emb2d)
    cont_bow = nn.Sum(2)(cont_emb)  # sum over attributes
    cont_fc = nn.View(-1).setNumInputDims(2)(cont_bow)

    cont_out = nonlin()(nn.Linear(g_opts['memsize'] * g_opts['hidsz'], g_opts['hidsz'])(cont_fc))

    output = nonlin()(nn.CAddTable()([
        nn.Linear(g_opts['hidsz'], g_opts['hidsz'])(conv_out),
        nn.Linear(g_opts['hidsz'], g_opts['hidsz'])(cont_out)
    ]))
    return [input, context], output


def g_build_model():
    global g_shareList, g_modules
    if g_opts['model'] == 'mlp':
        return g_build_model_mlp()
    g_shareList = {}
    g_modules = {}
    if g_opts['model'] == 'memnn':
        input, output = build_model_memnn()
    elif g_opts['model'] == 'conv':
        input, output = build_model_conv()
    else:
        raise ValueError('wrong model name')

    hid_act = nonlin()(nn.Linear(g_opts['hidsz'], g_opts['hidsz'])(output))
    action = nn.Linear(g_opts['hidsz'], g_opts['nactions'])(hid_act)
    action_prob = nn.LogSoftMax()(action)
    hid_bl = nonlin()(nn.Linear(g_opts['hidsz'], g_opts['hidsz'])(output))
    baseline = nn.Linear(g_opts['hidsz'], 1)(hid_bl)
    model = nn.gModule(input, [action_prob, baseline])

    for l in g_shareList.values():
        if len(l) > 1:
            m1 = l[0].data.module
            for j in range(1, len(l)):
                m2 = l[j].data.module
                m2.share(m1, 'weight', 'bias', 'gradWeight', 'gradBias')
    return model


def g_build_model_mlp():
    global g_modules
    MH = g_opts['conv_sz']
    MW = g_opts['conv_sz']
    memsize = g_opts['memsize']
    na = g_opts['nactions']
    nwords = g_opts['nwords']
    input = nn.Identity()()

    g_modules = {}

    in_dim = MH * MW * nwords + memsize * nwords + 1

    if g_opts['nlayers'] > 1:
        a = nn.Sequential()
        atab = nn.LookupTable(in_dim, g_opts['hidsz'])
        g_modules['atab'] = atab
        a.add(atab)
        a.add(nn.Sum(1))
        a.add(nn.Add(g_opts['hidsz']))  # bias
        a.add(nonlin())
        for l in range(3, g_opts['nlayers'] + 1):
            a.add(nn.Linear(g_opts['hidsz'], g_opts['hidsz']))
            a.add(nonlin())
        hidstate = a(input)
        action = nn.Linear(g_opts['hidsz'], na)(hidstate)
        baseline = nn.Linear(g_opts['hidsz'], 1)(hidstate)
    else:
        a = nn.Sequential()
        atab = nn.LookupTable(in_dim, na)
        g_modules['atab'] = atab
        a.add(atab)
        a.add(nn.Sum(1))
        action = a(input)

        btab = nn.LookupTable(in_dim, 1)
        g_modules['btab'] = btab
        b = nn.Sequential()
        b.add(btab)
        b.add(nn.Sum(1))
        baseline = b(input)
    action_prob = nn.LogSoftMax()(action)

    model = nn.gModule([input], [action_prob, baseline])
    return model


def g_init_model():
    global g_model, g_paramx, g_paramdx, g_bl_loss
    g_model = g_build_model()
    g_paramx, g_paramdx = g_model.getParameters()
    if g_opts['init_std'] > 0:
        g_paramx.normal(0, g_opts['init_std'])
    g_bl_loss = nn.MSECriterion()
