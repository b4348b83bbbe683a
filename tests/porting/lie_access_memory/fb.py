"""fb.lua: forward and backward of one sample sequence through the clones of the step module. The Lua's globals
are this module's: ``loader`` (data/load.py's, with ``idx2char``/``char2idx``) is set by the caller, as
train.lua's ``loader``; ``__rnn_states`` and ``__d_states`` are ``rnn_states_seen`` and ``d_states_seen``.
``state.data`` holds the symbol codes of generate.py's ``oneindex=False`` (0-based, the LookupTable's and the
criterion's indices): so the Lua's "no target" code 0 of ``y:eq(0)`` is -1. ``state.pos`` is 0-based. Lua's
``#rnn_states`` of a table keyed 0..T is T: ``len(rnn_states) - 1``."""
import legonn as lg
from legonn.pl import tablex
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from .utils import common as utils
from .utils.nested import zero_nested

Om = OrderedMap
loader = None
rnn_states_seen = None
d_states_seen = None


class fb:

    @staticmethod
    def init(opt, init_states):
        Z = utils.gpuzeros(opt)
        fb.loss_grad = utils.gpu(lg.ones(1), opt)
        fb.zero_loss_grad = Z(1)
        fb.pred_grad = Z(opt['batch_size'], tablex.size(loader.idx2char))
        fb.grads = init_states(opt)
        fb.blank_input = Z(opt['batch_size']).fill(loader.char2idx['#'])
        fb.batched_zeros = List([Z(opt['batch_size'], 1)])
        fb.read_weights_grad = Z(opt['batch_size'], 4 * opt['max_valid_seq_len'])

    @staticmethod
    def makememlist(state):
        if not state.get('memory') or len(state['memory']) == 0:
            return
        for i, M in state['memory'].items():  # ipairs over the map's keys 0, 1, ...: its items
            M['mem'] = List(M['mem'])
            M['keys_'] = List(M['keys_'])
            M['mem_strength'] = List(M['mem_strength'])

    @staticmethod
    def forward(state, opt, protos, clones, kwargs=None):
        global rnn_states_seen
        kwargs = kwargs or {}
        if kwargs.get('calc_coarse') is None:
            calc_coarse = True
        else:
            calc_coarse = kwargs['calc_coarse']
        # The rnn state going into timestep t.
        rnn_states = {0: protos['init_states'].forward(fb.batched_zeros)}
        rnn_states_seen = rnn_states
        loss = 0
        t = 0
        nloss = 0
        answerphase = False
        coarse = None
        if calc_coarse:
            coarse = lg.LongTensor(opt['batch_size'], 1).fill(1)

        def char_at(pos):
            return loader.idx2char[state['data'][pos, 0]]
        assert char_at(state['pos']) == '^'
        # we are guaranteed that the last char is $
        while char_at(state['pos']) != '$':
            inp = (fb.blank_input if answerphase and opt.get('blank_input_during_response') else
                   state['data'][state['pos']].long())
            if not answerphase:
                answerphase = char_at(state['pos']) == '#'
            y = state['data'][state['pos'] + 1]
            rnn_states[t].set('answerphase', answerphase)
            rnn_states[t].set('inp', inp)
            rnn_states[t].set('y', utils.convert2Reals(y))
            rnn_states[t + 1] = clones['rnn'][t].forward(rnn_states[t])
            rnn_states[t]['__rnn__'] = t  # for use in backprop
            if answerphase and opt.get('no_write_during_response') and opt['num_memory_modules'] > 0:
                # pop the added memory and keys to __write_popped__
                rnn_states[t + 1]['__write_popped__'] = List()
                for i in range(len(rnn_states[t + 1]['memory'])):
                    M = rnn_states[t + 1]['memory'][i]
                    rnn_states[t + 1]['__write_popped__'].append(Om())
                    W = rnn_states[t + 1]['__write_popped__'][i]
                    W['mem'] = M['mem'].pop()
                    W['keys_'] = M['keys_'].pop()
                    W['mem_strength'] = M['mem_strength'].pop()
            if answerphase:
                # note: criterion as an nngraph node produces a size (1,) tensor
                loss = loss + rnn_states[t + 1]['loss'][0]
                nloss = nloss + 1
                predp = rnn_states[t + 1]['pred']
                _, pred = lg.max(predp, 1)
                predright = pred.long().eq(y.long()).long()
                state['fine'] = state['fine'] + predright.sum()
                state['fine_total'] = state['fine_total'] + predright.nElement()
                state['fine_acc'] = state['fine'] / state['fine_total']
                if calc_coarse:
                    predright.maskedFill(y.eq(-1).byte(), 1)
                    coarse.cmul(predright)
            state['pos'] = state['pos'] + 1
            t = t + 1
        # state.pos is $, so state.pos + 1 is ^
        state['pos'] = state['pos'] + 1
        if coarse is not None:
            state['coarse'] = state['coarse'] + coarse.sum()
            state['coarse_total'] = state['coarse_total'] + coarse.nElement()
            state['coarse_acc'] = state['coarse'] / state['coarse_total']
        cycle = False
        if state['pos'] >= state['data'].size(0):
            state['pos'] = 0
            cycle = True
        ret = {
            'rnn_states': rnn_states,
            'loss': loss,
            'nloss': nloss,
        }
        return ret, cycle

    @staticmethod
    def backward(state, rnn_states, opt, protos, clones):
        global d_states_seen
        # copy rnn_states[#rnn_states] into a new nested collection, with the tensors being
        # the zeroed versions of the corresponding tensors in rnn_states[#rnn_states],
        # which is taken from fb.grads whenever fb.grads has such a zeroed tensor
        # so as to save memory and avoid extraneous allocation
        last = len(rnn_states) - 1
        d_state = zero_nested(rnn_states[last], opt, False, fb.grads)

        # exposing grads for inspection and debugging
        d_states_seen = {}
        for t in range(last - 1, -1, -1):
            answerphase = rnn_states[t]['answerphase']
            d_state['loss'] = fb.loss_grad if answerphase else fb.zero_loss_grad
            d_state['pred'] = fb.pred_grad
            fb.makememlist(d_state)  # required since nngraph can't return Lists
            d_states_seen[t] = d_state
            if rnn_states[t + 1].get('__write_popped__'):
                for i in range(len(d_state['memory'])):
                    M = d_state['memory'][i]
                    M['mem'].append(fb.grads['memory'][i]['mem'][0])
                    M['keys_'].append(fb.grads['memory'][i]['keys_'][0])
                    M['mem_strength'].append(fb.grads['memory'][i]['mem_strength'][0])
            assert rnn_states[t]['__rnn__'] == t
            d_state = clones['rnn'][t].backward(rnn_states[t], d_state)
        d_state = protos['init_states'].backward(fb.batched_zeros, d_state)
        return d_state
