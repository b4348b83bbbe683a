"""train.lua (all) as ``main(arg)``; its globals (opt, dataset, model, ...) are locals, and what a caller reads
back is returned. Edits beyond syntax and 0-based indices:

- the data files hold the Lua's 1-based word ids with 0 as padding, answers and image positions from 1: after
  right_align the questions get ``add(-1)`` (LookupTableMaskZero's padding -1, docs/porting.md's data-files row;
  after, so that right_align's zero fill becomes the padding too), and answers, seconds' answers and image
  positions are read minus one;
- ``nn.GRU(embedding_size_q, rnn_size_q, false, .25, true)``: ``false`` for rho is written None (docs/porting.md's
  ``nil`` row: Lua's false means the default there; legonn refuses a boolean);
- ``model:backward(fv_sorted_q, dscores)`` hands the ParallelTable the questions alone after a forward of
  ``{fv_sorted_q, fv_im}``: Torch7's modules read what their forward kept (rnn's LookupTableMaskZero its
  ``__input``), legonn refuses it (docs/porting.md's accGradParameters row), so the port passes
  ``{fv_sorted_q, fv_im}``;
- ``require 'misc.RNNUtils'`` is VQA_LSTM_CNN's port (the same file), ``mhdf5`` misc/mhdf5.py, ``require
  ('netdef.'..opt.model_name)`` netdef.load; ``optim[opt.optimizer]`` is ``getattr(optim, ...)``.
"""
import math

import legonn as lg
from legonn import cjson, cutorch, hdf5, nn, optim, paths

from ..vqa_lstm_cnn.misc.RNNUtils import load_rnn_utils
from .misc.mhdf5 import mhdf5
from .myutils import readAll
from .netdef import load as require_netdef


def main(arg):
    # -------------------------------------------------------------------------------
    # Input arguments and options
    # -------------------------------------------------------------------------------
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train a Visual Question Answering model')
    cmd.text()
    cmd.text('Options')

    # Data input settings
    cmd.option('-input_img_h5', 'data_train-val_test-dev_2k/data_res.h5', 'path to the h5file containing the image feature')
    cmd.option('-input_ques_h5', 'data_train-val_test-dev_2k/data_prepro.h5', 'path to the h5file containing the preprocessed dataset')
    cmd.option('-input_json', 'data_train-val_test-dev_2k/data_prepro.json', 'path to the json file containing additional info and vocab')
    cmd.option('-input_skip', 'skipthoughts_model', 'path to skipthoughts_params')
    cmd.option('-mhdf5_size', 10000)

    # Model parameter settings
    cmd.option('-batch_size', 100, 'batch_size for each iterations')
    cmd.option('-rnn_model', 'GRU', 'question embedding model')
    cmd.option('-input_encoding_size', 620, 'the encoding size of each token in the vocabulary')
    cmd.option('-rnn_size', 2400, 'size of the rnn in number of hidden nodes in each layer')
    cmd.option('-common_embedding_size', 1200, 'size of the common embedding vector')
    cmd.option('-num_output', 2000, 'number of output answers')
    cmd.option('-model_name', 'MLB', 'model name')
    cmd.option('-label', '', 'model label')
    cmd.option('-num_layers', 1, '# of layers of Multimodal Residual Networks')
    cmd.option('-dropout', .5, 'dropout probability for joint functions')
    cmd.option('-glimpse', 2, '# of glimpses')
    cmd.option('-clipping', 10, 'gradient clipping')

    # Second Answers
    cmd.option('-seconds', True, 'usage of second candidate answers')
    cmd.option('-input_seconds', 'data_train-val_test-dev_2k/seconds.json')

    # Optimizer parameter settings
    cmd.option('-learning_rate', 3e-4, 'learning rate for rmsprop')
    cmd.option('-learning_rate_decay_start', 0, 'at what iteration to start decaying learning rate? (-1 = dont)')
    cmd.option('-learning_rate_decay_every', 100, 'every how many epoch thereafter to drop LR by 0.1?')
    cmd.option('-max_iters', 250000, 'max number of iterations to run for ')
    cmd.option('-optimizer', 'rmsprop', 'opimizer')

    # check point
    cmd.option('-save_checkpoint_every', 25000, 'how often to save a model checkpoint?')
    cmd.option('-checkpoint_path', 'model/', 'folder to save checkpoints')
    cmd.option('-load_checkpoint_path', '', 'path to saved checkpoint')
    cmd.option('-previous_iters', 0, 'previous # of iterations to get previous learning rate')
    cmd.option('-kick_interval', 50000, 'interval of kicking the learning rate as its double')

    # misc
    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-seed', 1231, 'random number generator seed to use')

    # visualgenome augmentation
    cmd.option('-vg', False, 'visual genome augmentation')
    cmd.option('-vg_ques_h5', '', 'path to visual genome question h5 file')
    cmd.option('-vg_img_h5', '', 'path to visual genome image h5 file')

    opt = cmd.parse(arg)
    opt['iterPerEpoch'] = 240000 / opt['batch_size']
    print(opt)

    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')  # for CPU

    U = load_rnn_utils(opt)   # require 'misc.RNNUtils'
    right_align = U.right_align
    if opt['gpuid'] >= 0:
        if opt['backend'] == 'cudnn':
            from legonn import cudnn  # noqa: F401
        cutorch.manualSeed(opt['seed'])
        cutorch.setDevice(opt['gpuid'])

    # ------------------------------------------------------------------------
    # Setting the parameters
    # ------------------------------------------------------------------------
    model_name = opt['model_name'] + opt['label'] + '_L' + str(opt['num_layers'])
    num_layers = opt['num_layers']
    model_path = opt['checkpoint_path']
    batch_size = opt['batch_size']
    embedding_size_q = opt['input_encoding_size']
    rnn_size_q = opt['rnn_size']
    common_embedding_size = opt['common_embedding_size']
    noutput = opt['num_output']
    dropout = opt['dropout']
    glimpse = opt['glimpse']
    decay_factor = 0.99997592083  # math.exp(math.log(0.1)/opt.learning_rate_decay_every/opt.iterPerEpoch)
    question_max_length = 26
    seconds = readAll(opt['input_seconds'])
    paths.mkdir(model_path)

    # ------------------------------------------------------------------------
    # Loading Dataset
    # ------------------------------------------------------------------------
    file = open(opt['input_json'], 'r')
    text = file.readline()
    file.close()
    json_file = cjson.decode(text)

    print('DataLoader loading h5 file: ', opt['input_ques_h5'])
    dataset = {}
    h5_file = hdf5.open(opt['input_ques_h5'], 'r')
    nhimage = 2048

    dataset['question'] = h5_file.read('/ques_train').all()
    dataset['question_id'] = h5_file.read('/question_id_train').all()
    dataset['lengths_q'] = h5_file.read('/ques_length_train').all()
    dataset['img_list'] = h5_file.read('/img_pos_train').all().add(-1)
    dataset['answers'] = h5_file.read('/answers').all().add(-1)
    h5_file.close()

    h5_file_vg = None
    if opt['vg']:
        h5_file = hdf5.open(opt['vg_ques_h5'], 'r')
        dataset['question_vg'] = h5_file.read('/ques_train').all().add(-1)
        dataset['img_list_vg'] = h5_file.read('/img_id_train').all()
        dataset['answers_vg'] = h5_file.read('/answers').all().add(-1)
        h5_file.close()

    print('DataLoader loading h5 file: ', opt['input_img_h5'])
    h5_file = hdf5.open(opt['input_img_h5'], 'r')
    h5_cache = mhdf5(h5_file, [2048, 14, 14], opt['mhdf5_size'])  # consumes 48Gb memory
    if opt['vg']:
        h5_file_vg = hdf5.open(opt['vg_img_h5'], 'r')
    train_list = []
    for i, imname in enumerate(json_file['unique_img_train']):
        train_list.append(imname)
    dataset['question'] = right_align(dataset['question'], dataset['lengths_q']).add(-1)

    # Normalize the image feature
    if opt.get('img_norm') == 1:
        pass

    count = 0
    for i, w in json_file['ix_to_word'].items():
        count = count + 1
    vocabulary_size_q = count

    # ------------------------------------------------------------------------
    # Design Parameters and Network Definitions
    # ------------------------------------------------------------------------
    print('Building the model...')

    buffer_size_q = dataset['question'].size()[1]  # noqa: F841

    if opt['rnn_model'] == 'GRU':
        # skip-thought vectors
        # lookup = nn.LookupTableMaskZero(vocabulary_size_q, embedding_size_q)
        if opt['num_output'] == 1000:
            lookupfile = 'lookup_fix.t7'
        elif opt['num_output'] == 2000:
            lookupfile = 'lookup_2k.t7'
        elif opt['num_output'] == 3000:
            lookupfile = 'lookup_3k.t7'
        lookup = lg.load(paths.concat(opt['input_skip'], lookupfile))
        assert lookup.weight.size(0) == vocabulary_size_q + 1  # +1 for zero
        assert lookup.weight.size(1) == embedding_size_q
        gru = lg.load(paths.concat(opt['input_skip'], 'gru.t7'))
        # Bayesian GRUs have right dropouts
        rnn_model = nn.GRU(embedding_size_q, rnn_size_q, None, .25, True)
        skip_params = gru.parameters()[0]
        rnn_model.migrate(skip_params)
        rnn_model.trimZero(1)
        gru = None

        # encoder: RNN body
        encoder_net_q = nn.Sequential() \
            .add(nn.Sequencer(rnn_model)) \
            .add(nn.SelectTable(question_max_length - 1))

    elif opt['rnn_model'] == 'LSTM':
        lookup = nn.LookupTableMaskZero(vocabulary_size_q, embedding_size_q)
        opt['rnn_layers'] = 2
        rnn_model = nn.LSTM(embedding_size_q, rnn_size_q, None, None, .25, True)
        rnn_model.trimZero(1)
        encoder_net_q = nn.Sequential() \
            .add(nn.Sequencer(rnn_model))
        for i in range(2, opt['rnn_layers'] + 1):
            rnn_model = nn.LSTM(rnn_size_q, rnn_size_q, None, None, .25, True)
            rnn_model.trimZero(1)
            encoder_net_q \
                .add(nn.ConcatTable()
                     .add(nn.SelectTable(-1))
                     .add(nn.Sequential()
                          .add(nn.Sequencer(rnn_model))
                          .add(nn.SelectTable(-1)))) \
                .add(nn.JoinTable(1))
        rnn_size_q = rnn_size_q * opt['rnn_layers']
        encoder_net_q.getParameters()[0].uniform(-0.08, 0.08)

    # embedding: word-embedding
    embedding_net_q = nn.Sequential() \
        .add(lookup) \
        .add(nn.SplitTable(1))

    netdef = require_netdef(opt['model_name'])
    cbp1 = cbp2 = None
    if opt['model_name'] == 'MCB':
        multimodal_net, cbp1, cbp2 = getattr(netdef, opt['model_name'])(
            rnn_size_q, nhimage, common_embedding_size, dropout, num_layers, noutput, batch_size, glimpse)
    else:
        multimodal_net = getattr(netdef, opt['model_name'])(
            rnn_size_q, nhimage, common_embedding_size, dropout, num_layers, noutput, batch_size, glimpse)
    print(multimodal_net)

    model = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Sequential()
                  .add(embedding_net_q)
                  .add(encoder_net_q))
             .add(nn.Identity())) \
        .add(multimodal_net)

    # criterion
    criterion = nn.CrossEntropyCriterion()

    if opt['gpuid'] >= 0:
        print('shipped data function to cuda...')
        model = model.cuda()
        criterion = criterion.cuda()

    multimodal_w = multimodal_net.getParameters()[0]
    multimodal_w.uniform(-0.08, 0.08)
    w, dw = model.getParameters()

    if paths.filep(opt['load_checkpoint_path']):
        print('loading checkpoint model...')
        # loading the model
        model_param = lg.load(opt['load_checkpoint_path'])
        # trying to use the precedding parameters
        w.copy(model_param)

    # optimization parameter
    optimize = {}
    optimize['maxIter'] = opt['max_iters']
    optimize['learningRate'] = opt['learning_rate']
    optimize['update_grad_per_n_batches'] = 1

    optimize['winit'] = w
    print('nParams=', optimize['winit'].size(0))
    print('decay_factor =', decay_factor)

    # ------------------------------------------------------------------------
    # Next batch for train
    # ------------------------------------------------------------------------
    def next_batch(batch_size):
        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)
        nqs = dataset['question'].size(0)
        fv_im = lg.Tensor(batch_size, 2048, 14, 14)
        # we use the last val_num data for validation (the data already randomlized when created)
        for i in range(batch_size):
            qinds[i] = lg.random(nqs)
            iminds[i] = dataset['img_list'][qinds[i]]
            fv_im[i].copy(h5_cache.get(paths.basename(train_list[int(iminds[i])])))

        fv_sorted_q = dataset['question'].index(0, qinds)
        labels = dataset['answers'].index(0, qinds)

        # using second candidate answer sampling
        if opt['seconds']:
            sampling = lg.rand(batch_size)
            qids = dataset['question_id'].index(0, qinds)
            for i in range(batch_size):
                second = seconds.get(str(int(qids[i])))
                if second:
                    if sampling[i] < second['p']:
                        labels[i] = second['answer'] - 1

        # ship to gpu
        if opt['gpuid'] >= 0:
            fv_sorted_q = fv_sorted_q.cuda()
            fv_im = fv_im.cuda()
            labels = labels.cuda()
        return fv_sorted_q, fv_im, labels

    def next_batch_vg(batch_size):
        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)
        nqs = dataset['question_vg'].size(0)
        fv_im = lg.Tensor(batch_size, 2048, 14, 14)
        for i in range(batch_size):
            qinds[i] = lg.random(nqs)
            iminds[i] = dataset['img_list_vg'][qinds[i]]
            fv_im[i].copy(h5_file_vg.read(str(int(iminds[i])) + '.jpg').all())

        fv_sorted_q = dataset['question_vg'].index(0, qinds)
        labels = dataset['answers_vg'].index(0, qinds)

        # ship to gpu
        if opt['gpuid'] >= 0:
            fv_sorted_q = fv_sorted_q.cuda()
            fv_im = fv_im.cuda()
            labels = labels.cuda()
        return fv_sorted_q, fv_im, labels

    # ------------------------------------------------------------------------
    # Objective Function and Optimization
    # ------------------------------------------------------------------------
    record = {'running_avg': None, 'losses': []}

    def JdJ(x):
        # clear gradients--
        dw.zero()

        # grab a batch--
        if not opt['vg']:
            fv_sorted_q, fv_im, labels = next_batch(batch_size)
        else:
            fv_sorted_q, fv_im, labels = next_batch(math.ceil(batch_size / 2))
            fv_sorted_q_vg, fv_im_vg, labels_vg = next_batch_vg(math.floor(batch_size / 2))
            joiner = nn.JoinTable(0).cuda()
            fv_sorted_q = joiner.forward([fv_sorted_q, fv_sorted_q_vg]).clone()
            fv_im = joiner.forward([fv_im, fv_im_vg]).clone()
            labels = joiner.forward([labels, labels_vg]).clone()

        scores = model.forward([fv_sorted_q, fv_im])
        f = criterion.forward(scores, labels)
        dscores = criterion.backward(scores, labels)
        model.backward([fv_sorted_q, fv_im], dscores)

        gradients = dw
        if opt['clipping'] > 0:
            gradients.clamp(-opt['clipping'], opt['clipping'])
        if record['running_avg'] is None:
            record['running_avg'] = f
        record['running_avg'] = record['running_avg'] * 0.95 + f * 0.05
        record['losses'].append(f)
        return f, gradients

    # ------------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------------
    state = {}
    optimize['learningRate'] = optimize['learningRate'] * decay_factor ** opt['previous_iters']
    optimize['learningRate'] = optimize['learningRate'] * 2 ** min(2, math.floor(opt['previous_iters'] / opt['kick_interval']))
    for iter in range(opt['previous_iters'] + 1, opt['max_iters'] + 1):
        if iter % opt['save_checkpoint_every'] == 0:
            paths.mkdir(model_path + 'save')
            lg.save(model_path + 'save/' + model_name + '_iter%d.t7' % iter, w)
        if iter % 100 == 0:
            print('training loss: ' + str(record['running_avg']), 'on iter: ' + str(iter) + '/' + str(opt['max_iters']))
        # double learning rate at two iteration points
        if iter == opt['kick_interval'] or iter == opt['kick_interval'] * 2:
            optimize['learningRate'] = optimize['learningRate'] * 2
            print('learining rate:', optimize['learningRate'])
        if opt['previous_iters'] == iter - 1:
            print('learining rate:', optimize['learningRate'])
        getattr(optim, opt['optimizer'])(JdJ, optimize['winit'], optimize, state)

        if opt['model_name'] == 'MCB' and iter == opt['previous_iters'] + 1:
            # TODO: save only h and s, not entire module having output and tmp
            print('Saving MCB\'s h and s...')
            print(cbp1.h1.sub(0, 4))
            print(cbp2.s2.sub(0, 4))  # sample check
            lg.save('netdef/cbp1.t7', cbp1)
            lg.save('netdef/cbp2.t7', cbp2)
        if iter > opt['learning_rate_decay_start'] and opt['learning_rate_decay_start'] >= 0:
            optimize['learningRate'] = optimize['learningRate'] * decay_factor  # set the decayed rate

    # Saving the final model
    lg.save(model_path + model_name + '.t7', w)
    h5_file.close()
    return dict(opt=opt, model=model, w=w, record=record, optimize=optimize, json_file=json_file)
