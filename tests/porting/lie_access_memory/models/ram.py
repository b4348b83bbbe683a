"""models/ram.lua: the RAM/tape baseline: an LSTM controller whose memory is read by a SoftMax of inner products
between a read key and the stored keys (layers/InnerProduct.lua). With ``opt['tape']`` each read key is also
mixed with the keys one slot after (``forward_keys``) and one slot before (``backward_keys``) the last read,
through the repository's own Narrow and NarrowTable (layers/), whose length -1 keeps all but the last entry:
``nn.Narrow(2, 1, -1)`` is ``Narrow(1, 0, -1)``, ``nn.NarrowTable(2, -1)`` is ``NarrowTable(1, -1)``. Indices,
dims and counts 0-based as in models/lantm.py; ``opt`` and ``extra`` are dicts."""
from legonn import graph, nn
from legonn.pl import tablex
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from ..kwrap.kModule import kModule
from ..kwrap.split_transfer import st
from ..layers.Append import Append
from ..layers.CMulList import CMulList
from ..layers.ExpandAs import ExpandAs
from ..layers.InnerProduct import InnerProduct
from ..layers.MixtureTable import MixtureTable
from ..layers.Narrow import Narrow
from ..layers.NarrowTable import NarrowTable
from ..layers.Normalize import Normalize
from ..layers.lstm import LSTM
from ..utils import common as utils

Om = OrderedMap
listfill = utils.listfill


class ram:

    @staticmethod
    def mem_step(mem_tm1, keys_tm1, key_write_t, key_read_t, write_vec_t, opt, extra=None):
        # mem_tm1 is a table of size mem_length, with elements tensors of size (batch_size, mem_width)
        # keys_tm1 has size (batch_size, mem_length, key_dim)
        # key_write_t and key_read_t have size (batch_size, key_dim)
        # write_vec_t has size (batch_size, mem_width)

        # read_weights_t has size (batch_size, mem_length)
        read_weights_t = ram.get_read_weights(keys_tm1, key_read_t, opt, extra)
        # if ram.mem_step is called through controller, then key_read_t should be a list
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
        if opt.get('tape'):
            for i in range(opt['num_read']):
                ret['forward_keys'] = ret.get('forward_keys') or List()
                ret['forward_keys'].append(
                    MixtureTable()([
                        Narrow(1, 0, -1)(read_weights_t[i]),
                        NarrowTable(1, -1)(keys_tm1)
                    ])
                )
                ret['backward_keys'] = ret.get('backward_keys') or List()
                ret['backward_keys'].append(
                    MixtureTable()([
                        Narrow(1, 1, -1)(read_weights_t[i]),
                        NarrowTable(0, -1)(keys_tm1)
                    ])
                )

        return ret

    @staticmethod
    def get_read_weights(keys_tm1, key_read_t, opt, extra):
        if isinstance(key_read_t, List):
            rw = List()
            for i in range(opt['num_read']):
                if extra:
                    extra_ = tablex.copy(extra)
                    extra_['doubt_read'] = extra_.get('doubt_read') and extra_['doubt_read'][i]
                else:
                    extra_ = None
                rw.append(ram._get_read_weights(keys_tm1, key_read_t[i], opt, extra_))
            return rw
        else:
            return ram._get_read_weights(keys_tm1, key_read_t, opt, extra)

    @staticmethod
    def _get_read_weights(keys_tm1, key_read_t, opt, extra):
        # scores has dimension (batch_size, mem_length)
        scores = InnerProduct()([key_read_t, keys_tm1])
        # read_weights has dimension (batch_size, mem_length)
        if extra and extra.get('sharpen_coef') is not None:
            # expect extra.sharpen_coef to have shape (batch_size, 1)
            read_weights = nn.SoftMax()(nn.CMulTable()([
                ExpandAs()([extra['sharpen_coef'], scores]),
                scores]))
        else:
            read_weights = nn.SoftMax()(scores)
        # mem_strength_tm1 has shape (batch_size, mem_length)
        read_weights = \
            Normalize(1)(
                nn.AddConstant(opt['epsilon_read_weight'], True)(
                    CMulList()([extra['mem_strength_tm1'], read_weights])
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
            inputs['memory'][s]['read_val'] = listinput(opt['num_read'])
            inputs['memory'][s]['mem_strength'] = nn.Identity()()
            if opt.get('tape'):
                print('ram with tape')
                inputs['memory'][s]['forward_keys'] = listinput(opt['num_read'])
                inputs['memory'][s]['backward_keys'] = listinput(opt['num_read'])
            else:
                print('ram without tape')

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
        softplus_nn = nn.SoftPlus()
        transfer_tbl[lin_nn] = Om()
        transfer_tbl[tanh_nn] = Om()
        transfer_tbl[sig_nn] = Om()
        transfer_tbl[softplus_nn] = Om()
        for s in range(m):
            transfer_tbl[lin_nn][s] = Om([
                {'key_read': listfill(ksz)}
            ])
            transfer_tbl[tanh_nn][s] = transfer_tbl[tanh_nn].get(s) or Om()
            transfer_tbl[tanh_nn][s]['write_vec'] = msz
            transfer_tbl[lin_nn][s]['key_write'] = ksz
            transfer_tbl[sig_nn][s] = transfer_tbl[sig_nn].get(s) or Om()
            transfer_tbl[sig_nn][s]['write_strength_t'] = 1
            if opt.get('wt_sharpening'):
                transfer_tbl[softplus_nn][s] = transfer_tbl[softplus_nn].get(s) or Om()
                transfer_tbl[softplus_nn][s]['sharpen_coef'] = 1
            lk = 1
            if opt.get('tape'):
                lk = lk + 2
            if lk > 1:
                transfer_tbl[lin_nn][s]['gate_link'] = listfill(lk)
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
                .update(_splits[sig_nn].get(s) or {}) \
                .update(_splits[softplus_nn].get(s) or {})
            sp = splits[s]
            in_ = inputs['memory'][s]

            mixed_key_read = List()
            if sp.get('gate_link'):
                for i in range(opt['num_read']):
                    links = List([sp['key_read'][i]])
                    if opt.get('tape'):
                        links.append(inputs['memory'][s]['forward_keys'][i])
                        links.append(inputs['memory'][s]['backward_keys'][i])

                    mixed_key_read.append(MixtureTable(1)([
                        nn.SoftMax()(sp['gate_link'][i]), nn.Identity()(links)
                    ]))
            else:
                mixed_key_read = sp['key_read']
            # compute memory outputs
            extra = {}

            extra['write_strength_t'] = sp['write_strength_t']
            extra['mem_strength_tm1'] = in_['mem_strength']
            if sp.get('sharpen_coef') is not None:
                extra['sharpen_coef'] = nn.AddConstant(1)(sp['sharpen_coef'])
            mem_outputs = ram.mem_step(
                in_['mem'], in_['keys_'], sp['key_write'], mixed_key_read, sp['write_vec'], opt, extra)

            mem_t = mem_outputs['mem_t']
            keys_t = mem_outputs['keys_t']
            read_t = mem_outputs['read_t']

            outputs['memory'][s] = Om([
                {'mem': mem_t}, {'keys_': keys_t}, {'read_val': read_t}
            ])
            outputs['memory'][s]['mem_strength'] = mem_outputs['mem_strength_t']
            if opt.get('tape'):
                outputs['memory'][s]['forward_keys'] = mem_outputs['forward_keys']
                outputs['memory'][s]['backward_keys'] = mem_outputs['backward_keys']

        if m > 0:
            outputs['pred'] = nn.CAddTable()([
                _splits[lin_nn]['pred'],
                nn.Linear(msz * opt['num_read'], vsz)(
                    nn.JoinTable(1)(outputs['memory'][m - 1]['read_val']) if opt['num_read'] > 1 else
                    outputs['memory'][m - 1]['read_val']
                )]).annotate({'name': 'pred'})
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
        inputs, outputs = ram._model(opt, kwargs)
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
            d['read_val'] = listfill(nr, Z(bs, opt['mem_width']))
            d['mem_strength'] = listfill(ml, Z(bs, 1))
            if opt.get('tape'):
                d['forward_keys'] = listfill(nr, Z(bs, opt['key_dim']))
                d['backward_keys'] = listfill(nr, Z(bs, opt['key_dim']))
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
            if opt.get('tape'):
                mem_outs_sz[i]['forward_keys'] = listfill(opt['num_read'], opt['key_dim'])
                mem_outs_sz[i]['backward_keys'] = listfill(opt['num_read'], opt['key_dim'])

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
        for i in range(opt['num_memory_modules']):
            mo = mem_outs[i]
            mo['mem'] = mo.get('mem') and mo['mem'].map(convert2mem)
            mo['read_val'] = mo['read_val'].map(convert2mem)

            mo['mem_strength'] = mo.get('mem_strength') and mo['mem_strength'].map(convert2memst)
        graph.annotateNodes()
        return kModule(List([in_]), splits[id])
