"""train.lua: the VIS + LSTM model of Ren, Kiros and Zemel's 'Exploring Models and Data for Image Question
Answering': the question's word embeddings, then the image's fc7 embedding, go through an LSTM unrolled
q_max_length + 1 steps, and a softmax over the answers reads its last hidden state. The script's body is
``main(arg)`` (Lua's global ``arg``), returning its globals. Time steps ``t`` stay 1-based as keys of
``rnn_state``/``drnn_state`` (key 0 is the initial state), so the clones and the question's columns are
``[t - 1]``."""
import legonn as lg
from legonn import lfs, nn, optim, paths
from legonn.pl import path

from .utils import misc as utils
from .utils.DataLoader import DataLoader
from . import lstm as LSTM


def main(arg=None):
    cmd = lg.CmdLine()
    cmd.text('Options')

    # model params
    cmd.option('-rnn_size', 512, 'Size of LSTM internal state')
    cmd.option('-num_layers', 2, 'Number of layers in LSTM')
    cmd.option('-embedding_size', 512, 'Size of word embeddings')
    # optimization
    cmd.option('-learning_rate', 4e-4, 'Learning rate')
    cmd.option('-learning_rate_decay', 0.95, 'Learning rate decay')
    cmd.option('-learning_rate_decay_after', 15, 'In number of epochs, when to start decaying the learning rate')
    cmd.option('-alpha', 0.8, 'alpha for adam')
    cmd.option('-beta', 0.999, 'beta used for adam')
    cmd.option('-epsilon', 1e-8, 'epsilon that goes into denominator for smoothing')
    cmd.option('-batch_size', 200, 'Batch size')
    cmd.option('-max_epochs', 50, 'Number of full passes through the training data')
    cmd.option('-dropout', 0.5, 'Dropout')
    cmd.option('-init_from', '', 'Initialize network parameters from checkpoint at this path')
    # bookkeeping
    cmd.option('-seed', 981723, 'Torch manual random number generator seed')
    cmd.option('-save_every', 1000, 'No. of iterations after which to checkpoint')
    cmd.option('-train_fc7_file', 'data/train_fc7.t7', 'Path to fc7 features of training set')
    cmd.option('-train_fc7_image_id_file', 'data/train_fc7_image_id.t7', 'Path to fc7 image ids of training set')
    cmd.option('-val_fc7_file', 'data/val_fc7.t7', 'Path to fc7 features of validation set')
    cmd.option('-val_fc7_image_id_file', 'data/val_fc7_image_id.t7', 'Path to fc7 image ids of validation set')
    cmd.option('-data_dir', 'data', 'Data directory')
    cmd.option('-checkpoint_dir', 'checkpoints', 'Checkpoint directory')
    cmd.option('-savefile', 'vqa', 'Filename to save checkpoint to')
    # gpu/cpu
    cmd.option('-gpuid', -1, '0-indexed id of GPU to use. -1 = CPU')

    # parse command-line parameters
    opt = cmd.parse(arg or [])
    print(opt)
    lg.manualSeed(opt['seed'])

    # gpu stuff
    if opt['gpuid'] >= 0:
        try:                                          # local ok, cunn = pcall(require, 'cunn')
            cunn, ok = paths.require('cunn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cutorch, ok2 = paths.require('cutorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package cunn not found!')
        if not ok2:
            print('package cutorch not found!')
        if ok and ok2:
            print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
            cutorch.setDevice(opt['gpuid'])  # 0-based, as legonn's devices
            cutorch.manualSeed(opt['seed'])
        else:
            print('If cutorch and cunn are installed, your CUDA toolkit may be improperly configured.')
            print('Check your CUDA toolkit installation, rebuild cutorch and cunn, and try again.')
            print('Falling back to CPU mode')
            opt['gpuid'] = -1

    # initialize the data loader
    # checks if .t7 data files exist
    # if they don't or if they're old,
    # they're created from scratch and loaded
    loader = DataLoader.create(opt['data_dir'], opt['batch_size'], opt)

    # create the directory for saving snapshots of model at different times during training
    if not path.exists(opt['checkpoint_dir']):
        lfs.mkdir(opt['checkpoint_dir'])

    do_random_init = True
    if len(opt['init_from']) > 0:
        # initializing model from checkpoint
        print('Loading model from checkpoint ' + opt['init_from'])
        checkpoint = lg.load(opt['init_from'])
        protos = checkpoint['protos']
        do_random_init = False
    else:
        # model definition
        # components: ltw, lti, lstm and sm
        protos = {}

        # ltw: lookup table + dropout for question words
        # each word of the question gets mapped to its index in vocabulary
        # and then is passed through ltw to get a vector of size `embedding_size`
        # lookup table dimensions are `vocab_size` x `embedding_size`
        protos['ltw'] = nn.Sequential()
        protos['ltw'].add(nn.LookupTable(loader.q_vocab_size + 1, opt['embedding_size']))
        protos['ltw'].add(nn.Dropout(opt['dropout']))

        # lti: fully connected layer + dropout for image features
        # activations from the last fully connected layer of the deep convnet (VGG in this case)
        # are passed through lti to get a vector of `embedding_size`
        # linear layer dimensions are 4096 (size of fc7 layer) x `embedding_size`
        protos['lti'] = nn.Sequential()
        protos['lti'].add(nn.Linear(4096, opt['embedding_size']))
        protos['lti'].add(nn.Tanh())
        protos['lti'].add(nn.Dropout(opt['dropout']))

        # lstm: long short-term memory cell which takes a vector of size `embedding_size` at every time step
        # hidden state h_t of LSTM cell in first layer is passed as input x_t of cell in second layer and so on.
        protos['lstm'] = LSTM.create(opt['embedding_size'], opt['rnn_size'], opt['num_layers'])

        # sm: linear layer + softmax over the answer vocabulary
        # linear layer dimensions are `rnn_size` x `answer_vocab_size`
        protos['sm'] = nn.Sequential()
        protos['sm'].add(nn.Linear(opt['rnn_size'], loader.a_vocab_size))
        protos['sm'].add(nn.LogSoftMax())

        # negative log-likelihood loss
        protos['criterion'] = nn.ClassNLLCriterion()

        # pass over the model to gpu
        if opt['gpuid'] >= 0:
            protos['ltw'] = protos['ltw'].cuda()
            protos['lti'] = protos['lti'].cuda()
            protos['lstm'] = protos['lstm'].cuda()
            protos['sm'] = protos['sm'].cuda()
            protos['criterion'] = protos['criterion'].cuda()

    # put all trainable model parameters into one flattened parameters tensor
    params, grad_params = utils.combine_all_parameters(protos['lti'], protos['lstm'], protos['sm'])

    print('Parameters: ' + str(params.size(0)))
    print('Batches: ' + str(loader.batch_data['train']['nbatches']))

    # initialize model parameters
    if do_random_init:
        params.uniform(-0.08, 0.08)

    # make clones of the LSTM model that shared parameters for subsequent timesteps (unrolling)
    lstm_clones = []
    lstm_clones = utils.clone_many_times(protos['lstm'], loader.q_max_length + 1)

    # initialize h_0 and c_0 of LSTM to zero tensors and store in `init_state`
    init_state = []
    for L in range(1, opt['num_layers'] + 1):
        h_init = lg.zeros(opt['batch_size'], opt['rnn_size'])
        if opt['gpuid'] >= 0:
            h_init = h_init.cuda()
        init_state.append(h_init.clone())
        init_state.append(h_init.clone())

    # make a clone of `init_state` as it's going to be modified later
    init_state_global = utils.clone_list(init_state)

    # closure to calculate accuracy over validation set
    def feval_val(max_batches=None):

        count = 0
        n = loader.batch_data['val']['nbatches']

        # set `n` to `max_batches` if provided
        if max_batches is not None:
            n = min(n, max_batches)

        # set to evaluation mode for dropout to work properly
        protos['ltw'].evaluate()
        protos['lti'].evaluate()

        for i in range(n):

            # load question batch, answer batch and image features batch
            q_batch, a_batch, i_batch, _ = loader.next_batch('val')

            # 1st index of `nn.LookupTable` is reserved for zeros
            q_batch = q_batch + 1

            # forward the question features through ltw
            qf = protos['ltw'].forward(q_batch)

            # forward the image features through lti
            imf = protos['lti'].forward(i_batch)

            # convert to CudaTensor if using gpu
            if opt['gpuid'] >= 0:
                imf = imf.cuda()

            # set the state at 0th time step of LSTM
            rnn_state = {0: init_state_global}

            # LSTM forward pass for question features
            for t in range(1, loader.q_max_length + 1):
                lst = lstm_clones[t - 1].forward([qf.select(1, t - 1), *rnn_state[t - 1]])
                # at every time step, set the rnn state (h_t, c_t) to be passed as input in next time step
                rnn_state[t] = []
                for i_ in range(len(init_state)):
                    rnn_state[t].append(lst[i_])

            # after completing the unrolled LSTM forward pass with question features, forward the image features
            lst = lstm_clones[loader.q_max_length].forward([imf, *rnn_state[loader.q_max_length]])

            # forward the hidden state at the last time step to get softmax over answers
            prediction = protos['sm'].forward(lst[-1])

            # count number of correct answers
            _, idx = prediction.max(1)
            for j in range(opt['batch_size']):
                if idx[j][0] == a_batch[j]:
                    count = count + 1

        # set to training mode once done with validation
        protos['ltw'].training()
        protos['lti'].training()

        # return accuracy
        return count / (n * opt['batch_size'])

    # closure to run a forward and backward pass and return loss and gradient parameters
    def feval(x):

        # get latest parameters
        if x is not params:
            params.copy(x)
        grad_params.zero()

        # load question batch, answer batch and image features batch
        q_batch, a_batch, i_batch, _ = loader.next_batch()

        # slightly hackish; 1st index of `nn.LookupTable` is reserved for zeros
        q_batch = q_batch + 1

        # forward the question features through ltw
        qf = protos['ltw'].forward(q_batch)

        # forward the image features through lti
        imf = protos['lti'].forward(i_batch)

        # convert to CudaTensor if using gpu
        if opt['gpuid'] >= 0:
            imf = imf.cuda()

        # ----------- forward pass ------------

        # set initial loss
        loss = 0

        # set the state at 0th time step of LSTM
        rnn_state = {0: init_state_global}

        # LSTM forward pass for question features
        for t in range(1, loader.q_max_length + 1):
            lst = lstm_clones[t - 1].forward([qf.select(1, t - 1), *rnn_state[t - 1]])
            # at every time step, set the rnn state (h_t, c_t) to be passed as input in next time step
            rnn_state[t] = []
            for i in range(len(init_state)):
                rnn_state[t].append(lst[i])

        # after completing the unrolled LSTM forward pass with question features, forward the image features
        lst = lstm_clones[loader.q_max_length].forward([imf, *rnn_state[loader.q_max_length]])

        # forward the hidden state at the last time step to get softmax over answers
        prediction = protos['sm'].forward(lst[-1])

        # calculate loss
        loss = protos['criterion'].forward(prediction, a_batch)

        # ----------- backward pass ------------

        # backprop through loss and softmax
        dloss = protos['criterion'].backward(prediction, a_batch)
        doutput_t = protos['sm'].backward(lst[-1], dloss)

        # set internal state of LSTM (starting from last time step)
        drnn_state = {loader.q_max_length + 1: utils.clone_list(init_state, True)}
        drnn_state[loader.q_max_length + 1][opt['num_layers'] * 2 - 1] = doutput_t

        # backprop for last time step (image features)
        dlst = lstm_clones[loader.q_max_length].backward([imf, *rnn_state[loader.q_max_length]],
                                                         drnn_state[loader.q_max_length + 1])

        # backprop into image linear layer
        protos['lti'].backward(i_batch, dlst[0])

        # set LSTM state
        drnn_state[loader.q_max_length] = []
        for i, v in enumerate(dlst):
            if i > 0:
                drnn_state[loader.q_max_length].append(v)   # [i-1] = v, in order

        dqf = lg.Tensor(qf.size()).zero()
        if opt['gpuid'] >= 0:
            dqf = dqf.cuda()

        # backprop into the LSTM for rest of the time steps
        for t in range(loader.q_max_length, 0, -1):
            dlst = lstm_clones[t - 1].backward([qf.select(1, t - 1), *rnn_state[t - 1]], drnn_state[t])
            dqf.select(1, t - 1).copy(dlst[0])
            drnn_state[t - 1] = []
            for i, v in enumerate(dlst):
                if i > 0:
                    drnn_state[t - 1].append(v)

        # zero gradient buffers of lookup table, backprop into it and update parameters
        protos['ltw'].zeroGradParameters()
        protos['ltw'].backward(q_batch, dqf)
        protos['ltw'].updateParameters(opt['learning_rate'])

        # clip gradient element-wise
        grad_params.clamp(-5, 5)

        return loss, grad_params

    # optim state with ADAM parameters
    optim_state = {'learningRate': opt['learning_rate'], 'alpha': opt['alpha'], 'beta': opt['beta'],
                   'epsilon': opt['epsilon']}

    # train / val loop!
    losses = []
    saved = []   # not in the Lua: the checkpoints written, for the caller
    iterations = opt['max_epochs'] * loader.batch_data['train']['nbatches']
    print('Max iterations: ' + str(iterations))
    lloss = 0
    for i in range(1, iterations + 1):
        _, local_loss = optim.adam(feval, params, optim_state)

        losses.append(local_loss[0])

        lloss = lloss + local_loss[0]
        epoch = i / loader.batch_data['train']['nbatches']

        if i % 10 == 0:
            print('epoch ' + str(epoch) + ' loss ' + str(lloss / 10))
            lloss = 0

        # Decay learning rate occasionally
        if i % loader.batch_data['train']['nbatches'] == 0 and opt['learning_rate_decay'] < 1:
            if epoch >= opt['learning_rate_decay_after']:
                decay_factor = opt['learning_rate_decay']
                optim_state['learningRate'] = optim_state['learningRate'] * decay_factor  # decay it
                print('decayed learning rate by a factor ' + str(decay_factor) + ' to ' +
                      str(optim_state['learningRate']))

        # Calculate validation accuracy and save model snapshot
        if i % opt['save_every'] == 0 or i == iterations:
            print('Checkpointing. Calculating validation accuracy..')
            val_acc = feval_val()
            savefile = '%s/%s_epoch%.2f_%.4f.t7' % (opt['checkpoint_dir'], opt['savefile'], epoch, val_acc)
            print('Saving checkpoint to ' + savefile)
            checkpoint = {}
            checkpoint['opt'] = opt
            checkpoint['protos'] = protos
            checkpoint['vocab_size'] = loader.q_vocab_size
            lg.save(savefile, checkpoint)
            saved.append((savefile, val_acc))

    return locals()
