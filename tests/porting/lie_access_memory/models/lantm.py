"""models/lantm.lua: the Lie-access neural Turing machine: an LSTM controller whose memory modules hold a List of
memory vectors and a List of their keys (points of the key space), read by the inverse-distance weights of
InvNormalize (or a SoftMax) around a read key, which moves by a learnt translation (the Lie group action) mixed
with the previous step's; each step appends the written vector and key (layers/Append.lua). Layers, memory
modules and read heads count from 0; dims 0-based (``nn.MixtureTable(3)`` is the repository's
``MixtureTable(2)``, its own class, as its Narrow, Normalize and ExpandAs: layers/). ``opt`` is a dict; the Lua's
``extra`` tables are dicts (``extra.x`` of an absent field is ``extra.get('x')``); ``x or error()`` is ``x``
read from the map. ``type(read_t) == 'table' and #read_t == 1`` is true only of a one-entry List (a graph node is a
Lua table of length 0)."""
from legonn import graph, nn
from legonn.pl import tablex
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from ..kwrap.kModule import kModule
from ..kwrap.split_transfer import st
from ..layers.Append import Append
from ..layers.CMulList import CMulList
from ..layers.ExpandAs import ExpandAs
from ..layers.InvNormalize import InvNormalize
from ..layers.MixtureTable import MixtureTable
from ..layers.Normalize import Normalize
from ..layers.OneMinus import OneMinus
from ..layers.PowSum import PowSum
from ..layers.VAddTable import VAddTable
from ..layers.lstm import LSTM
from ..utils import common as utils

Om = OrderedMap
listfill = utils.listfill


def _mix(gate, key_t, key_tm1):
    # gate = 1 => key_t
    # gate = 0 => key_tm1
    _mix_tensor = nn.JoinTable(0, 1)([gate, OneMinus()(gate)])
    _both_keys = nn.ParallelTable()
    _both_keys.add(nn.Identity())
    _both_keys.add(nn.Identity())
    # new key should have size (batch_size, key_dim)
    graph.annotateNodes()
    return MixtureTable(2)([_mix_tensor, _both_keys([key_t, key_tm1])])


def _mix_softmax(gates, key_t, key_tm1, key_storage):
    # gates[batch, 0] should be the coefficient for key_t
    # gates[batch, 1] should be the coefficient for key_tm1
    allkeys = nn.JoinTable(1)([
        nn.View(1, -1).setNumInputDims(1)(key_t),
        nn.View(1, -1).setNumInputDims(1)(key_tm1),
        key_storage])
    return MixtureTable(1)([gates, allkeys])


class lantm:

    @staticmethod
    def mix_keys(key_t, key_tm1, gate, action, opt, extra=None):
        """key_tm1 and key_t have size (batch_size, key_dim); gate (batch_size, 1); action (batch_size, key_dim).
        returns mixed key plus mixed action"""
        # _new_key should have size (batch_size, key_dim)
        _new_key = _mix(gate, key_t, key_tm1)
        if extra and extra.get('act_tm1') is not None:
            if not opt.get('act_interp'):
                extra['gate_act'] = nn.AddConstant(1)(nn.MulConstant(0)(extra['gate_act']))
            action = _mix(extra['gate_act'],
                          action,
                          extra['act_tm1'])
        step = nn.CAddTable()([_new_key, action])

        graph.annotateNodes()
        return step, action

    @staticmethod
    def mem_step(mem_tm1, keys_tm1, key_write_t, key_read_t, write_vec_t, opt, extra=None):
        # mem_tm1 has size (batch_size, mem_length, mem_width)
        # keys_tm1 has size (batch_size, mem_length, key_dim)
        # key_write_t and key_read_t have size (batch_size, key_dim); they should be normalized
        # write_vec_t has size (batch_size, mem_width)

        # read_weights_t has size (batch_size, mem_length)
        read_weights_t = lantm.get_read_weights(keys_tm1, key_read_t, opt, extra)
        # if mem_step is called through controller, then key_read_t should be a list
        if isinstance(read_weights_t, List):
            read_t = List()
            for i in range(opt['num_read']):
                read_t.append(MixtureTable()([read_weights_t[i], nn.Identity()(mem_tm1)]))
        else:
            # read_t has size (batch_size, mem_width)
            read_t = MixtureTable()([read_weights_t, nn.Identity()(mem_tm1)])

        if write_vec_t is not None:
            _read_t = None
            if isinstance(read_t, list) and len(read_t) == 1:
                _read_t = read_t[0]
            mem_t = Append()([mem_tm1, write_vec_t, _read_t])
        else:
            mem_t = mem_tm1
        _read_weights_t = None
        if isinstance(read_weights_t, list) and len(read_weights_t) == 1:
            _read_weights_t = read_weights_t[0]
        if key_write_t is not None:
            keys_t = Append()([keys_tm1, key_write_t, _read_weights_t])
        else:
            keys_t = keys_tm1

        mem_strength_t = None
        if extra and extra.get('write_strength_t') is not None:
            # write_strength_t should have dimension (batch_size, 1)
            mem_strength_t = Append()([extra['mem_strength_tm1'],
                                       extra['write_strength_t'],
                                       _read_weights_t])

        graph.annotateNodes()
        ret = OrderedMap([
            {'mem_t': mem_t}, {'keys_t': keys_t}, {'read_t': read_t},
            {'read_weights_t': read_weights_t},
            {'mem_strength_t': mem_strength_t}])
        return ret

    @staticmethod
    def get_read_weights(keys_tm1, key_read_t, opt, extra):
        if isinstance(key_read_t, List):
            rw = List()
            for i in range(opt['num_read']):
                extra_ = tablex.copy(extra)
                extra_['temperature'] = extra_.get('temperature') and extra_['temperature'][i]
                rw.append(lantm._get_read_weights(keys_tm1, key_read_t[i], opt, extra_))
            return rw
        else:
            return lantm._get_read_weights(keys_tm1, key_read_t, opt, extra)

    @staticmethod
    def _get_read_weights(keys_tm1, key_read_t, opt, extra):
        diff = VAddTable(True)([key_read_t, keys_tm1])
        ds = PowSum(opt['sumpow'], 2)(diff)
        if extra and extra.get('temperature') is not None and opt['weight_method'] == 'SoftMax':
            # temperature has size (batch_size, 1)
            # ds <- ds/softplus(temperature)
            ds = nn.CDivTable()([ds,
                                 ExpandAs()([
                                     nn.Reshape(1, True)(
                                         nn.Sum(1)(
                                             nn.SoftPlus()(
                                                 extra['temperature']
                                             )
                                         )
                                     ),
                                     ds])
                                 ])

        if opt['weight_method'] == 'SoftMax':
            read_weights = nn.SoftMax()(nn.Minus()(ds))
        elif opt['weight_method'] == 'InvNormalize':
            read_weights = InvNormalize(opt['invnorm_pow'])(ds)
        else:
            raise RuntimeError('unknown weight_method')
        # mem_strength_tm1 has shape (batch_size, mem_length)
        read_weights = CMulList()([extra['mem_strength_tm1'], read_weights])
        read_weights = Normalize(1)(
            nn.AddConstant(opt['epsilon_read_weight'], True)(
                read_weights
            )
        )
        graph.annotateNodes()
        return read_weights

    @staticmethod
    def _model(opt, kwargs=None):
        # convenience variables
        dropout = opt.get('dropout') or 0
        n = opt['num_lstm_layers']
        m = opt['num_memory_modules']
        msz = opt['mem_width']
        rsz = opt['rnn_size']
        esz = opt['embedding_size']
        vsz = opt['vocab_size']
        ksz = opt['key_dim']

        def listfill(stuff):
            return utils.listfill(opt['num_read'], stuff)
        listinput = utils.listinput

        inputs = Om()
        inputs['x'] = nn.Identity()()
        inputs['controller'] = Om()
        for L in range(n):
            inputs['controller'][L] = Om()
            inputs['controller'][L]['lstm_c'] = nn.Identity()()
            inputs['controller'][L]['lstm_h'] = nn.Identity()()
        inputs['memory'] = Om()
        for s in range(m):
            inputs['memory'][s] = Om()
            inputs['memory'][s]['mem'] = nn.Identity()()
            inputs['memory'][s]['keys_'] = nn.Identity()()
            inputs['memory'][s]['key_read'] = listinput(opt['num_read'])
            inputs['memory'][s]['key_write'] = nn.Identity()()
            inputs['memory'][s]['read_val'] = listinput(opt['num_read'])
            inputs['memory'][s]['mem_strength'] = nn.Identity()()
            inputs['memory'][s]['act_read'] = listinput(opt['num_read'])
            inputs['memory'][s]['act_write'] = nn.Identity()()

        outputs = Om()
        outputs['controller'] = Om()
        outputs['memory'] = Om()

        for L in range(n):
            # cell and hidden state from previous timesteps
            prev_c = inputs['controller'][L]['lstm_c']
            prev_h = inputs['controller'][L]['lstm_h']

            # the input to this layer
            if L == 0:
                if opt['num_memory_modules'] == 0:
                    x = inputs['x']
                    input_size_L = esz
                else:
                    controller_inputs = List([inputs['x']])
                    input_size_L = esz
                    # collect all reads from previous step
                    for s in range(m):
                        controller_inputs.extend(inputs['memory'][s]['read_val'])
                        input_size_L = input_size_L + msz * opt['num_read']
                    x = nn.JoinTable(1)(controller_inputs)
            else:
                x = outputs['controller'][L - 1]['lstm_h']
                if dropout > 0:
                    x = nn.Dropout(dropout)(x)
                input_size_L = rsz

            next_h, next_c = LSTM(input_size_L, rsz, x, prev_h, prev_c)
            outputs['controller'][L] = Om([{'lstm_c': next_c}, {'lstm_h': next_h}])

        top_h = outputs['controller'][n - 1]['lstm_h']
        if dropout > 0:
            top_h = nn.Dropout(dropout)(top_h)

        # batch compute all controller outputs for speed
        transfer_tbl = Om()
        lin_nn = nn.Identity()
        tanh_nn = nn.Tanh()
        sig_nn = nn.Sigmoid()
        transfer_tbl[lin_nn] = Om()
        transfer_tbl[tanh_nn] = Om()
        transfer_tbl[sig_nn] = Om()

        for s in range(m):
            transfer_tbl[sig_nn][s] = Om({})
            transfer_tbl[lin_nn][s] = Om([
                {'key_preread_t': listfill(ksz)},
                {'key_prewrite_t': ksz},
                {'act_read': listfill(ksz)},
                {'act_write': ksz}
            ])
            transfer_tbl[lin_nn][s]['gate_read'] = listfill(1)
            transfer_tbl[lin_nn][s]['gate_write'] = 1
            transfer_tbl[tanh_nn][s] = transfer_tbl[tanh_nn].get(s) or Om()
            transfer_tbl[tanh_nn][s]['write_vec'] = msz
            if opt['weight_method'] == 'SoftMax':
                transfer_tbl[lin_nn][s]['temperature'] = listfill(1)
            transfer_tbl[sig_nn][s]['write_strength_t'] = 1
            transfer_tbl[sig_nn][s]['gate_act_read'] = listfill(1)
            transfer_tbl[lin_nn][s]['gate_act_write'] = 1
            transfer_tbl[sig_nn][s]['read_val2pred_coef'] = listfill(1)

        transfer_tbl[lin_nn]['pred'] = vsz

        total_size = st.get_total_size(transfer_tbl)
        controller_outputs = nn.Linear(rsz, total_size)(top_h)
        _splits = st.split_transfer(controller_outputs, 1, transfer_tbl)
        splits = Om()

        for s in range(m):
            # merge all parts in the same level, so we don't have to
            # need to know whether they are linear or tanh or sigmoid
            # when referring to them
            splits[s] = Om()
            splits[s].update(_splits[lin_nn].get(s) or {}) \
                .update(_splits[tanh_nn].get(s) or {}) \
                .update(_splits[sig_nn].get(s) or {})
            sp = splits[s]
            in_ = inputs['memory'][s]

            if opt['bias_gate_write'] != 0:
                sp['gate_write'] = nn.Sigmoid()(
                    nn.AddConstant(opt['bias_gate_write'])(sp['gate_write']))
            else:
                sp['gate_write'] = nn.Sigmoid()(sp['gate_write'])

            if opt['bias_gate_read'] != 0:
                sp['gate_read'][0] = nn.Sigmoid()(
                    nn.AddConstant(opt['bias_gate_read'])(sp['gate_read'][0]))
            else:
                sp['gate_read'][0] = nn.Sigmoid()(sp['gate_read'][0])
            if opt['bias_gate_act_write'] != 0:
                sp['gate_act_write'] = nn.Sigmoid()(
                    nn.AddConstant(opt['bias_gate_act_write'])(sp['gate_act_write']))
            else:
                sp['gate_act_write'] = nn.Sigmoid()(sp['gate_act_write'])
            if opt['bias_gate_act_read'] != 0:
                sp['gate_act_read'][0] = nn.Sigmoid()(
                    nn.AddConstant(opt['bias_gate_act_read'])(sp['gate_act_read'][0]))
            else:
                sp['gate_act_read'][0] = nn.Sigmoid()(sp['gate_act_read'][0])

            # compute key_read and act_read for each read head
            key_read_t = List()
            act_read_t = List()
            for k in range(opt['num_read']):

                mix_extra_read = {}

                mix_extra_read['act_tm1'] = in_['act_read'][k]
                mix_extra_read['gate_act'] = sp['gate_act_read'][k]

                if opt.get('bound_act'):
                    # compute action <= action / (1 + \|action\|^p)^(1/p)
                    sp['act_read'][k] = Normalize(opt['bound_act_exp'], 1)(sp['act_read'][k])
                key_k, act_k = lantm.mix_keys(sp['key_preread_t'][k],
                                              in_['key_read'][k],
                                              sp['gate_read'][k],
                                              sp['act_read'][k],
                                              opt,
                                              mix_extra_read)
                key_read_t.append(key_k)
                act_read_t.append(act_k)

            # compute key_write and act_write
            mix_extra_write = {}
            mix_extra_write['act_tm1'] = in_['act_write']
            mix_extra_write['gate_act'] = sp['gate_act_write']

            if opt.get('bound_act'):
                # compute action <= action / (1 + \|action\|^p)^(1/p)
                sp['act_write'] = Normalize(opt['bound_act_exp'], 1)(sp['act_write'])
            key_write_t, act_write_t = lantm.mix_keys(sp['key_prewrite_t'],
                                                      in_['key_write'],
                                                      sp['gate_write'],
                                                      sp['act_write'],
                                                      opt,
                                                      mix_extra_write)
            # compute memory outputs
            extra = {}
            if opt['weight_method'] == 'SoftMax':
                extra['temperature'] = sp['temperature']
            extra['write_strength_t'] = sp['write_strength_t']
            extra['mem_strength_tm1'] = in_['mem_strength']
            mem_outputs = lantm.mem_step(
                in_['mem'], in_['keys_'], key_write_t, key_read_t, sp['write_vec'], opt, extra)

            mem_t = mem_outputs['mem_t']
            keys_t = mem_outputs['keys_t']
            read_t = mem_outputs['read_t']
            read_val = read_t

            outputs['memory'][s] = Om([
                {'mem': mem_t}, {'keys_': keys_t}, {'key_read': key_read_t}, {'key_write': key_write_t},
                {'read_val': read_val}
            ])
            outputs['memory'][s]['mem_strength'] = mem_outputs['mem_strength_t']
            outputs['memory'][s]['act_read'] = act_read_t
            outputs['memory'][s]['act_write'] = act_write_t

        # currently only routes the last read value (when there are many mem modules) to the output
        if m > 0:
            outputs['pred'] = nn.CAddTable()([_splits[lin_nn]['pred'],
                                              nn.CMulTable()([
                                                  nn.Linear(msz, vsz)(outputs['memory'][m - 1]['read_val']),
                                                  ExpandAs()([_splits[sig_nn][m - 1]['read_val2pred_coef'][0],
                                                              _splits[lin_nn]['pred']])
                                              ])
                                              ]).annotate({'name': 'pred'})
        else:
            outputs['pred'] = _splits[lin_nn]['pred'].annotate({'name': 'pred'})
        graph.annotateNodes()
        return inputs, outputs

    @staticmethod
    def model(opt, kwargs=None):
        kwargs = kwargs or {}
        # enc_dict should be an (instantiated) nn.LookupTable
        enc_dict = kwargs.get('enc_dict')
        criterion = kwargs.get('criterion')
        inputs, outputs = lantm._model(opt, kwargs)
        if enc_dict:
            # inp will be the index of the input char
            inputs['inp'] = nn.Identity()().annotate({'name': 'inp'})
            # x is what actually gets fed into the lstm
            x = enc_dict(inputs['inp'])
            # this essentially replace inputs.x with the local x,
            # since the former is just nn.Identity
            inputs['x'].add(x, True)
            inputs.set('x', None)
        if criterion:
            inputs['y'] = nn.Identity()().annotate({'name': 'y'})
            outputs['loss'] = criterion([outputs['pred'], inputs['y']]).annotate({'name': 'loss'})
        graph.annotateNodes()
        mod = kModule(inputs, outputs)
        return mod

    @staticmethod
    def init_states(opt, kwargs=None):
        kwargs = kwargs or {}
        random_mag = kwargs.get('random_mag')
        init_states = Om([{'controller': Om()}, {'memory': Om()}])
        Z = utils.gpuzeros(opt)
        if random_mag:
            def Z(*args):
                return utils.gpuzeros(opt)(*args).uniform(-random_mag, random_mag)
        ml = opt['init_mem_length']
        nr = opt['num_read']
        bs = opt['batch_size']
        for i in range(opt['num_lstm_layers']):
            init_states['controller'][i] = Om()
            d = init_states['controller'][i]
            d['lstm_c'] = Z(bs, opt['rnn_size'])
            d['lstm_h'] = Z(bs, opt['rnn_size'])
        for i in range(opt['num_memory_modules']):
            init_states['memory'][i] = Om()
            d = init_states['memory'][i]
            d['mem'] = listfill(ml, Z(bs, opt['mem_width']))
            d['keys_'] = listfill(ml, Z(bs, opt['key_dim']))
            d['key_read'] = listfill(nr, Z(bs, opt['key_dim']))
            d['key_write'] = Z(bs, opt['key_dim'])
            d['read_val'] = listfill(nr, Z(bs, opt['mem_width']))
            d['mem_strength'] = listfill(ml, Z(bs, 1))

            d['act_read'] = listfill(nr, Z(bs, opt['key_dim']))
            d['act_write'] = Z(bs, opt['key_dim'])
        return init_states

    @staticmethod
    def learnable_init_states(opt, kwargs=None):
        kwargs = kwargs or {}
        rsz = kwargs.get('rnn_size') or opt['rnn_size']
        id = nn.Identity()
        transfers = Om({id: Om([{'controller': Om()}, {'memory': Om()}])})

        cont_outs_sz = transfers[id]['controller']
        for i in range(opt['num_lstm_layers']):
            cont_outs_sz[i] = Om([{'lstm_c': rsz}, {'lstm_h': rsz}])

        mem_outs_sz = transfers[id]['memory']
        for i in range(opt['num_memory_modules']):
            mem_outs_sz[i] = Om([
                {'read_val': listfill(opt['num_read'], opt['mem_width'])},
            ])
            mem_outs_sz[i].update(Om([
                {'mem': listfill(opt['init_mem_length'], opt['mem_width'])},
                {'keys_': listfill(opt['init_mem_length'], opt['key_dim'])}
            ]))
            mem_outs_sz[i]['mem_strength'] = listfill(opt['init_mem_length'], 1)
            mem_outs_sz[i]['key_read'] = listfill(opt['num_read'], opt['key_dim'])
            mem_outs_sz[i]['key_write'] = opt['key_dim']
            mem_outs_sz[i]['act_read'] = listfill(opt['num_read'], opt['key_dim'])
            mem_outs_sz[i]['act_write'] = opt['key_dim']

        in_ = nn.Identity()()
        lm = nn.Linear(1, st.get_total_size(transfers))(in_)
        splits = st.split_transfer(lm, 1, transfers)

        # modifying splits into the output_map of a kModule
        mem_outs = splits[id]['memory']

        def convert2mem(m):
            return nn.Tanh()(m)

        def convert2memst(m):
            if opt['bias_init_mem_strength'] == 0:
                return nn.Sigmoid()(m)
            else:
                return nn.Sigmoid()(nn.AddConstant(opt['bias_init_mem_strength'])(m))

        def bound_norm(x):
            return Normalize(opt['bound_act_exp'], 1)(x)
        for i in range(opt['num_memory_modules']):
            mo = mem_outs[i]
            mo['mem'] = mo.get('mem') and mo['mem'].map(convert2mem)
            mo['read_val'] = mo['read_val'].map(convert2mem)

            mo['mem_strength'] = mo.get('mem_strength') and mo['mem_strength'].map(convert2memst)
            if opt.get('bound_act'):
                mo['act_read'] = mo['act_read'].map(bound_norm)
                mo['act_write'] = bound_norm(mo['act_write'])

        graph.annotateNodes()
        return kModule(List([in_]), splits[id])
