"""decomp-attn's predict.lua: loads a checkpoint train.lua saved, reads sentence pairs from two text files, maps
their words through the word dictionary (unknown words to UNK, START first), resizes the encoder's Views for each
pair and writes the predicted label names.

Edits beyond syntax and 0-based indexing: the script's body is ``main(arg)`` (its first ``cmd:parse(arg)`` at
the start); ``PAD, UNK, START, END`` are the Lua's ids less 1 and idx2key gives each dictionary line's id less 1
(the package docstring); the globals main sets (PAD..END, the model, the dictionaries) are this module's, and
``all_layers`` is models.py's; ``path.exists`` is ``os.path.exists``; the files are opened with ``with``."""
import os
import re

import legonn as lg

from . import models
from .models import get_layer, set_size_encoder

cmd = lg.CmdLine()

# file location
cmd.option('-model', '', """Path to model .t7 file""")
cmd.option('-sent1_file', '', """Source sequence to decode (one line per sequence)""")
cmd.option('-sent2_file', '', """True target sequence (optional)""")
cmd.option('-output_file', 'pred.txt', """Path to output the predictions (each line will be the
                                       decoded sequence""")
cmd.option('-word_dict', '', """Path to source vocabulary (*.src.dict file)""")
cmd.option('-label_dict', '', """Path to source vocabulary (*.src.dict file)""")
cmd.option('-gpuid', -1, """ID of the GPU to use (-1 = use CPU)""")

opt = None
PAD = UNK = START = END = None


def idx2key(file):
    t = {}
    with open(file) as f:
        for line in f:
            c = re.findall(r'[^\s]+', line)
            t[int(c[1]) - 1] = c[0]
    return t


def flip_table(u):
    t = {}
    for key, value in u.items():
        t[value] = key
    return t


def sent2wordidx(sent, word2idx, start_symbol=None):
    t = []
    t.append(START)
    for word in re.findall(r'[^\s]+', sent):
        idx = word2idx.get(word, UNK)
        t.append(idx)
    return lg.LongTensor(t)


def wordidx2sent(sent, idx2word):
    t = []
    for i in range(sent.size(0)):   # skip START and END
        t.append(idx2word[sent[i]])
    return ' '.join(t)


def main(arg):
    global opt, PAD, UNK, START, END
    opt = cmd.parse(arg)
    # some globals
    PAD = 0
    UNK = 1
    START = 2
    END = 3
    assert os.path.exists(opt['model']), 'model does not exist'

    # parse input params
    opt = cmd.parse(arg)
    print('loading ' + opt['model'] + '...')
    checkpoint = lg.load(opt['model'])
    print('done!')
    model, model_opt = checkpoint
    # load model and word2idx/idx2word dictionaries
    for i in range(len(model)):
        model[i].evaluate()
    word_vecs_enc1 = model[0]
    word_vecs_enc2 = model[1]
    sent_encoder = model[2]
    models.all_layers = {}
    sent_encoder.apply(get_layer)
    idx2word = idx2key(opt['word_dict'])
    word2idx = flip_table(idx2word)
    idx2label = idx2key(opt['label_dict'])
    if opt['gpuid'] >= 0:
        for i in range(len(model)):
            model[i].double().cuda()
    sent1 = []
    sent2 = []
    with open(opt['sent1_file']) as sent1_file:
        for line in sent1_file:
            sent1.append(sent2wordidx(line, word2idx))
    with open(opt['sent2_file']) as sent2_file:
        for line in sent2_file:
            sent2.append(sent2wordidx(line, word2idx))
    assert len(sent1) == len(sent2), 'number of sentences in sent1_file and sent2_file do not match'
    with open(opt['output_file'], 'w') as out_file:
        for i in range(len(sent1)):
            print('----SENTENCE PAIR ' + str(i + 1) + '----')
            print('SENT 1: ' + wordidx2sent(sent1[i], idx2word))
            print('SENT 2: ' + wordidx2sent(sent2[i], idx2word))
            sent1_l = sent1[i].size(0)
            sent2_l = sent2[i].size(0)
            word_vecs1 = word_vecs_enc1.forward(sent1[i].view(1, sent1_l))
            word_vecs2 = word_vecs_enc2.forward(sent2[i].view(1, sent2_l))
            set_size_encoder(1, sent1_l, sent2_l, model_opt['word_vec_size'],
                             model_opt['hidden_size'], models.all_layers)
            pred = sent_encoder.forward([word_vecs1, word_vecs2])
            _, pred_argmax = pred.max(1)
            label_str = idx2label[pred_argmax[0][0]]
            print('PRED: ' + label_str)
            out_file.write(label_str + '\n')
