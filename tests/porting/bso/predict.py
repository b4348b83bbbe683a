"""BSO's predict.lua: rebuilds the encoder (make_lstm) and a dropout-free decoder (make_lstm2) from the checkpoint
bso_train.lua saves, copies its parameters in, and searches each line of -src_file: evalSearch to END, or with
-con wo the fixed-length search of ConMarginBatchBeamSearcher under WOStateDisqualifier; writes the predictions.

Edits beyond Lua syntax and 0-based indices:
- the script's body is ``main(options)`` with the options as a SimpleNamespace (torch.CmdLine's parse left out);
  the checkpoint holds the training options as ``vars(opt)``, a dict, read back as a SimpleNamespace
  (``model_opt.rnn_size`` as in the Lua).
- predict.lua's globals are one table with bso_train.lua's, whose functions it shares (its own fwd_prop_enc
  repeats bso_train.lua's line for line): encoder_clones, context_proto, init_fwd_enc and the layers are set on
  bso_train.py's module and its fwd_prop_enc is called. PAD..END are the Lua's ids less 1.
- ``make_lstm(valid_data, model_opt, 'enc', 0)`` and ``make_lstm2(..., 'dec', 0)`` drop the 0 neither function
  names (docs/porting.md's row on extra arguments).
- the -con sr branch (LabeledSRStateDisqualifier, not ported) is left out; ``path.exists`` is ``os.path.exists``.
The Lua views each source as ``source_l x 1`` only in its gpuid branch: on the CPU ``source[t]`` is a number
(which Torch7's LookupTable refuses) and initSearch's ``target[1][n]`` indexes a number, so predict.lua runs on
a GPU only; the port keeps that (tests/porting/test_bso.py runs it with -gpuid 1)."""
import os
import re
import types

import legonn as lg
from legonn import cutorch
from . import bso_train as G
from . import model_utils as MU
from .con_margin_beam_searcher import ConMarginBatchBeamSearcher
from .data import data
from .margin_beam_searcher import MarginBatchBeamSearcher
from .models import make_generator, make_lstm, make_lstm2
from .state_disq import WOStateDisqualifier

opt = None
PAD = UNK = START = END = None
PAD_WORD = UNK_WORD = START_WORD = END_WORD = None


def sent2wordidx(sent, word2idx):
    t = []
    for word in re.findall(r'[^\s]+', sent):
        idx = word2idx.get(word, UNK)
        t.append(idx)
    return lg.LongTensor(t)


# skips START by default
def wordidxvec2sent(sent, idx2word, skip_end):
    t = []
    if skip_end:
        end_i = sent.size(0) - 1
    else:
        end_i = sent.size(0)
    for i in range(1, end_i):   # skip START and END
        t.append(idx2word[sent[i]])
    return ' '.join(t)


def clean_sent(sent):
    s = sent.replace(UNK_WORD, '')
    s = s.replace(START_WORD, '')
    s = s.replace(END_WORD, '')
    return s


def main(options):
    global opt, PAD, UNK, START, END, PAD_WORD, UNK_WORD, START_WORD, END_WORD
    opt = options
    # some globals
    PAD = 0
    UNK = 1
    START = 2
    END = 3
    PAD_WORD = '<blank>'
    UNK_WORD = '<unk>'
    START_WORD = '<s>'
    END_WORD = '</s>'
    assert os.path.exists(opt.src_file), 'src_file does not exist'
    assert os.path.exists(opt.model), 'model does not exist'

    # parse input params
    if opt.gpuid >= 0:
        cutorch.setDevice(opt.gpuid - 1)   # cutorch's devices count from 1, legonn's from 0

    print('loading ' + opt.model + '...')
    checkpoint = lg.load(opt.model)
    print('done!')

    # load model and word2idx/idx2word dictionaries
    model, model_opt = checkpoint[0], types.SimpleNamespace(**checkpoint[1])
    G.idx2word_src = MU.idx2key(opt.src_dict)
    G.word2idx_src = MU.flip_table(G.idx2word_src)
    G.idx2word_targ = MU.idx2key(opt.targ_dict)
    G.word2idx_targ = MU.flip_table(G.idx2word_targ)

    valid_data = data(model_opt, opt.val_data_file)   # just to init model and whatnot

    # recreate model
    # since using dropout v2, fine to just turn off dropout for eval
    model_opt.dropout = 0
    G.encoder = make_lstm(valid_data, model_opt, 'enc')
    G.decoder = make_lstm2(valid_data, model_opt, 'dec')
    G.generator, _ = make_generator(valid_data, model_opt)
    # get rid of softmax
    del G.generator.modules[1]

    G.layers = [G.encoder, G.decoder, G.generator]
    if opt.gpuid >= 0:
        for i in range(len(G.layers)):
            G.layers[i].cuda()

    G.encoder.apply(MU.get_layer)
    G.decoder.apply(MU.get_layer)

    # load model's params etc
    for j in range(len(G.layers)):
        p, gp = G.layers[j].getParameters()
        savedP, savedGp = model[j].getParameters()
        p.copy(savedP)

    MAX_SENT_L = opt.max_sent_l

    G.context_proto = lg.zeros(1, MAX_SENT_L, model_opt.rnn_size)
    beam_context_proto = lg.zeros(opt.beam_size, MAX_SENT_L, model_opt.rnn_size)
    pred_pfx_proto = lg.LongTensor(MAX_SENT_L, 1).fill(0)
    source_proto = lg.LongTensor(model_opt.max_sent_l)
    inp_proto = lg.LongTensor(opt.beam_size).fill(0)
    mask_proto = lg.Tensor(opt.beam_size * valid_data.target_size)
    disq_idx_proto = lg.LongTensor(model_opt.max_sent_l)

    G.encoder_clones = MU.clone_many_times(G.encoder, model_opt.max_sent_l)

    h_init_enc = lg.zeros(1, model_opt.rnn_size)
    if opt.gpuid >= 0:
        h_init_enc = h_init_enc.cuda()
        G.context_proto = G.context_proto.cuda()
        beam_context_proto = beam_context_proto.cuda()
        pred_pfx_proto = pred_pfx_proto.cuda()
        inp_proto = inp_proto.cuda()
        source_proto = source_proto.cuda()   # noqa: F841  (unused, as in the Lua)
        mask_proto = mask_proto.cuda()
        disq_idx_proto = disq_idx_proto.cuda()

    G.init_fwd_enc = []
    for L in range(1, model_opt.num_layers + 1):
        G.init_fwd_enc.append(h_init_enc.clone())
        G.init_fwd_enc.append(h_init_enc.clone())

    sent_id = 0
    if opt.con == '':
        mbbs = MarginBatchBeamSearcher(model_opt.rnn_size, 2 * model_opt.num_layers + 1, opt.gpuid >= 0)
    else:
        mbbs = ConMarginBatchBeamSearcher(model_opt.rnn_size, 2 * model_opt.num_layers + 1, opt.gpuid >= 0)
    with open(opt.src_file) as file, open(opt.output_file, 'w') as out_file:
        for line in file:
            line = line.rstrip('\n')   # Lua's lines() drops the newline
            sent_id = sent_id + 1
            if opt.clean:
                line = clean_sent(line)
            print('SENT ' + str(sent_id) + ': ' + line)
            source = sent2wordidx(line, G.word2idx_src)
            if opt.gpuid >= 0:
                source = source.cuda().view(source.size(0), 1)
            source_l = source.size(0)
            disqs = {}
            if opt.con == 'wo':
                # N.B. passing in source only works for WO b/c src and target vocabs are the same
                disqs[0] = WOStateDisqualifier(source.squeeze(1), opt.beam_size, valid_data.target_size,
                                               mask_proto, disq_idx_proto)
            elif opt.con != '':
                assert False
            rnn_state_enc, context = G.fwd_prop_enc(source, source_l, 1, False)   # train=false
            beam_dec = G.decoder
            beam_dec.evaluate()
            beam_scorer = G.generator
            beam_scorer.evaluate()
            mbbs.initSearch(opt.beam_size, 1, rnn_state_enc[source_l - 1], source, source_l, model_opt.num_layers)
            beam_ctx = beam_context_proto[0:opt.beam_size, 0:source_l]
            inps = inp_proto.sub(0, opt.beam_size - 1)
            lg.repeatTensor(beam_ctx, context, opt.beam_size, 1, 1)
            inps[0] = START
            if opt.con == 'sr':
                search_len = 2 * source_l
            elif opt.con == 'wo':
                search_len = source_l + 1
            else:
                search_len = MAX_SENT_L
            if opt.con != '':
                batch_preds = mbbs.evalFixedLengthSearch(inps, beam_ctx, beam_dec, beam_scorer, search_len - 1,
                                                         disqs)
            else:
                batch_preds = mbbs.evalSearch(inps, beam_ctx, beam_dec, beam_scorer, search_len - 1, END)
            pred = batch_preds[0]
            predTensor = pred_pfx_proto.sub(0, search_len - 1, 0, 0)
            ptr = search_len   # the Lua's position, from 1
            while True:
                predTensor[ptr - 1][0] = pred['val']
                ptr = ptr - 1
                pred = pred['prev']
                if pred is None:
                    break
            if opt.con != '':
                assert ptr == 0
            actualPred = predTensor.sub(ptr, search_len - 1)
            if opt.con != '':   # don't skip end b/c we never predicted it
                pred_sent = wordidxvec2sent(actualPred.squeeze(1), G.idx2word_targ, False)
            else:
                pred_sent = wordidxvec2sent(actualPred.squeeze(1), G.idx2word_targ, True)
            out_file.write(pred_sent + '\n')
            print('PRED ' + str(sent_id) + ': ' + pred_sent)
            print('')
