"""predict.lua: answers one question about one image with a train.lua checkpoint: the image's fc7 from
loadcaffe's VGG, the question's words (``%a+``) right-aligned, the LSTM, the softmax's best answer. The script's
body is ``main(arg)``; ``predict`` returns the answer it prints (not in the Lua) and main returns its globals."""
import re

import legonn as lg
from legonn import image, loadcaffe, nn, paths

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
    cmd.option('-proto_file', 'models/VGG_ILSVRC_19_layers_deploy.prototxt')
    cmd.option('-model_file', 'models/VGG_ILSVRC_19_layers.caffemodel')
    cmd.option('-checkpoint_file', 'checkpoints/vqa_epoch23.26_0.4610.t7', 'Checkpoint file to use for predictions')
    cmd.option('-data_dir', 'data', 'data directory')
    cmd.option('-seed', 981723, 'Torch manual random number generator seed')
    cmd.option('-feat_layer', 'fc7', 'Layer to extract features from')
    cmd.option('-train_fc7_file', 'data/train_fc7.t7', 'Path to fc7 features of training set')
    cmd.option('-train_fc7_image_id_file', 'data/train_fc7_image_id.t7', 'Path to fc7 image ids of training set')
    cmd.option('-val_fc7_file', 'data/val_fc7.t7', 'Path to fc7 features of validation set')
    cmd.option('-val_fc7_image_id_file', 'data/val_fc7_image_id.t7', 'Path to fc7 image ids of validation set')
    cmd.option('-input_image_path', 'data/train2014/COCO_train2014_000000405541.jpg', 'Image path')
    cmd.option('-question', 'What is the cat on?', 'Question string')
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

    loader = DataLoader.create(opt['data_dir'], opt['batch_size'], opt, 'predict')

    # load model checkpoint

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

    cnn = loadcaffe.load(opt['proto_file'], opt['model_file'])

    def predict(input_image_path, question_string):
        nonlocal cnn

        # extract image features

        if opt['gpuid'] >= 0:
            cnn = cnn.cuda()

        cnn_fc7 = nn.Sequential()

        for i in range(len(cnn.modules)):
            layer = cnn.get(i)
            name = layer.name
            cnn_fc7.add(layer)
            if name == opt['feat_layer']:
                break

        if opt['gpuid'] >= 0:
            cnn_fc7 = cnn_fc7.cuda()

        img = utils.preprocess(image.scale(image.load(input_image_path, 3), 224, 224))

        if opt['gpuid'] >= 0:
            img = img.cuda()

        fc7 = cnn_fc7.forward(img)
        imf = checkpoint['protos']['lti'].forward(fc7)

        # extract question features

        question = lg.ShortTensor(loader.q_max_length).fill(-1)   # :zero(): the padding is -1 (DataLoader.py)

        idx = 1
        words = {}
        for token in re.findall('[A-Za-z]+', question_string):   # string.gmatch(question_string, "%a+")
            words[idx] = token
            idx = idx + 1

        for i in range(1, len(words) + 1):
            question[loader.q_max_length - len(words) + i - 1] = \
                loader.q_vocab_mapping.get(words[i], loader.q_vocab_mapping['UNK'])

        if opt['gpuid'] >= 0:
            question = question.cuda()

        # 1st index of `nn.LookupTable` is for zeros
        question = question + 1

        qf = checkpoint['protos']['ltw'].forward(question)

        # lstm + softmax

        init_state = []
        for L in range(1, opt['num_layers'] + 1):
            h_init = lg.zeros(1, opt['rnn_size'])
            if opt['gpuid'] >= 0:
                h_init = h_init.cuda()
            init_state.append(h_init.clone())
            init_state.append(h_init.clone())

        rnn_state = {0: init_state}

        for t in range(1, loader.q_max_length + 1):
            lst = lstm_clones[t - 1].forward([qf.select(0, t - 1).view(1, -1), *rnn_state[t - 1]])
            rnn_state[t] = []
            for i in range(len(init_state)):
                rnn_state[t].append(lst[i])

        lst = lstm_clones[loader.q_max_length].forward([imf.view(1, -1), *rnn_state[loader.q_max_length]])

        prediction = checkpoint['protos']['sm'].forward(lst[-1])

        _, idx = prediction.max(1)

        print(a_iv[idx[0][0]])
        return a_iv[idx[0][0]]

    answer = predict(opt['input_image_path'], opt['question'])
    return locals()
