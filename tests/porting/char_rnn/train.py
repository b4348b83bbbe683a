"""train.lua: trains a character-level multi-layer RNN on text data (char-rnn's code is based on
oxford-cs-ml-2015/practical6, in turn based on wojciechz/learning_to_execute). The script's body is ``main(arg)``
(Lua's global ``arg``), its globals the function's locals, and it returns them for the caller to read. Time
steps ``t`` stay 1-based as keys of ``rnn_state``/``drnn_state`` (key 0 is the initial state, as in the Lua),
so the clones and the batch's columns are ``[t - 1]``; split indices are 0-based (1 = validation)."""
import legonn as lg
from legonn import lfs, nn, optim, paths
from legonn.pl import path

from .util.misc import clone_list
from .util.CharSplitLMMinibatchLoader import CharSplitLMMinibatchLoader
from .util import model_utils
from .model import LSTM, GRU, RNN


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train a character-level language model')
    cmd.text()
    cmd.text('Options')
    # data
    cmd.option('-data_dir', 'data/tinyshakespeare', 'data directory. Should contain the file input.txt with input data')
    # model params
    cmd.option('-rnn_size', 128, 'size of LSTM internal state')
    cmd.option('-num_layers', 2, 'number of layers in the LSTM')
    cmd.option('-model', 'lstm', 'lstm,gru or rnn')
    # optimization
    cmd.option('-learning_rate', 2e-3, 'learning rate')
    cmd.option('-learning_rate_decay', 0.97, 'learning rate decay')
    cmd.option('-learning_rate_decay_after', 10, 'in number of epochs, when to start decaying the learning rate')
    cmd.option('-decay_rate', 0.95, 'decay rate for rmsprop')
    cmd.option('-dropout', 0, 'dropout for regularization, used after each RNN hidden layer. 0 = no dropout')
    cmd.option('-seq_length', 50, 'number of timesteps to unroll for')
    cmd.option('-batch_size', 50, 'number of sequences to train on in parallel')
    cmd.option('-max_epochs', 50, 'number of full passes through the training data')
    cmd.option('-grad_clip', 5, 'clip gradients at this value')
    cmd.option('-train_frac', 0.95, 'fraction of data that goes into train set')
    cmd.option('-val_frac', 0.05, 'fraction of data that goes into validation set')
    # test_frac will be computed as (1 - train_frac - val_frac)
    cmd.option('-init_from', '', 'initialize network parameters from checkpoint at this path')
    # bookkeeping
    cmd.option('-seed', 123, 'torch manual random number generator seed')
    cmd.option('-print_every', 1, 'how many steps/minibatches between printing out the loss')
    cmd.option('-eval_val_every', 1000, 'every how many iterations should we evaluate on validation data?')
    cmd.option('-checkpoint_dir', 'cv', 'output directory where checkpoints get written')
    cmd.option('-savefile', 'lstm', 'filename to autosave the checkpont to. Will be inside checkpoint_dir/')
    cmd.option('-accurate_gpu_timing', 0, 'set this flag to 1 to get precise timings when using GPU. Might make '
               'code bit slower but reports accurate timings.')
    # GPU/CPU
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-opencl', 0, 'use OpenCL (instead of CUDA)')
    cmd.text()

    # parse input params
    opt = cmd.parse(arg)
    lg.manualSeed(opt['seed'])
    # train / val / test split for data, in fractions
    test_frac = max(0, 1 - (opt['train_frac'] + opt['val_frac']))
    split_sizes = [opt['train_frac'], opt['val_frac'], test_frac]

    # initialize cunn/cutorch for training on the GPU and fall back to CPU gracefully
    cutorch = None
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
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
            print('Falling back on CPU mode')
            opt['gpuid'] = -1  # overwrite user setting

    # initialize clnn/cltorch for training on the GPU and fall back to CPU gracefully
    if opt['gpuid'] >= 0 and opt['opencl'] == 1:
        try:
            cunn, ok = paths.require('clnn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cltorch, ok2 = paths.require('cltorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package clnn not found!')
        if not ok2:
            print('package cltorch not found!')
        if ok and ok2:
            print('using OpenCL on GPU ' + str(opt['gpuid']) + '...')
            cltorch.setDevice(opt['gpuid'])
            lg.manualSeed(opt['seed'])
        else:
            print('If cltorch and clnn are installed, your OpenCL driver may be improperly configured.')
            print('Check your OpenCL driver installation, check output of clinfo command, and try again.')
            print('Falling back on CPU mode')
            opt['gpuid'] = -1  # overwrite user setting

    # create the data loader class
    loader = CharSplitLMMinibatchLoader.create(opt['data_dir'], opt['batch_size'], opt['seq_length'], split_sizes)
    vocab_size = loader.vocab_size  # the number of distinct characters
    vocab = loader.vocab_mapping
    print('vocab size: ' + str(vocab_size))
    # make sure output directory exists
    if not path.exists(opt['checkpoint_dir']):
        lfs.mkdir(opt['checkpoint_dir'])

    # define the model: prototypes for one timestep, then clone them in time
    do_random_init = True
    if len(opt['init_from']) > 0:
        print('loading a model from checkpoint ' + opt['init_from'])
        checkpoint = lg.load(opt['init_from'])
        protos = checkpoint['protos']
        # make sure the vocabs are the same
        vocab_compatible = True
        checkpoint_vocab_size = 0
        for c, i in checkpoint['vocab'].items():
            if not (vocab.get(c) == i):
                vocab_compatible = False
            checkpoint_vocab_size = checkpoint_vocab_size + 1
        if not (checkpoint_vocab_size == vocab_size):
            vocab_compatible = False
            print('checkpoint_vocab_size: ' + str(checkpoint_vocab_size))
        assert vocab_compatible, ('error, the character vocabulary for this dataset and the one in the saved '
                                  'checkpoint are not the same. This is trouble.')
        # overwrite model settings based on checkpoint to ensure compatibility
        print('overwriting rnn_size=' + str(checkpoint['opt']['rnn_size']) + ', num_layers='
              + str(checkpoint['opt']['num_layers']) + ', model=' + checkpoint['opt']['model']
              + ' based on the checkpoint.')
        opt['rnn_size'] = checkpoint['opt']['rnn_size']
        opt['num_layers'] = checkpoint['opt']['num_layers']
        opt['model'] = checkpoint['opt']['model']
        do_random_init = False
    else:
        print('creating an ' + opt['model'] + ' with ' + str(opt['num_layers']) + ' layers')
        protos = {}
        if opt['model'] == 'lstm':
            protos['rnn'] = LSTM.lstm(vocab_size, opt['rnn_size'], opt['num_layers'], opt['dropout'])
        elif opt['model'] == 'gru':
            protos['rnn'] = GRU.gru(vocab_size, opt['rnn_size'], opt['num_layers'], opt['dropout'])
        elif opt['model'] == 'rnn':
            protos['rnn'] = RNN.rnn(vocab_size, opt['rnn_size'], opt['num_layers'], opt['dropout'])
        protos['criterion'] = nn.ClassNLLCriterion()

    # the initial state of the cell/hidden states
    init_state = []
    for L in range(opt['num_layers']):
        h_init = lg.zeros(opt['batch_size'], opt['rnn_size'])
        if opt['gpuid'] >= 0 and opt['opencl'] == 0:
            h_init = h_init.cuda()
        if opt['gpuid'] >= 0 and opt['opencl'] == 1:
            h_init = h_init.cl()
        init_state.append(h_init.clone())
        if opt['model'] == 'lstm':
            init_state.append(h_init.clone())

    # ship the model to the GPU if desired
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        for k, v in protos.items():
            v.cuda()
    if opt['gpuid'] >= 0 and opt['opencl'] == 1:
        for k, v in protos.items():
            v.cl()

    # put the above things into one flattened parameters tensor
    params, grad_params = model_utils.combine_all_parameters(protos['rnn'])

    # initialization
    if do_random_init:
        params.uniform(-0.08, 0.08)  # small uniform numbers
    # initialize the LSTM forget gates with slightly higher biases to encourage remembering in the beginning
    if opt['model'] == 'lstm':
        for layer_idx in range(opt['num_layers']):
            for node in protos['rnn'].forwardnodes:
                if node.data.annotations.get('name') == 'i2h_' + str(layer_idx):
                    print('setting forget gate biases to 1 in LSTM layer ' + str(layer_idx))
                    # the gates are, in order, i,f,o,g, so f is the 2nd block of weights
                    node.data.module.bias[opt['rnn_size']:2 * opt['rnn_size']].fill(1.0)

    print('number of parameters in the model: ' + str(params.nElement()))
    # make a bunch of clones after flattening, as that reallocates memory
    clones = {}
    for name, proto in protos.items():
        print('cloning ' + name)
        clones[name] = model_utils.clone_many_times(proto, opt['seq_length'])

    # preprocessing helper function
    def prepro(x, y):
        x = x.transpose(0, 1).contiguous()  # swap the axes for faster indexing
        y = y.transpose(0, 1).contiguous()
        if opt['gpuid'] >= 0 and opt['opencl'] == 0:  # ship the input arrays to GPU
            # have to convert to float because integers can't be cuda()'d
            x = x.float().cuda()
            y = y.float().cuda()
        if opt['gpuid'] >= 0 and opt['opencl'] == 1:  # ship the input arrays to GPU
            x = x.cl()
            y = y.cl()
        return x, y

    # evaluate the loss over an entire split
    def eval_split(split_index, max_batches=None):
        print('evaluating loss over split index ' + str(split_index))
        n = loader.split_sizes[split_index]
        if max_batches is not None:
            n = min(max_batches, n)

        loader.reset_batch_pointer(split_index)  # move batch iteration pointer for this split to front
        loss = 0
        rnn_state = {0: init_state}

        for i in range(1, n + 1):  # iterate over batches in the split
            # fetch a batch
            x, y = loader.next_batch(split_index)
            x, y = prepro(x, y)
            # forward pass
            for t in range(1, opt['seq_length'] + 1):
                clones['rnn'][t - 1].evaluate()  # for dropout proper functioning
                lst = clones['rnn'][t - 1].forward([x[t - 1], *rnn_state[t - 1]])
                rnn_state[t] = []
                for i_ in range(len(init_state)):
                    rnn_state[t].append(lst[i_])
                prediction = lst[-1]
                loss = loss + clones['criterion'][t - 1].forward(prediction, y[t - 1])
            # carry over lstm state: #rnn_state does not count the [0] key (docs/porting.md)
            rnn_state[0] = rnn_state[len(rnn_state) - 1]
            print(str(i) + '/' + str(n) + '...')

        loss = loss / opt['seq_length'] / n
        return loss

    # do fwd/bwd and return loss, grad_params
    init_state_global = clone_list(init_state)

    def feval(x):
        nonlocal init_state_global
        if x is not params:
            params.copy(x)
        grad_params.zero()

        # ----------------- get minibatch -------------------
        x, y = loader.next_batch(0)
        x, y = prepro(x, y)
        # ------------------ forward pass -------------------
        rnn_state = {0: init_state_global}
        predictions = {}  # softmax outputs
        loss = 0
        for t in range(1, opt['seq_length'] + 1):
            clones['rnn'][t - 1].training()  # make sure we are in correct mode (this is cheap, sets flag)
            lst = clones['rnn'][t - 1].forward([x[t - 1], *rnn_state[t - 1]])
            rnn_state[t] = []
            for i in range(len(init_state)):
                rnn_state[t].append(lst[i])  # extract the state, without output
            predictions[t] = lst[-1]  # last element is the prediction
            loss = loss + clones['criterion'][t - 1].forward(predictions[t], y[t - 1])
        loss = loss / opt['seq_length']
        # ----------------- backward pass -------------------
        # initialize gradient at time t to be zeros (there's no influence from future)
        drnn_state = {opt['seq_length']: clone_list(init_state, True)}  # true also zeros the clones
        for t in range(opt['seq_length'], 0, -1):
            # backprop through loss, and softmax/linear
            doutput_t = clones['criterion'][t - 1].backward(predictions[t], y[t - 1])
            drnn_state[t].append(doutput_t)
            dlst = clones['rnn'][t - 1].backward([x[t - 1], *rnn_state[t - 1]], drnn_state[t])
            drnn_state[t - 1] = []
            for k, v in enumerate(dlst):
                if k > 0:  # k == 0 is gradient on x, which we dont need
                    # note we do k-1 because first item is dembeddings, and then follow the
                    # derivatives of the state, starting at index 1. I know...
                    drnn_state[t - 1].append(v)     # drnn_state[t-1][k-1] = v, in order
        # ----------------------- misc ----------------------
        # transfer final state to initial state (BPTT)
        init_state_global = rnn_state[len(rnn_state) - 1]  # NOTE: I don't think this needs to be a clone, right?
        # grad_params:div(opt.seq_length) -- this line should be here but since we use rmsprop it would have no
        # effect. Removing for efficiency
        # clip gradient element-wise
        grad_params.clamp(-opt['grad_clip'], opt['grad_clip'])
        return loss, grad_params

    # start optimization here
    train_losses = {}
    val_losses = {}
    saved = []                # not in the Lua: the checkpoints written, for the caller to read
    optim_state = {'learningRate': opt['learning_rate'], 'alpha': opt['decay_rate']}
    iterations = opt['max_epochs'] * loader.ntrain
    iterations_per_epoch = loader.ntrain  # noqa: F841
    loss0 = None
    for i in range(1, iterations + 1):
        epoch = i / loader.ntrain

        timer = lg.Timer()
        _, loss = optim.rmsprop(feval, params, optim_state)
        if opt['accurate_gpu_timing'] == 1 and opt['gpuid'] >= 0:
            # Note on timing: The reported time can be off because the GPU is invoked async. If one
            # wants to have exactly accurate timings one must call cutorch.synchronize() right here.
            # I will avoid doing so by default because this can incur computational overhead.
            cutorch.synchronize()
        time = timer.time()['real']

        train_loss = loss[0]  # the loss is inside a list, pop it
        train_losses[i] = train_loss

        # exponential learning rate decay
        if i % loader.ntrain == 0 and opt['learning_rate_decay'] < 1:
            if epoch >= opt['learning_rate_decay_after']:
                decay_factor = opt['learning_rate_decay']
                optim_state['learningRate'] = optim_state['learningRate'] * decay_factor  # decay it
                print('decayed learning rate by a factor ' + str(decay_factor) + ' to '
                      + str(optim_state['learningRate']))

        # every now and then or on last iteration
        if i % opt['eval_val_every'] == 0 or i == iterations:
            # evaluate loss on validation data
            val_loss = eval_split(1)  # 1 = validation
            val_losses[i] = val_loss

            savefile = '%s/lm_%s_epoch%.2f_%.4f.t7' % (opt['checkpoint_dir'], opt['savefile'], epoch, val_loss)
            print('saving checkpoint to ' + savefile)
            checkpoint = {}
            checkpoint['protos'] = protos
            checkpoint['opt'] = opt
            checkpoint['train_losses'] = train_losses
            checkpoint['val_loss'] = val_loss
            checkpoint['val_losses'] = val_losses
            checkpoint['i'] = i
            checkpoint['epoch'] = epoch
            checkpoint['vocab'] = loader.vocab_mapping
            lg.save(savefile, checkpoint)
            saved.append(savefile)

        if i % opt['print_every'] == 0:
            print('%d/%d (epoch %.3f), train_loss = %6.8f, grad/param norm = %6.4e, time/batch = %.4fs'
                  % (i, iterations, epoch, train_loss, grad_params.norm() / params.norm(), time))

        # (if i % 10 == 0 then collectgarbage() end: dropped, docs/porting.md)

        # handle early stopping if things are going really bad
        if loss[0] != loss[0]:
            print('loss is NaN.  This usually indicates a bug.  Please check the issues page for existing issues, '
                  'or create a new issue, if none exist.  Ideally, please state: your operating system, '
                  '32-bit/64-bit, your blas version, cpu/cuda/cl?')
            break  # halt
        if loss0 is None:
            loss0 = loss[0]
        if loss[0] > loss0 * 3:
            print('loss is exploding, aborting.')
            break  # halt

    return {'opt': opt, 'loader': loader, 'protos': protos, 'clones': clones, 'params': params,
            'grad_params': grad_params, 'init_state': init_state, 'train_losses': train_losses,
            'val_losses': val_losses, 'optim_state': optim_state, 'saved': saved, 'eval_split': eval_split,
            'feval': feval}
