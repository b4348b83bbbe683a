"""models/lstm.lua: the LSTM baseline as an ``nn.kModule``: inputs ``Om{x or inp, controller = Om{0 = Om{lstm_c,
lstm_h}, ...}, y}``, outputs ``Om{controller, pred, loss}``; layers count from 0. ``opt`` is a dict
(``opt.dropout`` is ``opt.get('dropout')``). ``lstmkw``, a global the Lua never sets (nil), is ``None``;
``LSTM(...)`` returns two values where the Lua names three (``extra`` nil)."""
from legonn import graph, nn
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from ..kwrap.kModule import kModule
from ..kwrap.split_transfer import st
from ..layers.lstm import LSTM
from ..utils import common as utils

Om = OrderedMap
lstmkw = None


class lstm:

    @staticmethod
    def _model(opt, kwargs=None):
        kwargs = kwargs or {}

        # convenience variables
        def getdropout(layer, which=None):
            d = opt.get('dropout')
            if not d:
                return 0
            if isinstance(d, (list, dict)):
                return d[layer] if layer < len(d) else 0
            else:
                return d
        n = opt['num_lstm_layers']
        esz = opt['embedding_size']
        vsz = opt['vocab_size']
        rsz = opt['rnn_size']

        inputs = Om()
        inputs['x'] = nn.Identity()()
        inputs['controller'] = Om()
        for L in range(n):
            inputs['controller'][L] = Om()
            inputs['controller'][L]['lstm_c'] = nn.Identity()()
            inputs['controller'][L]['lstm_h'] = nn.Identity()()

        outputs = Om()
        outputs['controller'] = Om()

        for L in range(n):
            # cell and hidden state from previous timesteps
            prev_c = inputs['controller'][L]['lstm_c']
            prev_h = inputs['controller'][L]['lstm_h']

            # the input to this layer
            if L == 0:
                x = inputs['x']
                input_size_L = esz
            else:
                x = outputs['controller'][L - 1]['lstm_h']
                input_size_L = rsz
            if getdropout(L) > 0:
                x = nn.Dropout(getdropout(L))(x)

            next_h, next_c = LSTM(input_size_L, rsz, x, prev_h, prev_c, lstmkw)
            outputs['controller'][L] = Om([{'lstm_c': next_c}, {'lstm_h': next_h}])

        top_h = outputs['controller'][n - 1]['lstm_h']
        if getdropout(n) > 0:
            top_h = nn.Dropout(getdropout(n))(top_h)

        # batch compute all controller outputs for speed
        transfer_tbl = Om()
        lin_nn = nn.Identity()
        tanh_nn = nn.Tanh()
        sig_nn = nn.Sigmoid()
        transfer_tbl[lin_nn] = Om()
        transfer_tbl[tanh_nn] = Om()
        transfer_tbl[sig_nn] = Om()

        # register the name and size of the output
        transfer_tbl[lin_nn]['pred'] = vsz

        # compute total size of output
        total_size = st.get_total_size(transfer_tbl)
        controller_outputs = nn.Linear(rsz, total_size)(top_h)

        # transfer_tbl acts as a splitter that splits controller_outputs into named outputs
        # (and apply transfer functions to the splits).
        # 1 is the dimension split (usually dimension 0 is the batch dimension).
        _splits = st.split_transfer(controller_outputs, 1, transfer_tbl)

        outputs['pred'] = _splits[lin_nn]['pred'].annotate({'name': 'pred'})

        graph.annotateNodes()
        return inputs, outputs

    @staticmethod
    def model(opt, kwargs=None):
        kwargs = kwargs or {}
        # enc_dict should be an (instantiated) nn.LookupTable
        enc_dict = kwargs.get('enc_dict')
        criterion = kwargs.get('criterion')
        inputs, outputs = lstm._model(opt, kwargs)
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
        init_states = Om([{'controller': Om()}])
        Z = utils.gpuzeros(opt)
        if random_mag:
            def Z(*args):
                return utils.gpuzeros(opt)(*args).uniform(-random_mag, random_mag)
        for i in range(opt['num_lstm_layers']):
            init_states['controller'][i] = Om()
            init_states['controller'][i]['lstm_c'] = Z(opt['batch_size'], opt['rnn_size'])
            init_states['controller'][i]['lstm_h'] = Z(opt['batch_size'], opt['rnn_size'])
        return init_states

    @staticmethod
    def learnable_init_states(opt, kwargs=None):
        kwargs = kwargs or {}
        random_mag = kwargs.get('random_mag')
        id = nn.Identity()
        transfers = Om({id: Om([{'controller': Om()}])})
        cont_outs_sz = transfers[id]['controller']
        rsz = opt['rnn_size']
        for i in range(opt['num_lstm_layers']):
            cont_outs_sz[i] = Om([{'lstm_c': rsz}, {'lstm_h': rsz}])
        in_ = nn.Identity()()
        lm = nn.Linear(1, st.get_total_size(transfers))(in_)
        if random_mag:
            lm.reset(random_mag / 3 ** 0.5)
        splits = st.split_transfer(lm, 1, transfers)
        graph.annotateNodes()
        return kModule(List([in_]), splits[id])
