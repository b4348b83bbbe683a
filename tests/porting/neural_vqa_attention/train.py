"""train.lua: trains the question LSTM (LookupTableMaskZero, two FastLSTMs through Sequencers) and the stacked
attention network on the image features with adam, logging the running loss and checkpointing the flat
parameters. The script's body is ``main()``; its options are overridden by environment variables as in the Lua
(dcgan.torch's one-line parser); it returns its globals."""
import os
import time

import legonn as lg
from legonn import nn, optim, paths

from .misc import san
from . import dataloader as dataloader_lua


def tonumber(s):
    """Lua's tonumber of an environment variable: its number (an integral one an int, as Lua uses it), or None
    (nil) for None and other strings."""
    try:
        return int(s)
    except (TypeError, ValueError):
        try:
            return float(s)
        except (TypeError, ValueError):
            return None


def main():
    opt = {
        # data
        'img_train_h5': 'data/img_train.h5',
        'img_test_h5': 'data/img_test.h5',
        'qa_h5': 'data/qa.h5',
        'params_json': 'data/params.json',

        # model
        'embedding_size': 200,
        'rnn_size': 512,
        'im_tr_size': 512,
        'num_attention_layers': 2,
        'common_embedding_size': 512,
        'num_output': 1000,

        # optim
        'batch_size': 150,
        'lr': 1e-3,
        'decay_factor': 0.99997592083,
        'max_iters': 150000,

        # log
        'log_path': 'logs/',
        'log_file': 'train.log',

        # misc
        'gpu': 0,
        'seed': 123,
        'checkpoint_every': 10000,
        'checkpoint_path': 'checkpoints/'
    }

    # one-line argument parser. parses enviroment variables to override the defaults
    # from https://github.com/soumith/dcgan.torch/blob/master/main.lua#L25
    for k, v in opt.items():
        opt[k] = n if (n := tonumber(os.getenv(k))) is not None else (os.getenv(k) or opt[k])
    paths.mkdir(opt['checkpoint_path'])
    paths.mkdir(opt['log_path'])
    if opt['checkpoint_path'] == 'checkpoints/':
        cur_time = time.localtime()   # os.date('*t', os.time())
        opt['checkpoint_path'] = 'checkpoints/%d-%d-%d-%d:%d:%d/' % (cur_time.tm_mon, cur_time.tm_mday,
                                                                     cur_time.tm_year, cur_time.tm_hour,
                                                                     cur_time.tm_min, cur_time.tm_sec)
    print(opt)

    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')

    # dataloader
    dataloader = dataloader_lua.dataloader()   # dofile('dataloader.lua')
    dataloader.initialize(opt, 'train')

    print('Vocab size ' + str(dataloader.vocab_size))

    # model
    lm = nn.Sequential() \
        .add(nn.LookupTableMaskZero(dataloader.vocab_size, opt['embedding_size'])) \
        .add(nn.Dropout(0.5)) \
        .add(nn.SplitTable(0, 2)) \
        .add(nn.Sequencer(nn.FastLSTM(opt['embedding_size'], opt['rnn_size']).maskZero(1))) \
        .add(nn.Sequencer(nn.FastLSTM(opt['rnn_size'], opt['rnn_size']).maskZero(1))) \
        .add(nn.SelectTable(-1))

    model = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Identity())
             .add(lm)) \
        .add(san.n_attention_layer(opt))

    # criterion
    criterion = nn.ClassNLLCriterion()

    if opt['gpu'] >= 0:
        print('Shipping to cuda')
        paths.require('cutorch')
        paths.require('cunn')
        model = model.cuda()
        criterion = criterion.cuda()

    model_params, model_grad_params = model.getParameters()

    state = {}
    state['learningRate'] = opt['lr']

    running_avg_loss = None
    losses = []   # not in the Lua: each batch's loss, for the caller

    # closure to evaluate f and df/dx
    def feval(x):
        nonlocal running_avg_loss
        if model_params is not x:
            model_params.copy(x)

        model_grad_params.zero()
        batch = dataloader.next_batch(opt)
        # forward pass
        scores = model.forward([batch[0], batch[1]])
        loss = criterion.forward(scores, batch[2])
        # backward pass
        dloss_dscores = criterion.backward(scores, batch[2])
        model.backward([batch[0], batch[1]], dloss_dscores)

        model_grad_params.clamp(-10, 10)

        if running_avg_loss is None:
            running_avg_loss = loss
        running_avg_loss = running_avg_loss * 0.95 + loss * 0.05
        losses.append(loss)
        return loss, model_grad_params

    # training loop, with logging and checkpointing
    logger = optim.Logger(opt['log_path'] + opt['log_file'])
    for iter in range(1, opt['max_iters'] + 1):
        epoch = iter / (dataloader['ques'].size(0) / opt['batch_size'])
        optim.adam(feval, model_params, state)
        if iter % 10 == 0:
            print('training loss ' + str(running_avg_loss), 'on epoch ' + str(epoch),
                  'iter ' + str(iter) + '/' + str(opt['max_iters']))
            logger.add([iter, epoch, running_avg_loss])
        if iter % opt['checkpoint_every'] == 0:
            paths.mkdir(opt['checkpoint_path'])
            save_file = (opt['checkpoint_path'] + 'iter_%d.t7') % iter
            print('Checkpointing to ' + save_file)
            lg.save(save_file, {'model_params': model_params, 'opt': opt})
        state['learningRate'] = state['learningRate'] * opt['decay_factor']

    return locals()
