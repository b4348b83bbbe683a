"""models/slantm.lua: the spherical LANTM: keys are unit vectors of R^3 (``key_dim`` 3), moved by a rotation about a
learnt unit axis by a learnt angle (cos, sin: layers/Cos.lua, Sin.lua, CrossProduct.lua, Rodrigues' formula), mixed
with the previous step's rotation and renormalised (layers/Normalize.lua). Everything else is models/lantm.lua's,
ported the same way (that file's docstring); ``nn.Narrow(2, 1, 1)`` is the repository's ``Narrow(1, 0, 1)``. The
new ``sp.rot_trig_preread`` List is filled by append (a Python list does not grow on assignment); ``mix_keys``'s
``opt`` defaults to None, as tests/test_slantm.lua calls it with five arguments (Lua's missing ones are nil)."""
import math

from legonn import graph, nn
from legonn.pl import tablex
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from ..kwrap.kModule import kModule
from ..kwrap.split_transfer import st
from ..layers.Append import Append
from ..layers.CMulList import CMulList
from ..layers.Cos import Cos
from ..layers.CrossProduct import CrossProduct
from ..layers.ExpandAs import ExpandAs
from ..layers.InvNormalize import InvNormalize
from ..layers.MixtureTable import MixtureTable
from ..layers.Narrow import Narrow
from ..layers.Normalize import Normalize
from ..layers.OneMinus import OneMinus
from ..layers.PowSum import PowSum
from ..layers.Sin import Sin
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


def _smix(gate, key_t, key_tm1):
    return Normalize(2)(_mix(gate, key_t, key_tm1))


def _mix_softmax(gates, key_t, key_tm1, key_storage):
    # gates[batch, 0] should be the coefficient for key_t
    # gates[batch, 1] should be the coefficient for key_tm1
    allkeys = nn.JoinTable(1)([
        nn.View(1, -1).setNumInputDims(1)(key_t),
        nn.View(1, -1).setNumInputDims(1)(key_tm1),
        key_storage])
    return MixtureTable(1)([gates, allkeys])


class slantm:

    @staticmethod
    def mix_keys(key_t, key_tm1, gate, rot_axis, rot_trig, opt=None, extra=None):
        # key_tm1 and key_t have size (batch_size, 3)
        # key_t and key_tm1 should be normalized
        # gate has size (batch_size, 1)
        # rot_axis has size (batch_size, 3); rot_trig has size (batch_size, 2)

        # _key should have size (batch_size, 3)
        _key = _smix(gate, key_t, key_tm1)
        if extra and extra.get('rot_axis_tm1') is not None:
            assert extra.get('rot_trig_tm1') is not None
            if not opt.get('act_interp'):
                extra['gate_act'] = nn.AddConstant(1)(nn.MulConstant(0)(extra['gate_act']))
            rot_axis = _smix(extra['gate_act'], rot_axis, extra['rot_axis_tm1'])
            rot_trig = _smix(extra['gate_act'], rot_trig, extra['rot_trig_tm1'])
        # formula:
        #     cos = rot_trig[1]
        #     sin = rot_trig[2]
        #     new_key = _key * cos
        #             + (rot_axis cross _key) sin
        #             + rot_axis (rot_axis dot _key) (1 - cos)
        cos = ExpandAs()([Narrow(1, 0, 1)(rot_trig), _key])
        sin = ExpandAs()([Narrow(1, 1, 1)(rot_trig), _key])
        line1 = nn.CMulTable()([_key, cos])
        crossp = CrossProduct()([rot_axis, _key])
        line2 = nn.CMulTable()([crossp, sin])
        dotp = nn.DotProduct()([rot_axis, _key])
        line3scalar = nn.CMulTable()([
            ExpandAs()([nn.Reshape(1, True)(dotp), _key]),
            OneMinus()(cos)])
        line3 = nn.CMulTable()([rot_axis, line3scalar])
        new_key = nn.CAddTable()([
            line1, nn.CAddTable()([
                line2,
                line3
            ])])

        graph.annotateNodes()
        return new_key, rot_axis, rot_trig

    @staticmethod
    def mem_step(mem_tm1, keys_tm1, key_write_t, key_read_t, write_vec_t, opt, extra=None):
        # mem_tm1 has size (batch_size, mem_length, mem_width)
        # keys_tm1 has size (batch_size, mem_length, key_dim)
        # key_write_t and key_read_t have size (batch_size, key_dim); they should be normalized
        # write_vec_t has size (batch_size, mem_width)

        # read_weights_t has size (batch_size, mem_length)
        read_weights_t = slantm.get_read_weights(keys_tm1, key_read_t, opt, extra)
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
                rw.append(slantm._get_read_weights(keys_tm1, key_read_t[i], opt, extra_))
            return rw
        else:
            return slantm._get_read_weights(keys_tm1, key_read_t, opt, extra)

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
        if extra and extra.get('mem_strength_tm1') is not None:
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
        assert ksz == 3

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
            inputs['memory'][s]['rot_axis_read'] = listinput(opt['num_read'])
            inputs['memory'][s]['rot_axis_write'] = nn.Identity()()
            inputs['memory'][s]['rot_trig_read'] = listinput(opt['num_read'])
            inputs['memory'][s]['rot_trig_write'] = nn.Identity()()

            if opt.get('bound_act'):
                # size is (batch_size, 1)
                inputs['memory'][s]['angle_bound_read'] = listinput(opt['num_read'])
                inputs['memory'][s]['angle_bound_write'] = nn.Identity()()

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
                {'rot_axis_preread': listfill(ksz)},
                {'rot_axis_prewrite': ksz}
            ])
            transfer_tbl[tanh_nn][s] = Om()
            transfer_tbl[tanh_nn][s]['rot_ang_preread'] = listfill(1)
            transfer_tbl[tanh_nn][s]['rot_ang_prewrite'] = 1
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
            rot_axis_read_t = List()
            rot_trig_read_t = List()
            sp['rot_trig_read'] = List()
            sp['rot_axis_read'] = List()
            sp['rot_trig_preread'] = sp.get('rot_trig_preread') or List()
            for k in range(opt['num_read']):

                mix_extra_read = {}
                mix_extra_read['rot_axis_tm1'] = in_['rot_axis_read'][k]
                mix_extra_read['rot_trig_tm1'] = in_['rot_trig_read'][k]
                mix_extra_read['gate_act'] = sp['gate_act_read'][k]
                sp['rot_axis_preread'][k] = Normalize(2)(sp['rot_axis_preread'][k])
                if opt.get('bound_act'):
                    sp['rot_ang_preread'][k] = nn.CMulTable()([
                        sp['rot_ang_preread'][k],
                        in_['angle_bound_read'][k]
                    ])
                cossin = nn.ConcatTable()
                cossin.add(Cos())
                cossin.add(Sin())
                sp['rot_trig_preread'].append(nn.JoinTable(0, 1)(cossin(sp['rot_ang_preread'][k])))
                sp['key_preread_t'][k] = Normalize(2)(sp['key_preread_t'][k])
                key_k, axis_k, trig_k = slantm.mix_keys(sp['key_preread_t'][k],
                                                        in_['key_read'][k],
                                                        sp['gate_read'][k],
                                                        sp['rot_axis_preread'][k],
                                                        sp['rot_trig_preread'][k],
                                                        opt,
                                                        mix_extra_read)
                key_read_t.append(key_k)
                rot_axis_read_t.append(axis_k)
                rot_trig_read_t.append(trig_k)

            # compute key_write
            mix_extra_write = {}
            mix_extra_write['rot_axis_tm1'] = in_['rot_axis_write']
            mix_extra_write['rot_trig_tm1'] = in_['rot_trig_write']
            mix_extra_write['gate_act'] = sp['gate_act_write']
            sp['rot_axis_prewrite'] = Normalize(2)(sp['rot_axis_prewrite'])
            if opt.get('bound_act'):
                sp['rot_ang_prewrite'] = nn.CMulTable()([
                    sp['rot_ang_prewrite'],
                    in_['angle_bound_write']
                ])
            cossin = nn.ConcatTable()
            cossin.add(Cos())
            cossin.add(Sin())
            sp['rot_trig_prewrite'] = nn.JoinTable(0, 1)(cossin(sp['rot_ang_prewrite']))
            sp['key_prewrite_t'] = Normalize(2)(sp['key_prewrite_t'])
            key_write_t, rot_axis_write_t, rot_trig_write_t = \
                slantm.mix_keys(sp['key_prewrite_t'],
                                in_['key_write'],
                                sp['gate_write'],
                                sp['rot_axis_prewrite'],
                                sp['rot_trig_prewrite'],
                                opt,
                                mix_extra_write)
            # compute memory outputs
            extra = {}
            if opt['weight_method'] == 'SoftMax':
                extra['temperature'] = sp['temperature']
            extra['write_strength_t'] = sp['write_strength_t']
            extra['mem_strength_tm1'] = in_['mem_strength']
            mem_outputs = slantm.mem_step(
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
            outputs['memory'][s]['rot_axis_read'] = rot_axis_read_t
            outputs['memory'][s]['rot_trig_read'] = rot_trig_read_t
            outputs['memory'][s]['rot_axis_write'] = rot_axis_write_t
            outputs['memory'][s]['rot_trig_write'] = rot_trig_write_t
            if opt.get('bound_act'):
                outputs['memory'][s]['angle_bound_read'] = in_['angle_bound_read']
                outputs['memory'][s]['angle_bound_write'] = in_['angle_bound_write']

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
        inputs, outputs = slantm._model(opt, kwargs)
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
        """key_read and key_write will be returned as zeros, which is correct when
        this function is used to generate zero gradient templates;
        it also won't be a problem if used as an initial state because of the mixing
        done in the SLANTM"""
        assert opt['key_dim'] == 3
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
        asz = 2
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
            d['rot_axis_read'] = listfill(nr, Z(bs, opt['key_dim']))
            d['rot_axis_write'] = Z(bs, opt['key_dim'])
            d['rot_trig_read'] = listfill(nr, Z(bs, asz))
            d['rot_trig_write'] = Z(bs, asz)
            if opt.get('bound_act'):
                d['angle_bound_read'] = listfill(nr, Z(bs, 1))
                d['angle_bound_write'] = Z(bs, 1)
        return init_states

    @staticmethod
    def learnable_init_states(opt, kwargs=None):
        assert opt['key_dim'] == 3
        kwargs = kwargs or {}
        rsz = kwargs.get('rnn_size') or opt['rnn_size']
        asz = 2  # (cos, sin)
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
            mem_outs_sz[i]['rot_axis_read'] = listfill(opt['num_read'], opt['key_dim'])
            mem_outs_sz[i]['rot_axis_write'] = opt['key_dim']
            if opt.get('bound_act'):
                mem_outs_sz[i]['rot_ang_read'] = listfill(opt['num_read'], 1)
                mem_outs_sz[i]['rot_ang_write'] = 1
                mem_outs_sz[i]['angle_bound_read'] = listfill(opt['num_read'], 1)
                mem_outs_sz[i]['angle_bound_write'] = 1
            else:
                mem_outs_sz[i]['rot_trig_read'] = listfill(opt['num_read'], asz)
                mem_outs_sz[i]['rot_trig_write'] = asz

        in_ = nn.Identity()()
        lm = nn.Linear(1, st.get_total_size(transfers))(in_)
        splits = st.split_transfer(lm, 1, transfers)

        # modifying splits into the output_map of a kModule
        mem_outs = splits[id]['memory']

        def convert2mem(m):
            return nn.Tanh()(m) if opt.get('squash_mem') else m

        def convert2memst(m):
            if opt['bias_init_mem_strength'] == 0:
                return nn.Sigmoid()(m)
            else:
                return nn.Sigmoid()(nn.AddConstant(opt['bias_init_mem_strength'])(m))

        def Sproject(k):
            return Normalize(2)(k)

        def pisigmoid(a):
            # angle bound is in (0, pi)
            return nn.MulConstant(math.pi)(nn.Sigmoid()(
                nn.AddConstant(opt['angle_bound_bias'])(a)))

        def cossin(x):
            cossin = nn.ConcatTable()
            cossin.add(Cos())
            cossin.add(Sin())
            return nn.JoinTable(0, 1)(cossin(x))
        for i in range(opt['num_memory_modules']):
            mo = mem_outs[i]
            mo['key_read'] = mo['key_read'].map(Sproject)
            mo['key_write'] = Sproject(mo['key_write'])
            if mo.get('angle_bound_read'):
                mo['angle_bound_read'] = mo['angle_bound_read'].map(pisigmoid)
                mo['angle_bound_write'] = pisigmoid(mo['angle_bound_write'])
            mo['rot_axis_read'] = mo['rot_axis_read'].map(Sproject)
            mo['rot_axis_write'] = Sproject(mo['rot_axis_write'])
            if opt.get('bound_act'):
                if mo.get('angle_bound_read'):
                    for u in range(opt['num_read']):
                        mo['rot_ang_read'][u] = nn.CMulTable()([mo['angle_bound_read'][u],
                                                                nn.Tanh()(mo['rot_ang_read'][u])])
                    mo['rot_ang_write'] = nn.CMulTable()([mo['angle_bound_write'],
                                                          nn.Tanh()(mo['rot_ang_write'])])
                mo['rot_trig_read'] = mo['rot_ang_read'].map(cossin)
                mo['rot_trig_write'] = cossin(mo['rot_ang_write'])
                # don't want to backprop into these vars so remove them
                mo.set('rot_ang_read', None)
                mo.set('rot_ang_write', None)
            else:
                mo['rot_trig_read'] = mo['rot_trig_read'].map(Sproject)
                mo['rot_trig_write'] = Sproject(mo['rot_trig_write'])
            mo['mem'] = mo.get('mem') and mo['mem'].map(convert2mem)
            mo['read_val'] = mo['read_val'].map(convert2mem)

            mo['mem_strength'] = mo.get('mem_strength') and mo['mem_strength'].map(convert2memst)

        graph.annotateNodes()
        return kModule(List([in_]), splits[id])
