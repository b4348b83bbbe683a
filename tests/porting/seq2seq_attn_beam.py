"""harvardnlp/seq2seq-attn's s2sa/beam.lua ported line by line, in part: StateAll, flat_to_rc, generate_beam (its
unidirectional word-level path, with score_gold), idx2key, flip_table, get_layer, sent2wordidx, wordidx2sent with
the unk replacement through the source-target dictionary (``-replace_unk``, ``-srctarg_dict``), clean_sent, strip,
extract_features, init and search; evaluate.lua's main (evaluate_main) and convert_to_cpu.lua's
(convert_to_cpu_main, which takes its options as a SimpleNamespace and, on the CPU, skips cutorch.setDevice). The
beam's globals (opt, model_opt, the initial states, the phrase table) are this module's, as they are beam.lua's;
init takes the options as a SimpleNamespace instead of a command line.

Edits beyond syntax and 0-based indexing: word ids are 0-based (PAD 0, UNK 1, START 2, END 3), the *.dict files' ids
from 1 move down by one in idx2key, and the beam's time step ``i`` runs from 0 (the Lua's ``i == 2``, its first
prediction, is ``i == 1``). Quirks of the Lua kept: wordidx2sent's ``skip_end = skip_start_end or true`` reads an
undefined global, so it is always true (the n-best list drops the last word too); finished hypotheses stay in the
beam and are extended past END; a beam as wide as the vocabulary never ends its first step (the two disallowed
tokens tie at -1e9 and max returns the first of them again, which ``same`` refuses: TH's max keeps the first maximum
too), so the exhaustive check in the tests uses a beam as wide as the allowed tokens; the phrase table keeps the
spaces around its right-hand side. Not ported: brnn, the char-level decoder input, -rescore (s2sa/scorer.lua),
source features (a model trained without them). Tests live in tests/porting/test_seq2seq_attn_beam.py."""
import math
import re

import legonn as lg
from legonn import paths

opt = None
model_opt = None
PAD, UNK, START, END = 0, 1, 2, 3
PAD_WORD, UNK_WORD, START_WORD, END_WORD = '<blank>', '<unk>', '<s>', '</s>'
START_CHAR, END_CHAR = '{', '}'


def copy(orig):
    if isinstance(orig, list):
        return list(orig)
    return orig


def append_table(dst, src):
    for i in range(len(src)):
        dst.append(src[i])


class StateAll:
    """A hypothesis as the list of its tokens, the start token first."""

    @staticmethod
    def initial(start):
        return [start]

    @staticmethod
    def advance(state, token):
        new_state = copy(state)
        new_state.append(token)
        return new_state

    @staticmethod
    def disallow(out):
        bad = [0, 2]   # 0 is PAD, 2 is BOS
        for j in range(len(bad)):
            out[bad[j]] = -1e9

    @staticmethod
    def same(state1, state2):
        for i in range(1, len(state1)):
            if state1[i] != state2[i]:
                return False
        return True

    @staticmethod
    def next(state):
        return state[-1]

    @staticmethod
    def heuristic(state):
        return 0


State = StateAll


def flat_to_rc(v, flat_index):
    """Convert a flat index to a row-column tuple."""
    row = flat_index // v.size(1)
    return row, flat_index % v.size(1)


def generate_beam(model, initial, K, max_sent_l, source, source_features, gold):
    global rnn_state_dec, out_float
    n = max_sent_l
    # Backpointer table.
    prev_ks = lg.LongTensor(n, K).fill(0)
    # Current States.
    next_ys = lg.LongTensor(n, K).fill(0)
    # Current Scores.
    scores = lg.FloatTensor(n, K)
    scores.zero()
    source_l = min(source.size(0), opt.max_sent_l)
    attn_argmax = [[]]   # store attn weights
    states = [[]]        # store predicted word idx
    for k in range(1):
        states[0].append(initial)
        attn_argmax[0].append(initial)
        next_ys[0][k] = State.next(initial)

    source_input = source.view(source_l, 1)
    rnn_state_enc = []
    for i in range(len(init_fwd_enc)):
        rnn_state_enc.append(init_fwd_enc[i].zero())
    context = context_proto[:, 0:source_l].clone()   # 1 x source_l x rnn_size
    for t in range(source_l):
        encoder_input = [source_input[t]]
        if model_opt.num_source_features > 0:
            append_table(encoder_input, source_features[t])
        append_table(encoder_input, rnn_state_enc)
        out = model[0].forward(encoder_input)
        rnn_state_enc = out
        context[:, t].copy(out[-1])
    rnn_state_dec = []
    for i in range(len(init_fwd_dec)):
        rnn_state_dec.append(init_fwd_dec[i].zero())
    if model_opt.init_dec == 1:
        for L in range(1, model_opt.num_layers + 1):
            rnn_state_dec[L * 2 - 2 + model_opt.input_feed].copy(rnn_state_enc[L * 2 - 2].expand(K, model_opt.rnn_size))
            rnn_state_dec[L * 2 - 1 + model_opt.input_feed].copy(rnn_state_enc[L * 2 - 1].expand(K, model_opt.rnn_size))
    if opt.score_gold == 1:
        rnn_state_dec_gold = []
        for i in range(len(rnn_state_dec)):
            rnn_state_dec_gold.append(rnn_state_dec[i][0:1].clone())
    context = context.expand(K, source_l, model_opt.rnn_size)
    out_float = lg.FloatTensor()
    i = 0
    done = False
    max_score = -1e9
    found_eos = False
    max_hyp = max_attn_argmax = None
    while (not done) and (i < n - 1):
        i = i + 1
        states.append([None] * K)
        attn_argmax.append([None] * K)
        decoder_input1 = next_ys.narrow(0, i - 1, 1).squeeze()
        if opt.beam == 1:
            decoder_input1 = lg.LongTensor([int(decoder_input1)])
        if model_opt.attn == 1:
            decoder_input = [decoder_input1, context, *rnn_state_dec]
        else:
            decoder_input = [decoder_input1, context[:, source_l - 1], *rnn_state_dec]
        out_decoder = model[1].forward(decoder_input)
        out = model[2].forward(out_decoder[-1])   # K x vocab_size
        rnn_state_dec = []   # to be modified later
        if model_opt.input_feed == 1:
            rnn_state_dec.append(out_decoder[-1])
        for j in range(len(out_decoder) - 1):
            rnn_state_dec.append(out_decoder[j])
        out_float.resize(out.size()).copy(out)
        for k in range(K):
            State.disallow(out_float.select(0, k))
            out_float[k].add(scores[i - 1][k])
        # All the scores available.
        flat_out = out_float.view(-1)
        if i == 1:
            flat_out = out_float[0]   # all outputs same for first batch
        for k in range(K):
            while True:
                score, index = flat_out.max(0)
                score = float(score[0])
                prev_k, y_i = flat_to_rc(out_float, int(index[0]))
                states[i][k] = State.advance(states[i - 1][prev_k], y_i)
                diff = True
                for k2 in range(k):
                    if State.same(states[i][k2], states[i][k]):
                        diff = False
                if i < 1 or diff:
                    if model_opt.attn == 1:
                        max_attn, max_index = decoder_softmax.output[prev_k].max(0)
                        attn_argmax[i][k] = State.advance(attn_argmax[i - 1][prev_k], int(max_index[0]))
                    prev_ks[i][k] = prev_k
                    next_ys[i][k] = y_i
                    scores[i][k] = score
                    flat_out[int(index[0])] = -1e9
                    break   # move on to next k
                flat_out[int(index[0])] = -1e9
        for j in range(len(rnn_state_dec)):
            rnn_state_dec[j].copy(rnn_state_dec[j].index(0, prev_ks[i]))
        end_hyp = states[i][0]
        end_score = float(scores[i][0])
        if model_opt.attn == 1:
            end_attn_argmax = attn_argmax[i][0]
        if end_hyp[-1] == END:
            done = True
            found_eos = True
        else:
            for k in range(K):
                possible_hyp = states[i][k]
                if possible_hyp[-1] == END:
                    found_eos = True
                    if scores[i][k] > max_score:
                        max_hyp = possible_hyp
                        max_score = float(scores[i][k])
                        if model_opt.attn == 1:
                            max_attn_argmax = attn_argmax[i][k]
    gold_score = 0
    if opt.score_gold == 1:
        rnn_state_dec = []
        for j in range(len(init_fwd_dec)):
            rnn_state_dec.append(init_fwd_dec[j][0:1].zero())
        if model_opt.init_dec == 1:
            rnn_state_dec = rnn_state_dec_gold
        target_l = gold.size(0)
        for t in range(1, target_l):
            decoder_input1 = gold[t - 1:t]
            if model_opt.attn == 1:
                decoder_input = [decoder_input1, context[0:1], *rnn_state_dec]
            else:
                decoder_input = [decoder_input1, context[0:1, source_l - 1], *rnn_state_dec]
            out_decoder = model[1].forward(decoder_input)
            out = model[2].forward(out_decoder[-1])   # K x vocab_size
            rnn_state_dec = []   # to be modified later
            if model_opt.input_feed == 1:
                rnn_state_dec.append(out_decoder[-1])
            for j in range(len(out_decoder) - 1):
                rnn_state_dec.append(out_decoder[j])
            gold_score = gold_score + float(out[0][int(gold[t])])
    if opt.simple == 1 or end_score > max_score or not found_eos:
        max_hyp = end_hyp
        max_score = end_score
        max_attn_argmax = end_attn_argmax if model_opt.attn == 1 else None
    best_hyp = states[i]
    best_scores = scores[i]
    best_attn_argmax = attn_argmax[i]
    return max_hyp, max_score, max_attn_argmax, gold_score, best_hyp, best_scores, best_attn_argmax


def idx2key(file):
    t = {}
    with open(file, encoding='utf-8') as f:
        for line in f:
            c = re.findall(r'[^\s]+', line)
            t[int(c[1]) - 1] = c[0]   # the file's ids are from 1
    return t


def flip_table(u):
    t = {}
    for key, value in u.items():
        t[value] = key
    return t


def get_layer(layer):
    global decoder_attn, word_vecs_enc, word_vecs_dec
    name = getattr(layer, 'name', None)
    if name is not None:
        if name == 'decoder_attn':
            decoder_attn = layer
        elif name.startswith('softmax'):
            softmax_layers.append(layer)
        elif name == 'word_vecs_enc':
            word_vecs_enc = layer
        elif name == 'word_vecs_dec':
            word_vecs_dec = layer


def sent2wordidx(sent, word2idx, start_symbol):
    t = []
    u = []
    if start_symbol == 1:
        t.append(START)
        u.append(START_WORD)
    for word in re.findall(r'[^\s]+', sent):
        idx = word2idx.get(word, UNK)
        t.append(idx)
        u.append(word)
    if start_symbol == 1:
        t.append(END)
        u.append(END_WORD)
    return lg.LongTensor(t), u


def wordidx2sent(sent, idx2word, source_str, attn, skip_end):
    t = []
    skip_end = True   # the Lua's `skip_start_end or true`: an undefined global, so always true
    if skip_end:
        end_i = len(sent) - 1
    else:
        end_i = len(sent)
    for i in range(1, end_i):   # skip START and END
        if sent[i] == UNK:
            if opt.replace_unk == 1:
                s = source_str[attn[i]]
                r = phrase_table[s] if s in phrase_table else s
                t.append(r)
            else:
                t.append(idx2word[sent[i]])
        else:
            t.append(idx2word[sent[i]])
    return ' '.join(t)


def clean_sent(sent):
    s = sent.replace(UNK_WORD, '')
    s = s.replace(START_WORD, '')
    s = s.replace(END_WORD, '')
    s = s.replace(START_CHAR, '')
    s = s.replace(END_CHAR, '')
    return s


def strip(s):
    return re.sub(r'\s+$', '', re.sub(r'^\s+', '', s))


def extract_features(line):
    cleaned_tokens = []
    features = []
    for entry in re.findall(r'[^\s]+', line):
        field = entry.split('-|-')
        word = clean_sent(field[0])
        if len(word) > 0:
            cleaned_tokens.append(word)
            if len(field) > 1:
                features.append([])
            for i in range(1, len(field)):
                features[-1].append(field[i])
    return cleaned_tokens, features


def init(options):
    global opt, checkpoint, phrase_table, model, model_opt, idx2word_src, word2idx_src, idx2word_targ
    global word2idx_targ, gold, softmax_layers, decoder_softmax, context_proto, init_fwd_enc, init_fwd_dec
    global pred_score_total, gold_score_total, pred_words_total, gold_words_total, sent_id, MAX_SENT_L
    opt = options
    MAX_SENT_L = opt.max_sent_l
    assert paths.filep(opt.model), 'model does not exist'
    checkpoint = lg.load(opt.model)
    if opt.replace_unk == 1:
        phrase_table = {}
        if paths.filep(opt.srctarg_dict):
            with open(opt.srctarg_dict, encoding='utf-8') as f:
                for line in f:
                    c = line.rstrip('\n').split('|||')
                    phrase_table[strip(c[0])] = c[1]
    # load model and word2idx/idx2word dictionaries
    model, model_opt = checkpoint[0], checkpoint[1]
    model_opt = type(opt)(**model_opt)
    for i in range(len(model)):
        model[i].evaluate()
    # for backward compatibility
    # (the Lua's `x or default`, which keeps a 0)
    for name, default in (('brnn', 0), ('input_feed', 1), ('attn', 1), ('num_source_features', 0)):
        if getattr(model_opt, name, None) is None:
            setattr(model_opt, name, default)
    idx2word_src = idx2key(opt.src_dict)
    word2idx_src = flip_table(idx2word_src)
    idx2word_targ = idx2key(opt.targ_dict)
    word2idx_targ = flip_table(idx2word_targ)
    # load gold labels if it exists
    gold = None
    if paths.filep(opt.targ_file):
        with open(opt.targ_file, encoding='utf-8') as file:
            gold = [line.rstrip('\n') for line in file]
    elif opt.score_gold == 1:
        raise RuntimeError('missing targ_file option to calculate gold scores')
    softmax_layers = []
    model[1].apply(get_layer)
    if model_opt.attn == 1:
        decoder_attn.apply(get_layer)
        decoder_softmax = softmax_layers[0]
    context_proto = lg.zeros(1, MAX_SENT_L, model_opt.rnn_size)
    h_init_dec = lg.zeros(opt.beam, model_opt.rnn_size)
    h_init_enc = lg.zeros(1, model_opt.rnn_size)
    init_fwd_enc = []
    init_fwd_dec = []   # initial context
    if model_opt.input_feed == 1:
        init_fwd_dec.append(h_init_dec.clone())
    for L in range(model_opt.num_layers):
        init_fwd_enc.append(h_init_enc.clone())
        init_fwd_enc.append(h_init_enc.clone())
        init_fwd_dec.append(h_init_dec.clone())   # memory cell
        init_fwd_dec.append(h_init_dec.clone())   # hidden state
    pred_score_total = 0
    gold_score_total = 0
    pred_words_total = 0
    gold_words_total = 0
    sent_id = 0


def search(line):
    global sent_id, pred_score_total, pred_words_total, gold_score_total, gold_words_total
    sent_id = sent_id + 1
    cleaned_tokens, source_features_str = extract_features(line)
    cleaned_line = ' '.join(cleaned_tokens)
    source, source_str = sent2wordidx(cleaned_line, word2idx_src, model_opt.start_symbol)
    target = None
    if gold is not None:
        target, target_str = sent2wordidx(gold[sent_id - 1], word2idx_targ, 1)
    state = State.initial(START)
    pred, pred_score, attn, gold_score, all_sents, all_scores, all_attn = generate_beam(
        model, state, opt.beam, MAX_SENT_L, source, [], target)
    pred_score_total = pred_score_total + pred_score
    pred_words_total = pred_words_total + len(pred) - 1
    pred_sent = wordidx2sent(pred, idx2word_targ, source_str, attn, True)
    if gold is not None and opt.score_gold == 1:
        gold_score_total = gold_score_total + gold_score
        gold_words_total = gold_words_total + target.size(0) - 1
    nbests = []
    if opt.n_best > 1:
        for n in range(opt.n_best):
            pred_sent_n = wordidx2sent(all_sents[n], idx2word_targ, source_str, all_attn[n], False)
            nbests.append('%d ||| %s ||| %.4f' % (n + 1, pred_sent_n, all_scores[n]))
    return pred_sent, nbests


# --- evaluate.lua --------------------------------------------------------------------------------------------

def evaluate_main(options):
    init(options)
    assert paths.filep(opt.src_file), 'src_file does not exist'
    with open(opt.src_file, encoding='utf-8') as file, open(opt.output_file, 'w', encoding='utf-8') as out_file:
        for line in file:
            result, nbests = search(line.rstrip('\n'))
            out_file.write(result + '\n')
            for n in range(len(nbests)):
                out_file.write(nbests[n] + '\n')
    print('PRED AVG SCORE: %.4f, PRED PPL: %.4f' % (pred_score_total / pred_words_total,
                                                   math.exp(-pred_score_total / pred_words_total)))
    if opt.score_gold == 1:
        print('GOLD AVG SCORE: %.4f, GOLD PPL: %.4f' % (gold_score_total / gold_words_total,
                                                       math.exp(-gold_score_total / gold_words_total)))


# --- convert_to_cpu.lua --------------------------------------------------------------------------------------

def convert_to_cpu_main(opt):
    """Loads a checkpoint (a GPU model's in the Lua: cutorch.setDevice(opt.gpuid) first) and saves it as double."""
    checkpoint = lg.load(opt.gpu_file)
    model, model_opt = checkpoint[0], checkpoint[1]
    for i in range(len(model)):
        model[i].double()
    lg.save(opt.cpu_file, [model, model_opt])
