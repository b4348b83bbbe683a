"""facebookarchive/SCRNNs (commit 75582d4) ported line by line: tokenizer.lua (the frequency-clustered
dictionary and the word-id files), datasource.lua (WordDataset's shards), datatools.lua (generate_data,
load_dataset), mfactory.lua (the srnn, lstm and scrnn encoders, their softmax decoders and the HSM ones),
rnn.lua, lstm.lua and scrnn.lua (truncated back-propagation through unrolled clones of the encoder), util.lua
(the initialisations), train.lua (RNNTrainer: epochs, validation, learning-rate annealing, checkpoints) and
main.lua's body (lines 51-99) as ``main(g_params)``, and options.lua's RNNOption (a test parses the command
line the other tests' parameter tables stand for). The Penn Treebank files data/makedata-ptb.sh downloads are
replaced by a tiny generated corpus with the same layout.

The index shifts: word ids from 0 (``<UNK>`` is 0, ``</s>`` the id after the first line's words), the clusters and the
positions within them (the HSM mapping) from 0. ``require('fbcunn')``'s ``nn.LookupTableGPU`` is
``fbnn.LookupTableGPU``, fbnn's ``nn.LinearNB``, ``nn.HSM`` and ``nn.SequentialCriterion`` are in
``legonn.fbnn`` (docs/porting.md's fbnn rows); fb.ffivector's vector of lines is a Python list.

Two places follow docs/porting.md's rows where Python differs: ``local err, n_valid = crit:forward(x, t)``
gives ``n_valid`` nil in Lua when the criterion returns one value (ClassNLLCriterion), and the model the
trainer saves and clones (``torch.save(f, self.model)``, RNN:clone's MemoryFile) holds the clip closure, which
``lg.save`` does not store: the port saves and copies it without the closure and gives it back.
"""
import math
import os
import random as random_
import re

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn, paths, xlua
from legonn import pl
from legonn import sys as tsys

pytestmark = pytest.mark.usefixtures('double_default')


# ------------------------------------------------------------------------------------------- tokenizer.lua


def build_dictionary(config, trainfname):
    kMaxDictSize = 500000
    dict = {}
    dict['symbol_to_index'] = {}    # string -> id
    dict['index_to_symbol'] = {}    # id -> string
    dict['index_to_freq'] = lg.Tensor(kMaxDictSize)  # id -> freq
    dict['index_to_cluster'] = None  # id -> cluster_id
    dict['index_to_index_within_cluster'] = None
    dict['cluster_to_index'] = []   # reverse mapping from cluster to word id.
    dict['mapping'] = None          # cluster_id to within_cluster_id mapping used by hsm

    nr_clusters = config['nclusters']
    threshold = config['threshold']

    print('[loading: ' + trainfname + ']')
    nr_words = 0   # number of unique words (the next id)
    tot_nr_words = 0   # total number of words in corpus
    # Add by default an UNK token to be used for the rare entries
    unk = '<UNK>'
    dict['symbol_to_index'][unk] = nr_words
    dict['index_to_symbol'][nr_words] = unk
    dict['index_to_freq'][nr_words] = 1
    cnt = 0
    with open(trainfname) as lines:
        for s in lines:
            s = s.rstrip('\n')
            # remove all the tabs in the string
            s = s.replace('\t', '')
            # convert multiple spaces into a single space
            s = re.sub(r'\s+', ' ', s)
            words = pl.utils.split(s, ' ')
            for word in words:
                if word != '':   # somehow the first token is always ""
                    if dict['symbol_to_index'].get(word) is None:
                        nr_words = nr_words + 1
                        dict['symbol_to_index'][word] = nr_words
                        dict['index_to_symbol'][nr_words] = word
                        dict['index_to_freq'][nr_words] = 1
                    else:
                        indx = dict['symbol_to_index'][word]
                        dict['index_to_freq'][indx] = dict['index_to_freq'][indx] + 1
                    cnt = cnt + 1
            # Add \n after every line
            if dict['symbol_to_index'].get('</s>') is None:
                nr_words = nr_words + 1
                dict['symbol_to_index']['</s>'] = nr_words
                dict['index_to_symbol'][nr_words] = '</s>'
                dict['index_to_freq'][nr_words] = 1
            else:
                indx = dict['symbol_to_index']['</s>']
                dict['index_to_freq'][indx] = dict['index_to_freq'][indx] + 1
            cnt = cnt + 1
    nr_words = nr_words + 1   # the Lua's count (ids 1 .. nr_words)
    dict['index_to_freq'].resize(nr_words)
    tot_nr_words = dict['index_to_freq'].sum()
    print('[Done making the dictionary. There are ' + str(nr_words - 1) +
          ' unique words and a total of ' + str(tot_nr_words - 1) + ' words in the training set.]')

    # map rare words to special token and skip corresponding indices
    # if the specified threshold is greater than 0
    removed = 0
    net_nwords = 1
    if threshold > 0:
        for i in range(1, dict['index_to_freq'].size(0)):
            word = dict['index_to_symbol'][i]
            if dict['index_to_freq'][i] < threshold:
                dict['index_to_freq'][0] = dict['index_to_freq'][0] + dict['index_to_freq'][i]
                dict['index_to_freq'][i] = 0
                dict['symbol_to_index'][word] = 0
                removed = removed + 1
            else:
                # re-adjust the indices to make them continuous
                net_nwords = net_nwords + 1
                dict['index_to_freq'][net_nwords - 1] = dict['index_to_freq'][i]
                dict['symbol_to_index'][word] = net_nwords - 1
                dict['index_to_symbol'][net_nwords - 1] = word
        print('[Removed ' + str(removed) + ' rare words. Effective number of words ' + str(net_nwords) + ']')
        dict['index_to_freq'].resize(net_nwords)
    else:
        net_nwords = nr_words

    # create the cluster index tensors
    dict['index_to_cluster'] = lg.LongTensor(net_nwords).fill(0)
    dict['index_to_index_within_cluster'] = lg.LongTensor(net_nwords).fill(0)

    # sort the tokens by frequency
    sorted_freqs, sorted_indx = lg.sort(dict['index_to_freq'], True)
    sorted_freqs.div(max(1, tot_nr_words))
    if nr_clusters == 0:
        nr_clusters = math.floor(math.sqrt(net_nwords))
    probab_mass = 1.0 / nr_clusters
    current_mass = 0
    cluster_id = 0
    within_cluster_index = -1
    for w in range(net_nwords):
        if current_mass < probab_mass:
            current_mass = current_mass + sorted_freqs[w]
            within_cluster_index = within_cluster_index + 1
        else:
            cluster_id = cluster_id + 1
            current_mass = sorted_freqs[w]
            within_cluster_index = 0
        dict['index_to_cluster'][sorted_indx[w]] = cluster_id
        dict['index_to_index_within_cluster'][sorted_indx[w]] = within_cluster_index
    print('[Created ' + str(cluster_id + 1) + ' clusters.]')

    # Count how many words per cluster there are.
    wordsPerCluster = lg.zeros(cluster_id + 1)
    for w in range(net_nwords):
        curr_cluster = dict['index_to_cluster'][w]
        wordsPerCluster[curr_cluster] = wordsPerCluster[curr_cluster] + 1

    # build reverse index from cluster id back to index
    # also load the explicit mapping to be used by hsm
    dict['mapping'] = lg.LongTensor(net_nwords, 2)
    for c in range(cluster_id + 1):
        dict['cluster_to_index'].append(lg.LongTensor(wordsPerCluster[c]))
    for w in range(net_nwords):
        curr_cluster = dict['index_to_cluster'][w]
        curr_word = dict['index_to_index_within_cluster'][w]
        dict['cluster_to_index'][curr_cluster][curr_word] = w
        dict['mapping'][w][0] = curr_cluster
        dict['mapping'][w][1] = curr_word
    dict['separatorIndex'] = dict['symbol_to_index']['</s>']

    # Save dictionary.
    dictfname = paths.concat(config['dest_path'],
                             config['name'] + '.dictionary' + '_nclust=' + str(nr_clusters) +
                             '_thresh=' + str(config['threshold']) + '.th7')

    lg.save(dictfname, dict)
    print('There are effectively ' + str(net_nwords) + ' words in the corpus.')

    # return the dictionary
    return dict, nr_clusters


def tokenize(dict, filenameIn, filenameOut, config, eos):
    """The data (word ids) as one 1-D tensor, saved to ``filenameOut``. The Lua tests a global ``shuff`` that
    is never set, so the lines always keep their order."""
    print('saving to ' + filenameOut)
    unk = '<UNK>'
    threshold = config['threshold']
    eos = config['eos']
    # first count how many words there are in the corpus
    all_lines = []   # ffivector.new_string()
    tot_nr_words = 0
    tot_lines = 0
    with open(filenameIn) as lines:
        for s in lines:
            s = s.rstrip('\n')
            # store the line
            tot_lines = tot_lines + 1
            all_lines.append(s)
            s = s.replace('\t', '')
            # remove leading and following white spaces
            s = re.sub(r'\s+$', '', re.sub(r'^\s+', '', s))
            s = re.sub(r'\s+', ' ', s)
            # count the words (Penlight's split of an empty line gives none, where str.split gives [''])
            words = pl.utils.split(s, ' ')
            tot_nr_words = tot_nr_words + len(words)  # nr. words in the line
            tot_nr_words = tot_nr_words + 1  # newline
    print('-- total lines: ' + str(tot_lines))
    shuff = None   # the Lua's undefined global
    if shuff is True:
        print('-- shuffling the data')
        perm_vec = lg.randperm(tot_lines)
    else:
        print('-- not shuffling the data')
        perm_vec = lg.range(0, tot_lines - 1)
    # now store the lines in the tensor
    data = lg.Tensor(tot_nr_words)   # id, cluster_id, within_cluster_id
    id = 0
    cnt = 0
    for ln in range(tot_lines):
        s = all_lines[int(perm_vec[ln])]
        s = s.replace('\t', '')
        s = re.sub(r'\s+$', '', re.sub(r'^\s+', '', s))
        s = re.sub(r'\s+', ' ', s)
        words = pl.utils.split(s, ' ')
        for word in words:
            if word != '':
                if (dict['symbol_to_index'].get(word) is None or
                        dict['index_to_freq'][dict['symbol_to_index'][word]] < threshold):
                    print('WARNING: ' + word + ' being replaced by ' + unk)
                    id = dict['symbol_to_index'][unk]
                else:
                    id = dict['symbol_to_index'][word]
                data[cnt] = id
                cnt = cnt + 1
        # Add newline if specified
        if eos is True:
            id = dict['symbol_to_index']['</s>']
            data[cnt] = id
            cnt = cnt + 1
    lg.save(filenameOut, data)


# ------------------------------------------------------------------------------------------ datasource.lua


class WordDataset:
    """Loads a text dataset: train/valid/test id files, served as ``(N / batch_size) x batch_size`` shards."""
    typename = 'WordDataset'

    def __init__(self, config):
        self.batch_size = config['batch_size']
        self.root = config['root_path']
        # get the training, validation and test file names and load them
        self.sets = {}
        if config.get('train_file'):
            self.train_file = paths.concat(self.root, config['train_file'])
            self.sets['train'] = lg.load(self.train_file)
        if config.get('valid_file'):
            self.valid_file = paths.concat(self.root, config['valid_file'])
            self.sets['valid'] = lg.load(self.valid_file)
        if config.get('test_file'):
            self.test_file = paths.concat(self.root, config['test_file'])
            self.sets['test'] = lg.load(self.test_file)

    # returns the raw data for train|validation|test (given by set_name)
    def get_set_from_name(self, set_name):
        out = self.sets.get(set_name)
        if out is None:
            if set_name == 'nil':
                raise KeyError('Set name is nil')
            else:
                raise KeyError('Unknown set name: ' + set_name)
        return out

    # This function returns the data corresponding to train|valid|test sets.
    # <sname> is the name of the data type. The data is returned as a 2D tensor
    # of size: (N/batch_size)*batch_size, where N is the number of words.
    def get_shard(self, sname):
        set = self.get_set_from_name(sname)
        shard_length = lg.floor(set.size(0) / self.batch_size)
        cur_shard = lg.LongTensor(shard_length, self.batch_size)
        offset = 0
        for i in range(self.batch_size):
            cur_shard[:, i].copy(set[offset:offset + shard_length])
            offset = offset + shard_length
        return cur_shard


# ------------------------------------------------------------------------------------------- datatools.lua


def generate_data(opt):
    """Builds the dictionary and the id files under ./data/<name> (the test chdirs to a fresh folder)."""
    if opt['name'] == 'ptb':
        config_dataset = {
            'name': 'ptb',
            'root_path': './data/ptb/',
            'train_file': 'ptb.train.txt',
            'valid_file': 'ptb.valid.txt',
            'test_file': 'ptb.test.txt',
            'nclusters': opt['nclusters'],
            'threshold': opt['threshold'],
            'eos': True
        }
    elif opt['name'] == 'text8':
        config_dataset = {
            'name': 'text8',
            'root_path': './data/text8',
            'train_file': 'text8.train.txt',
            'valid_file': 'text8.valid.txt',
            'nclusters': opt['nclusters'],
            'threshold': opt['threshold'],
            'eos': False
        }
    else:
        raise ValueError('Data Generator: Unknown dataset ' + opt['name'])
    config_dataset['dest_path'] = paths.concat('./data', config_dataset['name'])

    # fetching a fresh copy (data/makedata-*.sh) is not ported: the corpus must be there
    assert paths.dirp(config_dataset['dest_path'])

    # check if the dictionary already exist or not
    isdict = False
    dictname = None
    for f in paths.files(config_dataset['root_path']):
        if 'dictionary' in f:
            isdict = True
            dictname = f
    # make the dictionary if it does not already exists
    if isdict is False:
        print('')
        print('[[ building dictionary ]]')
        fname = config_dataset['train_file']
        inpath = paths.concat(config_dataset['root_path'], fname)
        dict, _ = build_dictionary(config_dataset, inpath)
    else:
        dict = lg.load(paths.concat(config_dataset['root_path'], dictname))

    # generate the training, validation and test data if required
    for key, what in (('train_file', 'training'), ('valid_file', 'validation'), ('test_file', 'test')):
        if config_dataset.get(key):
            fname = config_dataset[key]
            inpath = paths.concat(config_dataset['root_path'], fname)
            outpath = paths.concat(config_dataset['dest_path'],
                                   fname + '_thresh=' + str(opt['threshold']) + '.th7')
            if not paths.filep(outpath) or isdict is False:
                print('[[ generating ' + what + ' data using new dictionary ]]')
                tokenize(dict, inpath, outpath, config_dataset, False)


# returns the datasource and the corresponding dictionary
def load_dataset(config):
    if config['name'] == 'ptb':
        rpath = './data/ptb'
        trfname = 'ptb.train.txt_thresh=0.th7'
        tefname = 'ptb.test.txt_thresh=0.th7'
        vlfname = 'ptb.valid.txt_thresh=0.th7'
        dcfname = 'ptb.dictionary_nclust=100_thresh=0.th7'
        return (WordDataset({
            'root_path': rpath,
            'train_file': trfname,
            'test_file': tefname,
            'valid_file': vlfname,
            'dicts': dcfname,
            'batch_size': config['batch_size'],
            'train_nshards': 1
        }), lg.load(paths.concat(rpath, dcfname)))
    else:
        raise ValueError('Datasets: Unknown dataset ' + config['name'])


# -------------------------------------------------------------------------------------------- mfactory.lua


def makeModelNets(params, dict, n_classes=None):
    """The encoder, the decoder (or decoder_with_loss) and the encoder's internal nodes, for params.name
    srnn_*, lstm_* or scrnn_* with a softmax (_sm) or hierarchical softmax (_hsm) output."""
    ncls = n_classes or dict['index_to_freq'].size(0)
    nhid = params['n_hidden']
    enc = dec = decloss = None
    intern_layers = {}

    if 'srnn' in params['name']:
        # make the encoder
        enc = nn.Sequential()
        net_parallel = nn.ParallelTable()
        emb = fbnn.LookupTableGPU(ncls, nhid)
        proj = fbnn.LinearNB(nhid, nhid)
        net_parallel.add(emb)
        net_parallel.add(proj)
        enc.add(net_parallel)
        enc.add(nn.CAddTable())
        if params['non_linearity'] == 'relu':
            enc.add(nn.Threshold())
        elif params['non_linearity'] == 'sigmoid':
            enc.add(nn.Sigmoid())
        elif params['non_linearity'] == 'tanh':
            enc.add(nn.Tanh())
        else:
            raise ValueError('Unknown non linearity ' + params['non_linearity'])

        # make the decoder
        if '_sm' in params['name']:
            dec = nn.Sequential()
            dec.add(fbnn.LinearNB(nhid, ncls))
            dec.add(nn.LogSoftMax())
        elif '_hsm' in params['name']:
            decloss = fbnn.HSM(dict['mapping'], nhid)
        else:
            raise ValueError('wrong model name')

        intern_layers['emb'] = emb
        intern_layers['proj'] = proj

    elif 'lstm' in params['name']:
        # Input Encoder: {x_t, {h_{t-1}, c_{t-1}}}; Output Encoder: {h_t, c_t}
        emb1 = fbnn.LookupTableGPU(ncls, nhid)
        emb2 = fbnn.LookupTableGPU(ncls, nhid)
        emb3 = fbnn.LookupTableGPU(ncls, nhid)
        emb4 = fbnn.LookupTableGPU(ncls, nhid)
        proj1 = nn.Linear(nhid, nhid)
        proj2 = nn.Linear(nhid, nhid)
        proj3 = nn.Linear(nhid, nhid)
        proj4 = nn.Linear(nhid, nhid)

        # construct the LSTM graph: encoder
        lstm_symbol = nn.Identity()()
        lstm_prev_state = nn.Identity()()
        # Get the two items from the input table: previous hidden and memory state.
        prev_hid, prev_mem = lstm_prev_state.split(2)
        emb1n = emb1(lstm_symbol)
        emb2n = emb2(lstm_symbol)
        emb3n = emb3(lstm_symbol)
        emb4n = emb4(lstm_symbol)
        proj1n = proj1(prev_hid)
        proj2n = proj2(prev_hid)
        proj3n = proj3(prev_hid)
        proj4n = proj4(prev_hid)
        gate_i = nn.Sigmoid()(nn.CAddTable()([proj1n, emb1n]))
        gate_f = nn.Sigmoid()(nn.CAddTable()([proj2n, emb2n]))
        gate_o = nn.Sigmoid()(nn.CAddTable()([proj3n, emb3n]))
        gate_g = nn.Tanh()(nn.CAddTable()([proj4n, emb4n]))

        new_mem = nn.CAddTable()([nn.CMulTable()([gate_f, prev_mem]),
                                  nn.CMulTable()([gate_i, gate_g])])
        new_hid = nn.CMulTable()([gate_o, nn.Tanh()(new_mem)])
        nextState = nn.Identity()([new_hid, new_mem])
        enc = nn.gModule([lstm_symbol, lstm_prev_state], [nextState])
        # make the decoder
        if '_sm' in params['name']:
            dec = nn.Sequential()
            dec.add(nn.Linear(nhid, ncls))
            dec.add(nn.LogSoftMax())
        elif '_hsm' in params['name']:
            decloss = fbnn.HSM(dict['mapping'], nhid)
        else:
            raise ValueError('wrong model name')

        intern_layers['emb1'] = emb1n
        intern_layers['emb2'] = emb2n
        intern_layers['emb3'] = emb3n
        intern_layers['emb4'] = emb4n
        intern_layers['proj1'] = proj1n
        intern_layers['proj2'] = proj2n
        intern_layers['proj3'] = proj3n
        intern_layers['proj4'] = proj4n

    elif 'scrnn' in params['name']:
        # c_t = W_{xs}*x_t + W_{ss}*c_{t-1}
        # h_t = logistic(W_{xf}*x_t + W_{ff}*h_{t-1} + W_{sf}*c_t)
        nslow = params['n_slow']
        scale = params['semb_scale']
        # make the encoder
        emb_fast = fbnn.LookupTableGPU(ncls, nhid)
        emb_slow = nn.Sequential()
        emb_slow.add(fbnn.LookupTableGPU(ncls, nslow))
        emb_slow.add(nn.MulConstant(scale))
        proj_fast = fbnn.LinearNB(nhid, nhid)
        proj_slow = fbnn.LinearNB(nslow, nslow)
        proj_slow2fast = fbnn.LinearNB(nslow, nhid)

        # construct the scrnn encoder graph
        input_symbol = nn.Identity()()
        srnn_prev_state = nn.Identity()()
        # Get the previous fast hidden and previous slow hidden
        prev_hid_fast, prev_hid_slow = srnn_prev_state.split(2)

        emb_fastn = emb_fast(input_symbol)
        proj_fastn = proj_fast(prev_hid_fast)

        emb_slown = emb_slow(input_symbol)
        proj_slown = proj_slow(prev_hid_slow)
        proj_slow2fastn = proj_slow2fast(prev_hid_slow)

        new_hid_slow = nn.CAddTable()([emb_slown, proj_slown])
        new_hid_fast = nn.Sigmoid()(nn.CAddTable()([emb_fastn, proj_fastn, proj_slow2fastn]))
        srnn_new_state = nn.Identity()([new_hid_fast, new_hid_slow])
        enc = nn.gModule([input_symbol, srnn_prev_state], [srnn_new_state])

        # make the decoder
        if '_sm' in params['name']:
            dec = nn.Sequential()
            dec.add(nn.JoinTable(1))
            dec.add(fbnn.LinearNB(nhid + nslow, ncls))
            dec.add(nn.LogSoftMax())
        elif '_hsm' in params['name']:
            join = nn.JoinTable(1)
            hsm = fbnn.HSM(dict['mapping'], nhid + nslow)
            decloss = fbnn.SequentialCriterion(join.clone(), hsm.clone())
        else:
            raise ValueError('wrong model name')

        intern_layers['emb_fast'] = emb_fastn
        intern_layers['emb_slow'] = emb_slown
        intern_layers['proj_fast'] = proj_fastn
        intern_layers['proj_slow'] = proj_slown
        intern_layers['proj_slow2fast'] = proj_slow2fastn

    # assemble the nets and return
    model_nets = {
        'encoder': enc,
        'decoder': dec,
        'decoder_with_loss': decloss
    }

    return model_nets, intern_layers


# ------------------------------------------------------------------------------------------------ rnn.lua


def scale_clip(dat, th):
    dat_norm = dat.norm()
    if dat_norm > th:
        dat.div(dat_norm / th)


def hard_clip(vec, th):
    tmp = vec.float()
    tmpp = lg.data(tmp)
    for i in range(tmp.size(0)):
        if tmpp[i] < -th:
            tmpp[i] = -th
        else:
            if tmpp[i] > th:
                tmpp[i] = th
    vec[...] = tmp[...]


def clip_function_of(clip_type):
    """The constructors' choice of clipping function (rnn.lua lines 68-95)."""
    if clip_type == 'scale':
        return scale_clip
    elif clip_type == 'hard':
        return hard_clip
    raise ValueError('wrong clip type: ' + clip_type)


class RNN:
    """rnn.lua: a modular rnn; newInputTrain trains, test only infers."""
    typename = 'RNN'

    def __init__(self, config, nets, criterion):
        self.n_hidden = config['n_hidden']
        self.nets = {'encoder': nets['encoder'].clone()}
        if nets.get('decoder') is not None:
            self.nets['decoder'] = nets['decoder'].clone()
            self.criterion = criterion.clone()
        else:
            assert nets.get('decoder_with_loss') is not None
            self.nets['decoder_with_loss'] = nets['decoder_with_loss'].clone()
            self.criterion = None

        self.type = lg.Tensor().type()
        self.initial_val = config['initial_val']
        self.initial_state_dim = config.get('initial_state_dim')
        self.backprop_freq = config['backprop_freq']
        self.batch_size = config['batch_size']
        self.cuda_device = config.get('cuda_device')
        self.unrolled_nets = None
        if self.cuda_device:
            self.cuda()
        self.unroll(config['backprop_len'])
        self.recomputeParameters()
        self.reset()

        # set the clipping function
        self.clip_function = clip_function_of(config['clip_type'])

        self.set_internal_layers()

    def set_internal_layers(self):
        self.ilayers = {}
        self.ilayers['emb'] = self.nets['encoder'].modules[0].modules[0]
        self.ilayers['proj'] = self.nets['encoder'].modules[0].modules[1]

    # Reset network (training parameters and hidden state)
    def reset(self):
        self.i_input = 0
        self.dw.zero()
        self.state = None

    # ship the model to gpu
    def cuda(self):
        self.type = 'torch.CudaTensor'
        if self.criterion is not None:
            self.criterion = self.criterion.cuda()
        else:
            self.nets['decoder_with_loss'].cuda()
        for v in self.nets.values():
            v = v.cuda()
        if self.unrolled_nets is not None:
            for i in range(len(self.unrolled_nets)):
                for v in self.unrolled_nets[i].values():
                    v = v.cuda()

    # returns a clone of the RNN (with the same parameter values but in different storages)
    def clone(self):
        # MemoryFile:writeObject(self) stores the clip closure too; lg.serialize stores no code
        # (docs/porting.md's torch.save row): the copy is made without it and given it back
        return without_code(self, lambda: lg.deserialize(lg.serialize(self)))

    # call this function if you change the network architecture after creating it
    def recomputeParameters(self):
        dummy = nn.Sequential()
        for k, v in self.nets.items():
            # If we are using nn.HSM, the parameters are updated at each
            # accGradParameters (direct_update mode). Therefore we do not
            # add the parameters to the vector of parameter
            if lg.typename(v) != 'nn.HSM':
                dummy.add(v)
        self.w, self.dw = dummy.getParameters()
        self.mom = lg.Tensor(self.dw.size()).zero().type(self.type)
        self.unroll(len(self.unrolled_nets))

    # the user shouldnt have to manually call this function
    def unroll(self, n):
        self.unrolled_nets = []
        for i in range(n):
            self.unrolled_nets.append({})
            self.unrolled_nets[i]['decoder_gradInput'] = lg.Tensor().type(self.type)
            for k, v in self.nets.items():
                if (k != 'decoder') and (k != 'decoder_with_loss'):
                    self.unrolled_nets[i][k] = v.clone('weight', 'gradWeight', 'bias', 'gradBias')

    # returns a tensor filled with initial state
    def get_initial_state(self, bsize):
        if self.initial_state_dim is not None:
            initial_state = lg.Tensor(lg.LongStorage(self.initial_state_dim)).type(self.type)
        else:
            initial_state = lg.Tensor(bsize, self.n_hidden).type(self.type)
        initial_state.fill(self.initial_val)
        return initial_state

    # Runs forward pass in the set of networks nets, with previous state prev_state
    def elemForward(self, nets, input, prev_state, target):
        bsize = input.size(0)
        prev_state = prev_state if prev_state is not None else self.get_initial_state(bsize)
        # store the local inputs and previous state
        nets['input'] = input
        nets['prev_state'] = prev_state
        out_encoder = nets['encoder'].forward([input, prev_state])
        out_decoder, err, n_valid = None, None, None
        if self.nets.get('decoder') is not None:   # using the main net (not unrolled)
            assert self.nets.get('decoder_with_loss') is None
            out_decoder = self.nets['decoder'].forward(out_encoder)
            if target is not None:
                err = self.criterion.forward(out_decoder, target)   # `err, n_valid =`: one value, n_valid nil
        else:
            assert self.nets.get('decoder_with_loss') is not None
            err = self.nets['decoder_with_loss'].forward(out_encoder, target)
            n_valid = self.nets['decoder_with_loss'].n_valid
        n_valid = n_valid if n_valid is not None else input.size(0)
        return out_decoder, out_encoder, err, n_valid

    # Runs backward pass on the decode+criterion (or decode_with_loss) modules
    def elemDecodeBackward(self, nets, target, learning_rate):
        if self.nets.get('decoder') is not None:
            assert self.nets.get('decoder_with_loss') is None
            decoder_output = self.nets['decoder'].output
            derr_do = self.criterion.backward(decoder_output, target)
            gradInput = self.nets['decoder'].backward(nets['encoder'].output, derr_do)
            nets['decoder_gradInput'].resizeAs(gradInput).copy(gradInput)
        else:
            assert self.nets.get('decoder_with_loss') is not None
            gradInput = self.nets['decoder_with_loss'].updateGradInput(nets['encoder'].output, target)
            nets['decoder_gradInput'].resizeAs(gradInput).copy(gradInput)
            # This assumes the module has direct_update mode. Only HSM does:
            assert lg.typename(self.nets['decoder_with_loss']) == 'nn.HSM'
            self.nets['decoder_with_loss'].accGradParameters(nets['encoder'].output, target, -learning_rate, True)
            self.nets['decoder_with_loss'].class_grad_bias.zero()
            self.nets['decoder_with_loss'].cluster_grad_bias.zero()

    # function to update the parameters
    def updateParams(self, w, params):
        if params.get('momentum'):
            self.mom.mul(params['momentum'])
            self.mom.add(self.dw)
            w.add(-params['learning_rate'], self.mom)
        else:
            w.add(-params['learning_rate'], self.dw)

    # function to clip the gradients of the parameters
    def clipGradParams(self, gclip):
        for v in self.nets.values():
            lw, ldw = v.parameters()
            if ldw:
                for i in range(len(ldw)):
                    if ldw[i] is not None:
                        self.clip_function(ldw[i], gclip)

    # function to clip the gradients of the hidden states
    def clipGradHiddens(self, vec, gclip):
        self.clip_function(vec, gclip)

    # Main train function: returns the sum of the errors and the number of terms in this sum
    def newInputTrain(self, input, label, params):
        self.i_input = self.i_input + 1
        last_nets = self.unrolled_nets[0]
        for i in range(len(self.unrolled_nets) - 1):
            self.unrolled_nets[i] = self.unrolled_nets[i + 1]
        self.unrolled_nets[-1] = last_nets
        _output, next_state, err, n_valid = self.elemForward(last_nets, input, self.state, label)
        self.elemDecodeBackward(last_nets, label, params['learning_rate'])
        self.state = next_state

        if self.i_input % self.backprop_freq == 0:
            inc_gi_state_i = None
            # math.max(1, #nets - i_input + 1) .. #nets, 1-based: the last i_input clones at most
            unroll_bound = max(0, len(self.unrolled_nets) - self.i_input)
            j = 1
            for i in range(len(self.unrolled_nets) - 1, unroll_bound - 1, -1):
                nets = self.unrolled_nets[i]
                prev_state_i, input_i = nets['prev_state'], nets['input']
                gi_decoder_net = nets['decoder_gradInput']

                # get gradients from decoder
                if inc_gi_state_i is None:
                    inc_gi_state_i = gi_decoder_net
                elif j <= self.backprop_freq:
                    inc_gi_state_i.add(gi_decoder_net)
                    j = j + 1

                # clip the gradients wrt hidden states
                if params.get('gradInput_clip'):
                    self.clipGradHiddens(inc_gi_state_i, params['gradInput_clip'])
                # bprop through encoder
                if i != 0:
                    gi_encoder_net = nets['encoder'].backward([input_i, prev_state_i], inc_gi_state_i)
                    inc_gi_state_i = gi_encoder_net[1]

            # clip the gradients if specified
            if params.get('gradient_clip'):
                self.clipGradParams(params['gradient_clip'])

            # update the parameters
            self.updateParams(self.w, params)
            # zero the gradients for the next time
            self.dw.zero()

        return err, n_valid

    # Runs only forward on inputs and compares with labels: the sum of the errors and the number of terms
    def test(self, inputs, labels):
        total_err = 0
        total_n_valid = 0
        for i in range(inputs.size(0)):
            _output, next_state, err, n_valid = self.elemForward(
                self.unrolled_nets[0], inputs[i], self.state, labels[i])
            self.state = next_state
            if not isinstance(err, (int, float)):
                err = err[0]
            total_err = total_err + err
            total_n_valid = total_n_valid + n_valid
        return total_err, total_n_valid


def without_code(model, f):
    """``f()`` run while ``model`` holds no clip function (lg.save and lg.serialize store no code), the
    function given back to the model and to a model ``f`` returns."""
    clip_function = model.clip_function
    del model.clip_function
    try:
        result = f()
    finally:
        model.clip_function = clip_function
    if isinstance(result, RNN):
        result.clip_function = clip_function
    return result


# ----------------------------------------------------------------------------------------------- lstm.lua


class LSTM(RNN):
    """lstm.lua: an LSTM encoder {x_t, {h, c}} -> {h, c} unrolled as MemoryFile clones sharing parameters."""
    typename = 'LSTM'

    def __init__(self, config, nets, criterion, ilayers):
        self.n_hidden = config['n_hidden']
        self.nets = {'encoder': nets['encoder'].clone()}
        if nets.get('decoder') is not None:
            self.nets['decoder'] = nets['decoder'].clone()
            self.criterion = criterion.clone()
        else:
            assert nets.get('decoder_with_loss') is not None
            self.nets['decoder_with_loss'] = nets['decoder_with_loss'].clone()
            self.criterion = None

        self.type = lg.Tensor().type()
        self.initial_val = config['initial_val']
        self.backprop_freq = config['backprop_freq']
        self.batch_size = config['batch_size']
        self.cuda_device = config.get('cuda_device')
        self.unrolled_nets = None
        self.initial_state = None
        if self.cuda_device:
            self.cuda()
        self.unroll(config['backprop_len'])
        self.recomputeParameters()
        self.reset()

        self.clip_function = clip_function_of(config['clip_type'])

        self.set_internal_layers(ilayers)

    def set_internal_layers(self, layers):
        self.ilayers = {}
        for name, node in layers.items():
            id = node.id
            self.ilayers[name] = self.nets['encoder'].fg.nodes[id - 1].data.module

    # the user shouldnt have to manually call this function
    def unroll(self, n):
        self.unrolled_nets = []
        params, gradParams = self.nets['encoder'].parameters()
        mem = lg.serialize(self.nets['encoder'])
        for i in range(n):
            self.unrolled_nets.append({})
            self.unrolled_nets[i]['decoder_gradInput'] = lg.Tensor().type(self.type)
            clone = lg.deserialize(mem)
            cloneParams, cloneGradParams = clone.parameters()
            for j in range(len(params)):
                cloneParams[j].set(params[j])
                cloneGradParams[j].set(gradParams[j])
            self.unrolled_nets[i]['encoder'] = clone

    # returns a tensor filled with initial state
    def get_initial_state(self, bsize):
        if not self.initial_state:
            self.initial_state = [
                lg.Tensor(bsize, self.n_hidden).type(self.type),
                lg.Tensor(bsize, self.n_hidden).type(self.type)]
            self.initial_state[0].fill(self.initial_val)
            self.initial_state[1].fill(self.initial_val)
        return self.initial_state

    # Runs forward pass in the set of nets, with previous state prev_state
    def elemForward(self, nets, input, prev_state, target):
        bsize = input.size(0)
        prev_state = prev_state if prev_state is not None else self.get_initial_state(bsize)

        # store the local inputs and previous state
        nets['input'] = input
        nets['prev_state'] = prev_state
        out_encoder = nets['encoder'].forward([input, prev_state])
        out_decoder, err, n_valid = None, None, None
        if self.nets.get('decoder') is not None:   # using the main net (not unrolled)
            assert self.nets.get('decoder_with_loss') is None
            out_decoder = self.nets['decoder'].forward(out_encoder[0])
            if target is not None:
                err = self.criterion.forward(out_decoder, target)
        else:
            assert self.nets.get('decoder_with_loss') is not None
            err = self.nets['decoder_with_loss'].forward(out_encoder[0], target)
            n_valid = self.nets['decoder_with_loss'].n_valid
        n_valid = n_valid if n_valid is not None else input.size(0)
        return out_decoder, out_encoder, err, n_valid

    # Runs backward pass on the decode+criterion (or decode_with_loss) modules
    def elemDecodeBackward(self, nets, target, learning_rate):
        if self.nets.get('decoder') is not None:
            assert self.nets.get('decoder_with_loss') is None
            decoder_output = self.nets['decoder'].output
            derr_do = self.criterion.backward(decoder_output, target)
            gradInput = self.nets['decoder'].backward(nets['encoder'].output[0], derr_do)
            nets['decoder_gradInput'].resizeAs(gradInput).copy(gradInput)
        else:
            assert self.nets.get('decoder_with_loss') is not None
            gradInput = self.nets['decoder_with_loss'].updateGradInput(nets['encoder'].output[0], target)
            nets['decoder_gradInput'].resizeAs(gradInput).copy(gradInput)
            # This assumes the module has direct_update mode. Only HSM does:
            assert lg.typename(self.nets['decoder_with_loss']) == 'nn.HSM'
            self.nets['decoder_with_loss'].accGradParameters(
                nets['encoder'].output[0], target, -learning_rate, True)

    def newInputTrain(self, input, label, params):
        self.i_input = self.i_input + 1
        last_nets = self.unrolled_nets[0]
        for i in range(len(self.unrolled_nets) - 1):
            self.unrolled_nets[i] = self.unrolled_nets[i + 1]
        self.unrolled_nets[-1] = last_nets
        output, next_state, err, n_valid = self.elemForward(last_nets, input, self.state, label)
        self.elemDecodeBackward(last_nets, label, params['learning_rate'])
        self.state = [next_state[0], next_state[1]]

        if self.i_input % self.backprop_freq == 0:
            gi_state_i = {'hid': None, 'mem': None}
            unroll_bound = max(0, len(self.unrolled_nets) - self.i_input)
            j = 1
            for i in range(len(self.unrolled_nets) - 1, unroll_bound - 1, -1):
                nets = self.unrolled_nets[i]
                prev_state_i, input_i = nets['prev_state'], nets['input']
                gi_decoder_net = nets['decoder_gradInput']

                # get gradients from decoder
                if gi_state_i['hid'] is None:
                    gi_state_i['hid'] = gi_decoder_net
                elif j <= self.backprop_freq:
                    gi_state_i['hid'].add(gi_decoder_net)
                    j = j + 1

                # clip the gradients wrt hidden states
                if params.get('gradInput_clip'):
                    self.clipGradHiddens(gi_state_i['hid'], params['gradInput_clip'])
                # bprop through encoder
                if i != 0:
                    gi_encoder_net = nets['encoder'].backward([input_i, prev_state_i],
                                                              [gi_state_i['hid'], gi_state_i['mem']])
                    gi_state_i['hid'] = gi_encoder_net[1][0]
                    gi_state_i['mem'] = gi_encoder_net[1][1]

            if params.get('gradient_clip'):
                self.clipGradParams(params['gradient_clip'])

            self.updateParams(self.w, params)
            self.dw.zero()

        return err, n_valid

    def test(self, inputs, labels):
        total_err = 0
        total_n_valid = 0
        for i in range(inputs.size(0)):
            output, next_state, err, n_valid = self.elemForward(
                self.unrolled_nets[0], inputs[i], self.state, labels[i])
            self.state = [next_state[0], next_state[1]]
            if not isinstance(err, (int, float)):
                err = err[0]
            total_err = total_err + err
            total_n_valid = total_n_valid + n_valid
        return total_err, total_n_valid


# ---------------------------------------------------------------------------------------------- scrnn.lua


class SCRNN(RNN):
    """scrnn.lua: the structurally constrained rnn, {x_t, {h, s}} -> {h, s} with a slow context state s."""
    typename = 'SCRNN'

    def __init__(self, config, nets, criterion, ilayers):
        self.n_hidden = config['n_hidden']
        self.n_slow = config['n_slow']
        self.nets = {'encoder': nets['encoder'].clone()}
        if nets.get('decoder') is not None:
            self.nets['decoder'] = nets['decoder'].clone()
            self.criterion = criterion.clone()
        else:
            assert nets.get('decoder_with_loss') is not None
            self.nets['decoder_with_loss'] = nets['decoder_with_loss'].clone()
            self.criterion = None
        self.type = lg.Tensor().type()
        self.initial_val = config['initial_val']
        self.backprop_freq = config['backprop_freq']
        self.batch_size = config['batch_size']
        self.cuda_device = config.get('cuda_device')
        self.unrolled_nets = None
        self.initial_state = None
        if self.cuda_device:
            self.cuda()
        self.unroll(config['backprop_len'])
        self.recomputeParameters()
        self.reset()

        self.clip_function = clip_function_of(config['clip_type'])

        self.set_internal_layers(ilayers)
        self.semb_scale = config['semb_scale']

    # set the pointers to the embedding and projection modules
    def set_internal_layers(self, layers):
        self.ilayers = {}
        for name, node in layers.items():
            id = node.id
            self.ilayers[name] = self.nets['encoder'].fg.nodes[id - 1].data.module

    def recomputeParameters(self):
        dummy = nn.Sequential()
        for k, v in self.nets.items():
            # the HSM's parameters are updated at each accGradParameters (direct_update mode)
            if lg.typename(v) != 'nn.SequentialCriterion':
                dummy.add(v)
        self.w, self.dw = dummy.getParameters()
        self.mom = lg.Tensor(self.dw.size()).zero().type(self.type)
        self.unroll(len(self.unrolled_nets))

    # ship the model to gpu
    def cuda(self):
        self.type = 'torch.CudaTensor'
        if self.criterion is not None:
            self.criterion = self.criterion.cuda()
        else:
            self.nets['decoder_with_loss'].module.cuda()
            self.nets['decoder_with_loss'].criterion.cuda()
        for v in self.nets.values():
            v = v.cuda()
        if self.unrolled_nets is not None:
            for i in range(len(self.unrolled_nets)):
                for k, v in self.unrolled_nets[i].items():
                    if k != 'decoder_gradInput':
                        v = v.cuda()
                    else:
                        for j in range(len(v)):
                            v[j] = v[j].cuda()

    # the user shouldnt have to manually call this function
    def unroll(self, n):
        self.unrolled_nets = []
        params, gradParams = self.nets['encoder'].parameters()
        mem = lg.serialize(self.nets['encoder'])
        for i in range(n):
            self.unrolled_nets.append({})
            self.unrolled_nets[i]['decoder_gradInput'] = [lg.Tensor().type(self.type),
                                                          lg.Tensor().type(self.type)]
            clone = lg.deserialize(mem)
            cloneParams, cloneGradParams = clone.parameters()
            for j in range(len(params)):
                cloneParams[j].set(params[j])
                cloneGradParams[j].set(gradParams[j])
            self.unrolled_nets[i]['encoder'] = clone

    # returns a table of two pre-filled initial state {fast_hid, slow_hid}
    def get_initial_state(self, bsize):
        if not self.initial_state:
            self.initial_state = [lg.Tensor(bsize, self.n_hidden).type(self.type),
                                  lg.Tensor(bsize, self.n_slow).type(self.type)]
            self.initial_state[0].fill(self.initial_val)
            self.initial_state[1].fill(self.initial_val)
        return self.initial_state

    # Runs forward pass in the set of networks nets, with previous state prev_state
    def elemForward(self, nets, input, prev_state, target):
        bsize = input.size(0)
        prev_state = prev_state if prev_state is not None else self.get_initial_state(bsize)

        # store the local inputs and previous state
        nets['input'] = input
        nets['prev_state'] = prev_state
        out_encoder = nets['encoder'].forward([input, prev_state])
        out_decoder, err, n_valid = None, None, None
        if self.nets.get('decoder') is not None:   # using the main net (not unrolled)
            assert self.nets.get('decoder_with_loss') is None
            out_decoder = self.nets['decoder'].forward(out_encoder)
            if target is not None:
                err = self.criterion.forward(out_decoder, target)
        else:
            assert self.nets.get('decoder_with_loss') is not None
            err = self.nets['decoder_with_loss'].forward(out_encoder, target)
            n_valid = self.nets['decoder_with_loss'].criterion.n_valid
        n_valid = n_valid if n_valid is not None else input.size(0)
        return out_decoder, out_encoder, err, n_valid

    # Runs backward pass on the decode+criterion (or decode_with_loss) modules
    def elemDecodeBackward(self, nets, target, learning_rate):
        if self.nets.get('decoder') is not None:
            assert self.nets.get('decoder_with_loss') is None
            decoder_output = self.nets['decoder'].output
            derr_do = self.criterion.backward(decoder_output, target)
            gradInput = self.nets['decoder'].backward(nets['encoder'].output, derr_do)
            nets['decoder_gradInput'][0].resizeAs(gradInput[0]).copy(gradInput[0])
            nets['decoder_gradInput'][1].resizeAs(gradInput[1]).copy(gradInput[1])
        else:
            assert self.nets.get('decoder_with_loss') is not None
            gradInput = self.nets['decoder_with_loss'].updateGradInput(nets['encoder'].output, target)
            nets['decoder_gradInput'][0].resizeAs(gradInput[0]).copy(gradInput[0])
            nets['decoder_gradInput'][1].resizeAs(gradInput[1]).copy(gradInput[1])
            # This assumes the module has direct_update mode. Only HSM does:
            assert lg.typename(self.nets['decoder_with_loss']) == 'nn.SequentialCriterion'
            self.nets['decoder_with_loss'].zeroGradParameters()
            self.nets['decoder_with_loss'].accGradParameters(nets['encoder'].output, target)
            self.nets['decoder_with_loss'].criterion.class_grad_bias.zero()
            self.nets['decoder_with_loss'].criterion.cluster_grad_bias.zero()
            self.nets['decoder_with_loss'].updateParameters(learning_rate)

    def newInputTrain(self, input, label, params):
        self.i_input = self.i_input + 1
        last_nets = self.unrolled_nets[0]
        for i in range(len(self.unrolled_nets) - 1):
            self.unrolled_nets[i] = self.unrolled_nets[i + 1]
        self.unrolled_nets[-1] = last_nets
        output, next_state, err, n_valid = self.elemForward(last_nets, input, self.state, label)
        self.elemDecodeBackward(last_nets, label, params['learning_rate'])
        self.state = [next_state[0], next_state[1]]

        if self.i_input % self.backprop_freq == 0:
            gi_state_i = {'hid': None, 'slow': None}
            unroll_bound = max(0, len(self.unrolled_nets) - self.i_input)
            j = 1
            for i in range(len(self.unrolled_nets) - 1, unroll_bound - 1, -1):
                nets = self.unrolled_nets[i]
                prev_state_i, input_i = nets['prev_state'], nets['input']
                gi_decoder_net = nets['decoder_gradInput']

                # bprop gradient from decoder for fast and slow
                if gi_state_i['hid'] is None:
                    gi_state_i['hid'] = gi_decoder_net[0]
                    gi_state_i['slow'] = gi_decoder_net[1]
                elif j <= self.backprop_freq:
                    gi_state_i['hid'].add(gi_decoder_net[0])
                    gi_state_i['slow'].add(gi_decoder_net[1])
                    j = j + 1

                # clip the gradients wrt hidden states
                if params.get('gradInput_clip'):
                    self.clipGradHiddens(gi_state_i['hid'], params['gradInput_clip'])
                    self.clipGradHiddens(gi_state_i['slow'], params['gradInput_clip'])
                # bprop through encoder
                if i != 0:
                    gi_encoder_net = nets['encoder'].backward([input_i, prev_state_i],
                                                              [gi_state_i['hid'], gi_state_i['slow']])
                    gi_state_i['hid'] = gi_encoder_net[1][0]
                    gi_state_i['slow'] = gi_encoder_net[1][1]

            # clip the gradients if specified
            if params.get('gradient_clip'):
                self.clipGradParams(params['gradient_clip'])

            # scale or zero the gradients of the slow part
            self.zeroSomeGradients()
            self.updateParams(self.w, params)
            # zero the gradients for the next time
            self.dw.zero()

        return err, n_valid

    def zeroSomeGradients(self):
        # slow projection gradient
        self.ilayers['proj_slow'].gradWeight.zero()

    test = LSTM.test   # scrnn.lua's test is lstm.lua's, line for line


# ----------------------------------------------------------------------------------------------- util.lua


def sparseInit(w, nz=None, lim=None):
    """Each output (column) connected to nz random inputs, values uniform in (-lim, 0) as the Lua draws."""
    ni = w.size(0)
    no = w.size(1)
    nz = nz if nz else 15   # default value set to 15 like in S&M paper.
    lim = lim if lim else 1  # default value set to 1
    w.fill(0.0)
    for o in range(no):
        perm = lg.randperm(ni)
        for i in range(nz):
            w[perm[i]][o] = random_.random() * lim - lim


def orthInit(w, lim=None, scl=None):
    lim = lim if lim else 0   # default value set to 0.
    scl = scl if scl else 0.9
    w.zero()
    ni = w.size(0)
    if lim == 0:
        w.add(lg.eye(ni).typeAs(w) * scl)
    elif lim > 0:
        raise NotImplementedError("util.lua's fetch_diag is defined nowhere in the repository")


def initRNN(params, model, ilayers):
    # encoder
    model.w.normal().mul(0.05)
    if params['w_init'] == 'srand':
        sparseInit(ilayers['proj'].weight, params['sparse_init_num_non_zero'])
    elif params['w_init'] == 'eye':
        orthInit(ilayers['proj'].weight, 0)
    # decoder
    if model.nets.get('decoder') is not None:
        model.nets['decoder'].modules[0].weight.zero()
    elif g_model.nets.get('decoder_with_loss') is not None:
        model.nets['decoder_with_loss'].reset(0., 0.)


def initLSTM(params, model, ilayers):
    # encoder
    model.w.normal().mul(0.05)
    if params['w_init'] == 'srand':
        for i in range(1, 5):
            sparseInit(ilayers['proj' + str(i)].weight, params['sparse_init_num_non_zero'])
    elif params['w_init'] == 'eye':
        for i in range(1, 5):
            orthInit(ilayers['proj' + str(i)].weight, 0)
    for i in range(1, 5):
        ilayers['proj' + str(i)].bias.zero()
    # decoder
    if model.nets.get('decoder') is not None:
        model.nets['decoder'].modules[0].bias.zero()
        model.nets['decoder'].modules[0].weight.zero()
    elif model.nets.get('decoder_with_loss') is not None:
        model.nets['decoder_with_loss'].reset(0., 0.)


def initSCRNN(params, model, ilayers):
    # encoder
    model.w.normal().mul(0.05)
    if params['w_init'] == 'srand':
        sparseInit(ilayers['proj_fast'].weight, params['sparse_init_num_non_zero'])
    elif params['w_init'] == 'eye':
        orthInit(ilayers['proj_fast'].weight, 0)
    # initialize contextual part
    orthInit(ilayers['proj_slow'].weight, 0, 1 - params['semb_scale'])

    # decoder
    if model.nets.get('decoder') is not None:
        model.nets['decoder'].modules[1].weight.zero()
    elif model.nets.get('decoder_with_loss') is not None:
        model.nets['decoder_with_loss'].criterion.reset(0., 0.)


# ---------------------------------------------------------------------------------------------- train.lua


def save_model(path, model):
    """``torch.save(path, self.model)``: the model without its clip function (docs/porting.md's torch.save row)."""
    without_code(model, lambda: lg.save(path, model))


class RNNTrainer:
    typename = 'RNNTrainer'

    def __init__(self, config, model, dataset):
        self.training_params = {'learning_rate': config['initial_learning_rate'],
                                'gradient_clip': config.get('gradient_clip'),
                                'gradInput_clip': config.get('gradInput_clip'),
                                'momentum': config.get('momentum')}

        self.learning_rate_shrink = config.get('learning_rate_shrink')
        self.shrink_multiplier = config.get('shrink_factor')
        self.trbatches = config['trbatches']
        self.unk_index = config.get('unk_index')
        self.progress_bar = not config.get('no_progress')
        self.model = model
        self.dataset = dataset
        self.save_dir = config.get('save_dir')
        self.use_valid = config.get('use_valid_set')
        self.use_test = config.get('use_test_set')
        self.type = lg.Tensor().type()
        self.anneal_type = config.get('shrink_type')
        self.annealed = False

    def cuda(self):
        self.type = 'torch.CudaTensor'

    # main train function
    def run_epoch_train(self):
        total_err = 0
        n_total = 0
        n_words = 0
        self.model.reset()
        shard = self.dataset.get_shard('train')
        if self.type == 'torch.CudaTensor':
            shard = shard.type(self.type)
        inputs = shard[0:shard.size(0) - 1]
        labels = shard[1:shard.size(0)]
        batch_size = shard.size(1)
        n_words = n_words + inputs.size(0) * inputs.size(1)
        size = inputs.size(0) if self.trbatches == -1 else self.trbatches
        for i in range(1, size + 1):
            if i % 1000 == 0:
                if self.progress_bar:
                    xlua.progress(i - 1, size)
                if tsys.isNaN(self.model.w.sum()):
                    print('Not a Number detected')
                    raise SystemExit(0)
            err, n = self.model.newInputTrain(inputs[i - 1], labels[i - 1], self.training_params)
            if not isinstance(err, (int, float)):
                err = err[0]
            total_err = total_err + err
            n_total = n_total + n
        return total_err / n_total / math.log(2), n_words

    # validation function : runs the model on the validation set (or any set)
    # and returns the average entropy (base 2)
    def run_epoch_val(self, set_name=None):
        set_name = set_name or 'valid'
        total_err, total_n = 0, 0
        self.model.reset()
        shard = self.dataset.get_shard(set_name)
        if self.type == 'torch.CudaTensor':
            shard = shard.type(self.type)
        inputs = shard[0:shard.size(0) - 1]
        labels = shard[1:shard.size(0)]
        err, n = self.model.test(inputs, labels)
        total_err = total_err + err
        total_n = total_n + n
        return total_err / total_n / math.log(2)

    # see run_epoch_val (same on test set)
    def run_epoch_test(self, _set_name=None):
        return self.run_epoch_val('test')

    # runs train, validation and test on n_epoches epoches
    def run(self, n_epoches):
        last_val_err = 1e30
        last_model = None
        unk_index = self.unk_index
        train_err = lg.zeros(n_epoches)
        val_err = lg.zeros(n_epoches)
        test_err = lg.zeros(n_epoches)
        time = lg.zeros(n_epoches)

        # save the untrained model
        if self.save_dir is not None:
            if paths.dirp(self.save_dir) is False:
                os.makedirs(self.save_dir, exist_ok=True)   # os.execute('mkdir -p ' .. self.save_dir)
            print('*** saving the model ***')
            save_model(paths.concat(self.save_dir, 'model_0'), self.model)

        for i in range(n_epoches):
            timer = lg.tic()
            # the Lua tests nets.decode_with_loss (sic), which no model sets: the first branch never runs
            if (self.unk_index is not None) and (self.model.nets.get('decode_with_loss') is not None):
                # UNK with HSM: disable unk_index for training, enable it for testing
                self.model.nets['decode_with_loss'].unk_index = None
                train_err[i], n_words = self.run_epoch_train()
                self.model.nets['decode_with_loss'].unk_index = unk_index
            else:
                train_err[i], n_words = self.run_epoch_train()
            time[i] = lg.toc(timer)
            print('\n\nEpoch: %d. Training time: %.2fs. Words/s: %.2f' % (i + 1, time[i], n_words / time[i]))
            print('\nTraining: Entropy (base 2) : %.5f || Perplexity : %0.5f' %
                  (train_err[i], math.pow(2, train_err[i])))

            # save the trained model
            if self.save_dir is not None:
                save_model(paths.concat(self.save_dir, 'model_' + str(i + 1)), self.model)

            # evaluate model on the validation set
            if (self.use_valid == 1) or (self.use_valid is True):
                val_err[i] = self.run_epoch_val('valid')
                print('\nValidation: Entropy (base 2) : %.5f || Perplexity : %0.5f' %
                      (val_err[i], math.pow(2, val_err[i])))

            # evaluate model on the test set
            if (self.use_test == 1) or (self.use_test is True):
                test_err[i] = self.run_epoch_test('test')
                print('\nTesting: Entropy (base 2) : %.5f || Perplexity : %0.5f' %
                      (test_err[i], math.pow(2, test_err[i])))

            # decrease learning rate if needed
            if self.annealed is False:
                if ((self.use_valid == 1) and (self.learning_rate_shrink is not None) and
                        (val_err[i] > last_val_err * self.shrink_multiplier)):
                    self.training_params['learning_rate'] = (self.training_params['learning_rate'] /
                                                             self.learning_rate_shrink)
                    self.model = last_model or self.model
                    print('\nDecreasing the learning rate to ' + str(self.training_params['learning_rate']))
                    if self.anneal_type == 'fast':
                        self.annealed = True
                else:
                    last_val_err = val_err[i]
                    last_model = self.model.clone()
            else:   # anneal the learning rate after every subsequent epoch
                self.training_params['learning_rate'] = (self.training_params['learning_rate'] /
                                                         self.learning_rate_shrink)
                print('\nDecreasing the learning rate to ' + str(self.training_params['learning_rate']))

            print('')

            # save the logs of accuracy and time
            if self.save_dir is not None:
                lg.save(paths.concat(self.save_dir, 'model.log'),
                        {'train_err': train_err, 'test_err': test_err,
                         'valid_err': val_err, 'time': time, 'epoch': i + 1})
        return train_err, val_err


# ----------------------------------------------------------------------------------------------- main.lua


g_model = None


def main(g_params):
    """main.lua lines 33-99 with options.lua's parameter tables given."""
    global g_model, g_ilayers, g_trainer, g_dataset, g_dictionary
    if 'scrnn' in g_params['model']['name']:
        g_params['model']['semb_scale'] = 0.05

    # build the torch dataset
    generate_data(g_params['dataset'])

    # Load dataset and dictionary
    print('[[ Loading dataset and dictionary ]]')
    g_dataset, g_dictionary = load_dataset(g_params['dataset'])

    # create model layers
    nets, ilayers = makeModelNets(g_params['model'], g_dictionary)

    # load the loss function
    criterion = None
    if '_sm' in g_params['model']['name']:
        criterion = nn.ClassNLLCriterion()
        criterion.sizeAverage = False

    # create model and initialize
    lg.manualSeed(1)
    if 'srnn' in g_params['model']['name']:
        g_model = RNN(g_params['model'], nets, criterion)
        g_ilayers = g_model.ilayers
        initRNN(g_params['model'], g_model, g_ilayers)
    elif 'lstm' in g_params['model']['name']:
        g_model = LSTM(g_params['model'], nets, criterion, ilayers)
        g_ilayers = g_model.ilayers
        initLSTM(g_params['model'], g_model, g_ilayers)
    elif 'scrnn' in g_params['model']['name']:
        g_model = SCRNN(g_params['model'], nets, criterion, ilayers)
        g_ilayers = g_model.ilayers
        initSCRNN(g_params['model'], g_model, g_ilayers)
    else:
        raise ValueError('*** wrong model ***')

    # Create trainer
    g_trainer = RNNTrainer(g_params['trainer'], g_model, g_dataset)
    if g_params.get('cuda_device'):
        g_trainer.cuda()

    # train!
    return g_trainer.run(g_params['trainer']['n_epochs'])


for _cls in (RNN, LSTM, SCRNN):
    lg.register(_cls)


# --------------------------------------------------------------------------------------------- options.lua


class RNNOption:
    """Parses the default options for RNNs (torch.CmdLine) into tables per prefix (dataset, model, trainer)."""
    typename = 'RNNOption'

    def __init__(self):
        self.cmd = lg.CmdLine()
        self.cmd.argseparator = '_'
        self.cmd.text()
        self.cmd.text('RNN Training for Language Modeling')
        self.cmd.text()
        self.cmd.text('Options:')

        self.options = {}

        # dataset
        self.option('-dset', 'dataset.name', 'ptb', 'Dataset name: ptb | text8')
        self.optionChoice('-task', 'dataset.task', 'word', 'Task: char language model | word language model',
                          ['char', 'word'])
        self.option('-shuff', 'dataset.shuff', False, 'shuffle the sentences in training data or not')
        self.option('-nclusters', 'dataset.nclusters', 0, 'number of clusters for HSM: 0 => sqrt(n)')
        self.option('-threshold', 'dataset.threshold', 0, 'remove words appearing less than threshold')

        # model
        self.option('-name', 'model.name', 'srnn_sm',
                    'name of the model: srnn_sm | srnn_hsm | lstm_sm | lstm_hsm | scrnn_sm | scrnn_hsm')
        self.option('-nhid', 'model.n_hidden', 100, 'Number of hidden units')
        self.option('-nslow', 'model.n_slow', 0, 'Number of slow features (0 to disable)')
        self.option('-nz', 'model.sparse_init_num_non_zero', 15,
                    'number of non-zero values used to initialize the recurrent matrix')
        self.optionChoice('-winit', 'model.w_init', 'frand', 'Weight matrix initialization (full, sparse, eye)',
                          ['frand', 'srand', 'eye'])
        self.option('-init', 'model.initial_val', 0.1, 'Value used for initialization of hidden units')
        self.option('-blen', 'model.backprop_len', 10, 'Number of steps to unfold back in time')
        self.option('-bfreq', 'model.backprop_freq', 5, 'Backprop frequency')
        self.optionChoice('-nonlin', 'model.non_linearity', 'sigmoid', 'Non linearity',
                          ['relu', 'tanh', 'sigmoid'])
        self.option('-loadmodel', 'model.load', '', 'Load a saved model', lambda x: None if x == '' else x)
        self.option('-cliptype', 'model.clip_type', 'scale',
                    'Grad clip type: scale (scale norm) | hard (clip components)')
        # trainer
        self.option('-batchsz', 'trainer.batch_size', 32, 'Size of mini-batch')
        self.option('-trbatches', 'trainer.trbatches', -1, 'Number of training batches. -1 = full data')
        self.option('-eta', 'trainer.initial_learning_rate', 0.05, 'Initial learning rate')
        self.option('-etashrink', 'trainer.learning_rate_shrink', 1.2,
                    'Learning rate shrink when validation error increases')
        self.option('-shrinkfactor', 'trainer.shrink_factor', 0.9999,
                    'multiplier on last validation error to decide on eta shrink')
        self.option('-shrinktype', 'trainer.shrink_type', 'slow',
                    'speed of learning rate annealing: at every epoch after the first anneal (fast) or after '
                    'validation error stagnates (slow)')
        self.optionDisableIfNegative('-momentum', 'trainer.momentum', 0, 'Momentum (0 to disable)')
        self.optionDisableIfNegative('-gradclip', 'trainer.gradient_clip', 0,
                                     'Norm of gradient clipping (0 to disable)')
        self.optionDisableIfNegative('-gradinputclip', 'trainer.gradInput_clip', 50,
                                     'Clip every gradInput in bprop (0 to disable)')
        self.option('-isvalid', 'trainer.use_valid_set', 1, 'Evaluate on validation set')
        self.option('-istest', 'trainer.use_test_set', 0, 'Evaluate on test set')
        self.option('-noprogress', 'trainer.no_progress', False, 'Do not print progress bar (for bistro)')
        # general
        self.option('-nepochs', 'trainer.n_epochs', 100, 'Number of training epochs')
        self.optionDisableIfNegative('-devid', 'cuda_device', 1, 'GPU device id (-1 for CPU)')
        self.option('-user', 'user', '', 'User. If none use uname',
                    lambda x: os.getenv('USER') if x == '' else x)
        self.option('-save', 'trainer.save', True, 'Whether to save the trained model or not')

    # Adds an option: cmd_option (eg. -eta), param_name (eg. trainer.learning_rate), default, help, process
    def option(self, cmd_option, param_name, default, help, process_function=None):
        process_function = process_function or (lambda x: x)
        self.cmd.option(cmd_option, default, help)
        cmd_option_idx = cmd_option
        while cmd_option_idx[0:1] == '-':
            cmd_option_idx = cmd_option_idx[1:]
        self.options[param_name] = [cmd_option_idx, process_function]

    # Adds an option expecting a string. If the option is not in the list <choices>, it raises an error.
    def optionChoice(self, cmd_option, param_name, default, help, choices):
        def f(x):
            for i in range(len(choices)):
                if choices[i] == x:
                    return x
            raise ValueError('Option ' + cmd_option + ' cannot take value ' + x + ' . Possible values are '
                             + self.build_choices_string(choices))
        self.option(cmd_option, param_name, default, help, f)

    # Adds an option expecting a number. It is replaced by nil if it is <= 0.
    def optionDisableIfNegative(self, cmd_option, param_name, default, help):
        def f(x):
            if x <= 0:
                return None
            else:
                return x
        self.option(cmd_option, param_name, default, help, f)

    # Changes the default value to an option.
    def change_default(self, cmd_option, new_default):
        if self.cmd.options.get(cmd_option) is None:
            raise KeyError('RNNOption: trying to change default, but option ' + cmd_option + ' does not exist')
        self.cmd.options[cmd_option]['default'] = new_default

    def build_choices_string(self, choices):
        out = '('
        for i in range(len(choices)):
            if i != 0:
                out = out + '|'
            out = out + choices[i]
        return out + ')'

    # Parses the command line: tables for the specialized options (eg. model, trainer, ...) and the global
    # parameters (eg. cuda_device). ``arg`` is the Lua's global arg, the command line.
    def parse(self, arg):
        opt = self.cmd.parse(arg)
        params = {}
        for k, v in self.options.items():
            cmd_option = v[0]
            process_function = v[1]
            if '.' in k:
                k1 = k[:k.find('.')]
                k2 = k[k.find('.') + 1:]
                if params.get(k1) is None:
                    params[k1] = {}
                params[k1][k2] = process_function(opt[cmd_option])
            else:
                params[k] = process_function(opt[cmd_option])

        # save dir
        def to_string(x):
            if x is None:
                return 'nil'
            elif isinstance(x, bool):
                return 'true' if x else 'false'
            else:
                return str(x)

        mdir = (params['model']['name']
                + '_dset=' + params['dataset']['name']
                + '_nepch=' + str(params['trainer']['n_epochs'])
                + '_bsz=' + str(params['trainer']['batch_size'])
                + '_init=' + str(params['model']['initial_val'])
                + '_nhid=' + str(params['model']['n_hidden'])
                + '_nslow=' + str(params['model']['n_slow'])
                + '_blen=' + str(params['model']['backprop_len'])
                + '_bfrq=' + str(params['model']['backprop_freq'])
                + '_lr=' + str(params['trainer']['initial_learning_rate'])
                + '_lrs=' + str(params['trainer']['learning_rate_shrink'])
                + '_mom=' + to_string(params['trainer']['momentum'])
                + '_cliptype=' + params['model']['clip_type']
                + '_clip=' + to_string(params['trainer']['gradient_clip'])
                + '_giclip=' + to_string(params['trainer']['gradInput_clip'])
                + '_nz=' + to_string(params['model']['sparse_init_num_non_zero'])
                + '_winit=' + params['model']['w_init'])
        if params.get('cuda_device') is not None:
            mdir = mdir + '_proc=gpu'
        else:
            mdir = mdir + '_proc=cpu'
        basedir = './output/' + params['dataset']['name'] + '_' + params['dataset']['task'] + '_rnn'
        if params['trainer']['save'] is True:
            params['trainer']['save_dir'] = paths.concat(basedir, mdir)
        else:
            params['trainer']['save_dir'] = None

        # extra
        params['dataset']['batch_size'] = params['trainer']['batch_size']
        params['model']['batch_size'] = params['trainer']['batch_size']
        params['model']['cuda_device'] = params.get('cuda_device')

        return params


# ------------------------------------------------------------------------------------------------ tests


SENTENCES = ['the cat sat on the mat', 'a dog ran in the park', 'the bird sang in a tree',
             'a cat ran on the mat', 'the dog sat in a park']


def write_corpus(root, rng, lines=(60, 12, 12)):
    """data/ptb/ptb.{train,valid,test}.txt as data/makedata-ptb.sh leaves them: one sentence a line, blank-led."""
    os.makedirs(os.path.join(root, 'data', 'ptb'))
    for name, n in zip(('train', 'valid', 'test'), lines):
        with open(os.path.join(root, 'data', 'ptb', 'ptb.%s.txt' % name), 'w') as f:
            for k in rng.integers(len(SENTENCES), size=n):
                f.write(' ' + SENTENCES[k] + ' \n')
            f.write('\n')     # an empty last line: Penlight's split gives it no word, only its </s>


def options(name, **model):
    """The tables options.lua's parse returns for ``-name <name> -nhid 16 -nslow 8 -blen 4 -bfreq 2 -batchsz 4
    -eta 0.1 -nepochs 3 -devid -1 -nclusters 100`` (trainer.save false; -nclusters 100 gives load_dataset's
    fixed dictionary name)."""
    params = {
        'dataset': {'name': 'ptb', 'task': 'word', 'shuff': False, 'nclusters': 100, 'threshold': 0,
                    'batch_size': 4},
        'model': {'name': name, 'n_hidden': 16, 'n_slow': 8, 'sparse_init_num_non_zero': 15, 'w_init': 'frand',
                  'initial_val': 0.1, 'backprop_len': 4, 'backprop_freq': 2, 'non_linearity': 'sigmoid',
                  'load': None, 'clip_type': 'scale', 'batch_size': 4, 'cuda_device': None},
        'trainer': {'batch_size': 4, 'trbatches': -1, 'initial_learning_rate': 0.1, 'learning_rate_shrink': 1.2,
                    'shrink_factor': 0.9999, 'shrink_type': 'slow', 'momentum': None, 'gradient_clip': None,
                    'gradInput_clip': 50, 'use_valid_set': 1, 'use_test_set': 0, 'no_progress': True,
                    'n_epochs': 3, 'save': False, 'save_dir': None},
        'cuda_device': None,
    }
    params['model'].update(model)
    return params


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    write_corpus(str(tmp_path), np.random.default_rng(0))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dictionary_ids_clusters_and_shards(corpus):
    generate_data(options('scrnn_sm')['dataset'])
    dataset, dict = load_dataset({'name': 'ptb', 'batch_size': 4})
    words = sorted({w for s in SENTENCES for w in s.split()})
    # <UNK> is 0, the first line's words follow in order, then </s> (added after that line)
    assert dict['symbol_to_index']['<UNK>'] == 0 and dict['index_to_symbol'][0] == '<UNK>'
    assert sorted(dict['symbol_to_index'].values()) == list(range(len(words) + 2))
    assert dict['separatorIndex'] == dict['symbol_to_index']['</s>']
    freq = dict['index_to_freq']
    with open('data/ptb/ptb.train.txt') as f:
        train = f.read().split('\n')[:-1]
    assert freq[dict['symbol_to_index']['</s>']] == len(train)
    assert freq[dict['symbol_to_index']['the']] == sum(s.split().count('the') for s in train)
    # the mapping and the reverse index agree, clusters and positions from 0
    mapping = dict['mapping']
    for w in range(freq.size(0)):
        c, k = int(mapping[w][0]), int(mapping[w][1])
        assert int(dict['cluster_to_index'][c][k]) == w
    assert int(mapping[:, 0].min()) == 0 and int(mapping[:, 1].min()) == 0
    # tokenize: the ids of the words in order, </s> after each line (its `local eos = config.eos` shadows the
    # argument false that datatools passes), the tensor sized to hold exactly those
    data = dataset.sets['train']
    want = [dict['symbol_to_index'][w] for s in train for w in s.split() + ['</s>']]
    assert data.tolist() == want
    shard = dataset.get_shard('train')
    length = data.size(0) // 4
    assert shard.size() == (length, 4) and shard[:, 1].tolist() == data[length:2 * length].tolist()


def test_clip_functions():
    v = lg.Tensor([3.0, -4.0])
    scale_clip(v, 1)
    np.testing.assert_allclose(v.numpy(), [0.6, -0.8])
    v = lg.Tensor([3.0, -0.5, -4.0])
    hard_clip(v, 1)
    assert v.tolist() == [1.0, -0.5, -1.0]


@pytest.mark.parametrize('name', ['scrnn_sm', 'srnn_sm', 'lstm_sm'])
def test_main_trains_each_model_and_its_entropy_falls(corpus, name):
    train_err, val_err = main(options(name))
    ncls = g_dictionary['index_to_freq'].size(0)
    assert train_err[2] < train_err[0] < math.log2(ncls)
    assert val_err[2] < 0.9 * math.log2(ncls)
    # the unrolled clones share the master encoder's parameters, which are views of model.w
    enc = g_model.nets['encoder']
    for nets in g_model.unrolled_nets:
        for p, q in zip(nets['encoder'].parameters()[0], enc.parameters()[0]):
            assert p.storage() is g_model.w.storage() and lg.equal(p, q)


def test_scrnn_internal_layers_are_found_by_node_id_and_the_slow_recurrence_stays_fixed(corpus):
    """scrnn.lua's set_internal_layers finds the clone's modules with the original graph's node ids;
    zeroSomeGradients keeps proj_slow at (1 - semb_scale) I, where initSCRNN put it, through training."""
    main(options('scrnn_sm'))
    il = g_model.ilayers
    assert [lg.typename(il[k]) for k in ('emb_fast', 'emb_slow', 'proj_fast', 'proj_slow', 'proj_slow2fast')] == [
        'nn.LookupTableGPU', 'nn.Sequential', 'nn.LinearNB', 'nn.LinearNB', 'nn.LinearNB']
    assert il['proj_slow'].weight.size() == (8, 8) and il['proj_slow2fast'].weight.size() == (16, 8)
    assert any(m is il['proj_slow'] for m in g_model.nets['encoder'].modules)
    np.testing.assert_allclose(il['proj_slow'].weight.numpy(), 0.95 * np.eye(8))
    assert float(il['proj_fast'].weight.std()) > 0


def test_trainer_checkpoints_and_reloads_the_model(corpus):
    params = options('scrnn_sm')
    params['trainer']['n_epochs'] = 1
    params['trainer']['save_dir'] = paths.concat('output', 'run')
    main(params)
    saved = lg.load(paths.concat('output', 'run', 'model_1'))
    assert type(saved) is SCRNN and not hasattr(saved, 'clip_function')
    assert lg.equal(saved.w, g_model.w)
    log = lg.load(paths.concat('output', 'run', 'model.log'))
    assert log['epoch'] == 1 and float(log['valid_err'][0]) > 0
    copy = g_model.clone()
    assert copy.clip_function is scale_clip and copy.w.storage() is not g_model.w.storage()
    assert lg.equal(copy.w, g_model.w)


@pytest.mark.parametrize('name', ['srnn_hsm', 'scrnn_hsm'])
def test_hierarchical_softmax_models_train(corpus, name):
    """The _hsm decoders: fbnn's HSM over the dictionary's 0-based (cluster, position) mapping, updated
    directly (srnn) or through SequentialCriterion's updateParameters (scrnn); neither joins model.w."""
    train_err, val_err = main(options(name))
    ncls = g_dictionary['index_to_freq'].size(0)
    assert train_err[2] < train_err[0] < 2 * math.log2(ncls)
    assert val_err[2] < val_err[0]
    hsm = g_model.nets['decoder_with_loss']
    hsm = hsm.criterion if name == 'scrnn_hsm' else hsm
    assert g_model.w.nElement() == sum(p.nElement() for p in g_model.nets['encoder'].parameters()[0])
    # reset(0, 0) zeroed the weights; -nclusters 100 over 15 words gives one word per cluster, so the cluster
    # level learns and the class level (a softmax over one class) has no gradient
    assert float(hsm.cluster_weight.abs().sum()) > 0 and float(hsm.class_weight.abs().sum()) == 0


@pytest.mark.gpu
def test_scrnn_on_the_gpu_follows_the_cpu(corpus):
    """main.lua with -devid 1 (cuda_device; device 0 here): SCRNN:cuda() moves the nets and the clones, the
    trainer the shards, as CudaTensors; an epoch's entropies match the CPU run's to float precision."""
    params = options('scrnn_sm')
    params['trainer']['n_epochs'] = 1
    cpu_train, cpu_val = main(params)
    params = options('scrnn_sm', cuda_device=1)
    params['trainer']['n_epochs'] = 1
    params['cuda_device'] = 1
    gpu_train, gpu_val = main(params)
    assert g_model.w.type() == 'torch.CudaTensor'
    assert g_model.unrolled_nets[0]['encoder'].parameters()[0][0].type() == 'torch.CudaTensor'
    np.testing.assert_allclose(gpu_train.numpy(), cpu_train.numpy(), rtol=1e-3)
    np.testing.assert_allclose(gpu_val.numpy(), cpu_val.numpy(), rtol=1e-3)


def test_rnn_option_parses_into_the_tables_the_tests_use(monkeypatch):
    """options.lua on the command line the other tests stand for: the same tables, the disabled options
    (-momentum 0, -gradclip 0, -devid -1) nil, the save directory named from the options."""
    monkeypatch.setenv('USER', 'tester')
    cmd = RNNOption()
    cmd.option('-overrideparams', 'model.override_loaded_parameters', False,
               'If loading a model, overrides its parameters')   # main.lua lines 27-29
    argv = ('-name scrnn_sm -nhid 16 -nslow 8 -blen 4 -bfreq 2 -batchsz 4 -eta 0.1 -nepochs 3 -devid -1 '
            '-nclusters 100 -noprogress').split()
    params = cmd.parse(argv)
    want = options('scrnn_sm')
    assert params['dataset'] == want['dataset']
    assert {k: params['model'][k] for k in want['model']} == want['model']
    assert params['model']['override_loaded_parameters'] is False
    assert {k: params['trainer'][k] for k in want['trainer'] if k not in ('save', 'save_dir')} == \
        {k: v for k, v in want['trainer'].items() if k not in ('save', 'save_dir')}
    assert params['cuda_device'] is None and params['user'] == 'tester'
    # paths.concat of a relative path is made absolute from the current directory, as paths.c does
    mdir = ('scrnn_sm_dset=ptb_nepch=3_bsz=4_init=0.1_nhid=16_nslow=8_blen=4_bfrq=2_lr=0.1_lrs=1.2_mom=nil_'
            'cliptype=scale_clip=nil_giclip=50_nz=15_winit=frand_proc=cpu')
    assert params['trainer']['save_dir'] == os.path.join(os.getcwd(), 'output', 'ptb_word_rnn', mdir)
    with pytest.raises(ValueError, match=r'Option -winit cannot take value x \. Possible values are '
                                         r'\(frand\|srand\|eye\)'):
        RNNOption().parse(['-winit', 'x'])
    cmd.change_default('-eta', 0.5)
    assert cmd.parse([])['trainer']['initial_learning_rate'] == 0.5
