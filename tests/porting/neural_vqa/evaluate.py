"""evaluate.lua: the validation accuracy of a train.lua checkpoint, batch by batch. The script's body is
``main(arg)``; it returns its globals. Time steps stay 1-based keys of ``rnn_state`` as in train.py."""
import legonn as lg
from legonn import paths

from .utils import misc as utils
from .utils.DataLoader import DataLoader


def main(arg=None):
    cmd = lg.CmdLine()
    cmd.text('Options')

    # model params
    cmd.option('-rnn_size', 512, 'size of LSTM internal state')
    cmd.option('-num_layers', 2, 'Number of layers in LSTM')
    cmd.option('-embedding_size', 512, 'size of word embeddings')
    # optimization
    cmd.option('-batch_size', 64, 'batch size')
    # bookkeeping
    cmd.option('-checkpoint_file', 'checkpoints/vqa_epoch23.26_0.4610.t7', 'Checkpoint file to use for predictions')
    cmd.option('-data_dir', 'data', 'data directory')
    cmd.option('-seed', 981723, 'Torch manual random number generator seed')
    cmd.option('-train_fc7_file', 'data/train_fc7.t7', 'Path to fc7 features of training set')
    cmd.option('-train_fc7_image_id_file', 'data/train_fc7_image_id.t7', 'Path to fc7 image ids of training set')
    cmd.option('-val_fc7_file', 'data/val_fc7.t7', 'Path to fc7 features of validation set')
    cmd.option('-val_fc7_image_id_file', 'data/val_fc7_image_id.t7', 'Path to fc7 image ids of validation set')
    # gpu/cpu
    cmd.option('-gpuid', -1, '0-indexed id of GPU to use. -1 = CPU')

    opt = cmd.parse(arg or [])
    lg.manualSeed(opt['seed'])

    if opt['gpuid'] >= 0:
        try:
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

    loader = DataLoader.create(opt['data_dir'], opt['batch_size'], opt)

    print('loading checkpoint from ' + opt['checkpoint_file'])
    checkpoint = lg.load(opt['checkpoint_file'])

    lstm_clones = []
    lstm_clones = utils.clone_many_times(checkpoint['protos']['lstm'], loader.q_max_length + 1)

    checkpoint['protos']['ltw'].evaluate()
    checkpoint['protos']['lti'].evaluate()

    q_vocab_size = checkpoint['vocab_size']

    a_iv = {}
    for i, v in loader.a_vocab_mapping.items():
        a_iv[v] = i

    q_iv = {}
    for i, v in loader.q_vocab_mapping.items():
        q_iv[v] = i

    if q_vocab_size != loader.q_vocab_size:
        print('Vocab size of checkpoint and data are different.')

    init_state = []
    for L in range(1, opt['num_layers'] + 1):
        h_init = lg.zeros(opt['batch_size'], opt['rnn_size'])
        if opt['gpuid'] >= 0:
            h_init = h_init.cuda()
        init_state.append(h_init.clone())
        init_state.append(h_init.clone())

    init_state_global = utils.clone_list(init_state)

    count = 0
    for i in range(1, loader.batch_data['val']['nbatches'] + 1):
        q_batch, a_batch, i_batch, _ = loader.next_batch('val')

        # 1st index of `nn.LookupTable` is for zeros
        q_batch = q_batch + 1

        qf = checkpoint['protos']['ltw'].forward(q_batch)

        imf = checkpoint['protos']['lti'].forward(i_batch)

        if opt['gpuid'] >= 0:
            imf = imf.cuda()

        rnn_state = {0: init_state_global}

        for t in range(1, loader.q_max_length + 1):
            lst = lstm_clones[t - 1].forward([qf.select(1, t - 1), *rnn_state[t - 1]])
            rnn_state[t] = []
            for i_ in range(len(init_state)):
                rnn_state[t].append(lst[i_])

        lst = lstm_clones[loader.q_max_length].forward([imf, *rnn_state[loader.q_max_length]])

        prediction = checkpoint['protos']['sm'].forward(lst[-1])

        _, idx = prediction.max(1)
        for j in range(opt['batch_size']):
            if idx[j][0] == a_batch[j]:
                count = count + 1

        print(str(count) + '/' + str(i * opt['batch_size']))

    accuracy = count / (loader.batch_data['val']['nbatches'] * opt['batch_size'])
    print(accuracy)
    return locals()
