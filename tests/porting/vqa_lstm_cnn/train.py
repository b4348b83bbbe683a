"""train.lua (all) as ``main(arg)``; its globals and the locals a caller reads back are returned in a dict.

Edits beyond syntax and 0-based indices:

- prepro.py writes word ids, answers and image positions from 1 (``imgtoi``: "add one for torch"), so each is read
  minus one (``.add(-1)``, docs/porting.md's data-files rows); question lengths are counts and stay;
- ``function dataset:next_batch()`` on the Lua table ``dataset`` is a function stored in the dict under
  ``'next_batch'`` and called ``dataset['next_batch'](dataset)``, the ``self`` Lua's ``:`` passes;
- the globals ``running_avg`` (read by the progress line) and ``gradients`` are the closure's (``nonlocal``);
- ``collectgarbage()`` is dropped (docs/porting.md); the final ``string.format(model_path..'lstm.t7', i)``, whose
  extra (nil) argument Lua ignores, is the path alone (docs/porting.md's extra-arguments row).
"""
import legonn as lg
from legonn import cjson, cutorch, hdf5, nn, optim, paths

from .misc import LSTM, netdef
from .misc.RNNUtils import load_rnn_utils


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
    cmd.option('-input_img_h5', 'data_img.h5', 'path to the h5file containing the image feature')
    cmd.option('-input_ques_h5', 'data_prepro.h5', 'path to the h5file containing the preprocessed dataset')
    cmd.option('-input_json', 'data_prepro.json', 'path to the json file containing additional info and vocab')

    # Model parameter settings
    cmd.option('-learning_rate', 3e-4, 'learning rate for rmsprop')
    cmd.option('-learning_rate_decay_start', -1, 'at what iteration to start decaying learning rate? (-1 = dont)')
    cmd.option('-learning_rate_decay_every', 50000, 'every how many iterations thereafter to drop LR by half?')
    cmd.option('-batch_size', 500, 'batch_size for each iterations')
    cmd.option('-max_iters', 150000, 'max number of iterations to run for ')
    cmd.option('-input_encoding_size', 200, 'he encoding size of each token in the vocabulary')
    cmd.option('-rnn_size', 512, 'size of the rnn in number of hidden nodes in each layer')
    cmd.option('-rnn_layer', 2, 'number of the rnn layer')
    cmd.option('-common_embedding_size', 1024, 'size of the common embedding vector')
    cmd.option('-num_output', 1000, 'number of output answers')
    cmd.option('-img_norm', 1, 'normalize the image feature. 1 = normalize, 0 = not normalize')

    # check point
    cmd.option('-save_checkpoint_every', 25000, 'how often to save a model checkpoint?')
    cmd.option('-checkpoint_path', 'model/', 'folder to save checkpoints')

    # misc
    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-seed', 123, 'random number generator seed to use')

    opt = cmd.parse(arg)
    print(opt)

    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')  # for CPU

    U = load_rnn_utils(opt)   # require 'misc.RNNUtils'
    if opt['gpuid'] >= 0:
        if opt['backend'] == 'cudnn':
            from legonn import cudnn  # noqa: F401
        cutorch.manualSeed(opt['seed'])
        cutorch.setDevice(opt['gpuid'])

    # ------------------------------------------------------------------------
    # Setting the parameters
    # ------------------------------------------------------------------------

    model_path = opt['checkpoint_path']
    batch_size = opt['batch_size']
    embedding_size_q = opt['input_encoding_size']
    lstm_size_q = opt['rnn_size']
    nlstm_layers_q = opt['rnn_layer']
    nhimage = 4096
    common_embedding_size = opt['common_embedding_size']
    noutput = opt['num_output']
    dummy_output_size = 1
    decay_factor = 0.99997592083  # 50000
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

    dataset['question'] = h5_file.read('/ques_train').all().add(-1)
    dataset['lengths_q'] = h5_file.read('/ques_length_train').all()
    dataset['img_list'] = h5_file.read('/img_pos_train').all().add(-1)
    dataset['answers'] = h5_file.read('/answers').all().add(-1)
    h5_file.close()

    print('DataLoader loading h5 file: ', opt['input_img_h5'])
    h5_file = hdf5.open(opt['input_img_h5'], 'r')
    dataset['fv_im'] = h5_file.read('/images_train').all()
    h5_file.close()

    dataset['question'] = U.right_align(dataset['question'], dataset['lengths_q'])

    # Normalize the image feature
    if opt['img_norm'] == 1:
        nm = lg.sqrt(lg.sum(lg.cmul(dataset['fv_im'], dataset['fv_im']), 1))
        dataset['fv_im'] = lg.cdiv(dataset['fv_im'], lg.repeatTensor(nm, 1, 4096)).float()

    count = 0
    for i, w in json_file['ix_to_word'].items():
        count = count + 1
    vocabulary_size_q = count

    # ------------------------------------------------------------------------
    # Design Parameters and Network Definitions
    # ------------------------------------------------------------------------
    print('Building the model...')

    buffer_size_q = dataset['question'].size()[1]

    # Network definitions
    # VQA
    # embedding: word-embedding
    embedding_net_q = nn.Sequential() \
        .add(nn.Linear(vocabulary_size_q, embedding_size_q)) \
        .add(nn.Dropout(0.5)) \
        .add(nn.Tanh())

    # encoder: RNN body
    encoder_net_q = LSTM.lstm_conventional(embedding_size_q, lstm_size_q, dummy_output_size, nlstm_layers_q, 0.5)

    # MULTIMODAL
    # multimodal way of combining different spaces
    multimodal_net = nn.Sequential() \
        .add(netdef.AxB(2 * lstm_size_q * nlstm_layers_q, nhimage, common_embedding_size, 0.5)) \
        .add(nn.Dropout(0.5)) \
        .add(nn.Linear(common_embedding_size, noutput))

    # criterion
    criterion = nn.CrossEntropyCriterion()

    # Optimization parameters
    dummy_state_q = lg.Tensor(lstm_size_q * nlstm_layers_q * 2).fill(0)
    dummy_output_q = lg.Tensor(dummy_output_size).fill(0)

    if opt['gpuid'] >= 0:
        print('shipped data function to cuda...')
        embedding_net_q = embedding_net_q.cuda()
        encoder_net_q = encoder_net_q.cuda()
        multimodal_net = multimodal_net.cuda()
        criterion = criterion.cuda()
        dummy_state_q = dummy_state_q.cuda()
        dummy_output_q = dummy_output_q.cuda()

    # Processings
    embedding_w_q, embedding_dw_q = embedding_net_q.getParameters()
    embedding_w_q.uniform(-0.08, 0.08)

    encoder_w_q, encoder_dw_q = encoder_net_q.getParameters()
    encoder_w_q.uniform(-0.08, 0.08)

    multimodal_w, multimodal_dw = multimodal_net.getParameters()
    multimodal_w.uniform(-0.08, 0.08)

    sizes = [encoder_w_q.size(0), embedding_w_q.size(0), multimodal_w.size(0)]

    # optimization parameter
    optimize = {}
    optimize['maxIter'] = opt['max_iters']
    optimize['learningRate'] = opt['learning_rate']
    optimize['update_grad_per_n_batches'] = 1

    optimize['winit'] = U.join_vector([encoder_w_q, embedding_w_q, multimodal_w])

    # ------------------------------------------------------------------------
    # Next batch for train
    # ------------------------------------------------------------------------
    def next_batch(self):

        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)

        nqs = dataset['question'].size(0)
        # we use the last val_num data for validation (the data already randomlized when created)

        for i in range(batch_size):
            qinds[i] = lg.random(nqs)
            iminds[i] = dataset['img_list'][qinds[i]]

        fv_sorted_q = U.sort_encoding_onehot_right_align(dataset['question'].index(0, qinds),
                                                         dataset['lengths_q'].index(0, qinds), vocabulary_size_q)
        fv_im = dataset['fv_im'].index(0, iminds)
        labels = dataset['answers'].index(0, qinds)

        # ship to gpu
        if opt['gpuid'] >= 0:
            fv_sorted_q[0] = fv_sorted_q[0].cuda()
            fv_sorted_q[2] = fv_sorted_q[2].cuda()
            fv_sorted_q[3] = fv_sorted_q[3].cuda()
            fv_im = fv_im.cuda()
            labels = labels.cuda()

        return fv_sorted_q, fv_im, labels, batch_size
    dataset['next_batch'] = next_batch

    # ------------------------------------------------------------------------
    # Objective Function and Optimization
    # ------------------------------------------------------------------------

    # duplicate the RNN
    encoder_net_buffer_q = U.dupe_rnn(encoder_net_q, buffer_size_q)

    running_avg = None
    gradients = None

    # Objective function
    def JdJ(x):
        nonlocal running_avg, gradients
        params = U.split_vector(x, sizes)
        # load x to net parameters--
        if encoder_w_q is not params[0]:
            encoder_w_q.copy(params[0])
            for i in range(buffer_size_q):
                encoder_net_buffer_q[1][i].copy(params[0])
        if embedding_w_q is not params[1]:
            embedding_w_q.copy(params[1])
        if multimodal_w is not params[2]:
            multimodal_w.copy(params[2])

        # clear gradients--
        for i in range(buffer_size_q):
            encoder_net_buffer_q[2][i].zero()
        embedding_dw_q.zero()
        multimodal_dw.zero()

        # grab a batch--
        fv_sorted_q, fv_im, labels, batch_size = dataset['next_batch'](dataset)
        question_max_length = fv_sorted_q[1].size(0)

        # embedding forward--
        word_embedding_q = U.split_vector(embedding_net_q.forward(fv_sorted_q[0]), fv_sorted_q[1])

        # encoder forward--
        states_q, junk2 = U.rnn_forward(encoder_net_buffer_q, lg.repeatTensor(dummy_state_q.fill(0), batch_size, 1),
                                        word_embedding_q, fv_sorted_q[1])

        # multimodal/criterion forward--
        tv_q = states_q[question_max_length].index(0, fv_sorted_q[3])
        scores = multimodal_net.forward([tv_q, fv_im])
        f = criterion.forward(scores, labels)
        # multimodal/criterion backward--
        dscores = criterion.backward(scores, labels)

        tmp = multimodal_net.backward([tv_q, fv_im], dscores)
        dtv_q = tmp[0].index(0, fv_sorted_q[2])

        # encoder backward
        junk4, dword_embedding_q = U.rnn_backward(encoder_net_buffer_q, dtv_q, dummy_output_q, states_q,
                                                  word_embedding_q, fv_sorted_q[1])

        # embedding backward--
        dword_embedding_q = U.join_vector(dword_embedding_q)
        embedding_net_q.backward(fv_sorted_q[0], dword_embedding_q)

        # summarize f and gradient
        encoder_adw_q = encoder_dw_q.clone().zero()
        for i in range(question_max_length):
            encoder_adw_q = encoder_adw_q + encoder_net_buffer_q[2][i]

        gradients = U.join_vector([encoder_adw_q, embedding_dw_q, multimodal_dw])
        gradients.clamp(-10, 10)
        if running_avg is None:
            running_avg = f
        running_avg = running_avg * 0.95 + f * 0.05
        return f, gradients

    # ----------------------------------------------------------------------------------------------
    # Training
    # ----------------------------------------------------------------------------------------------
    # With current setting, the network seems never overfitting, so we just use all the data to train

    state = {}
    for iter in range(1, opt['max_iters'] + 1):
        if iter % opt['save_checkpoint_every'] == 0:
            paths.mkdir(model_path + 'save')
            lg.save(model_path + 'save/lstm_save_iter%d.t7' % iter,
                    {'encoder_w_q': encoder_w_q, 'embedding_w_q': embedding_w_q, 'multimodal_w': multimodal_w})
        if iter % 100 == 0:
            print('training loss: ' + '%.14g' % running_avg, 'on iter: ' + str(iter) + '/' + str(opt['max_iters']))
        optim.rmsprop(JdJ, optimize['winit'], optimize, state)

        optimize['learningRate'] = optimize['learningRate'] * decay_factor
    # Saving the final model
    lg.save(model_path + 'lstm.t7',
            {'encoder_w_q': encoder_w_q, 'embedding_w_q': embedding_w_q, 'multimodal_w': multimodal_w})
    return dict(opt=opt, dataset=dataset, JdJ=JdJ, optimize=optimize, state=state, running_avg=running_avg,
                embedding_net_q=embedding_net_q, encoder_net_q=encoder_net_q, multimodal_net=multimodal_net,
                encoder_net_buffer_q=encoder_net_buffer_q, criterion=criterion)
