"""eval.lua: loads a train.lua checkpoint's flat parameters into a fresh model, answers the test questions batch
by batch, keeps the attention maps (the SoftMax outputs of the attention layers, found by their place among the
gModule's modules) and writes the OpenEnded answers as json and the maps as h5. The script's body is
``main()``, its options overridden by environment variables as in the Lua; it returns its globals. The answers'
keys in params.json (``ix_to_ans``) are 0-based ids as strings."""
import math
import os
import time

import legonn as lg
from legonn import cjson, hdf5, nn, paths, xlua

from .misc import san
from . import dataloader as dataloader_lua
from .train import tonumber


def main():
    opt = {
        # data
        'img_train_h5': 'data/img_train.h5',
        'img_test_h5': 'data/img_test.h5',
        'qa_h5': 'data/qa.h5',
        'params_json': 'data/params.json',

        # model
        'model_path': 'checkpoints/model.t7',

        # misc
        'batch_size': 500,
        'gpu': 0,
        'seed': 123,
        'result_path': 'results/'
    }

    # one-line argument parser. parses enviroment variables to override the defaults
    # from https://github.com/soumith/dcgan.torch/blob/master/main.lua#L25
    for k, v in opt.items():
        opt[k] = n if (n := tonumber(os.getenv(k))) is not None else (os.getenv(k) or opt[k])
    paths.mkdir(opt['result_path'])
    if opt['result_path'] == 'results/':
        cur_time = time.localtime()   # os.date('*t', os.time())
        opt['result_path'] = 'results/%d-%d-%d-%d:%d:%d/' % (cur_time.tm_mon, cur_time.tm_mday, cur_time.tm_year,
                                                             cur_time.tm_hour, cur_time.tm_min, cur_time.tm_sec)
    print(opt)

    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')

    # dataloader
    dataloader = dataloader_lua.dataloader()   # dofile('dataloader.lua')
    dataloader.initialize(opt, 'test')

    print('Vocab size ' + str(dataloader.vocab_size))

    if opt['gpu'] >= 0:
        paths.require('cutorch')
        paths.require('cunn')

    # loading from checkpoint
    saved = lg.load(opt['model_path'])

    # model
    lm = nn.Sequential() \
        .add(nn.LookupTableMaskZero(dataloader.vocab_size, saved['opt']['embedding_size'])) \
        .add(nn.Dropout(0.5)) \
        .add(nn.SplitTable(0, 2)) \
        .add(nn.Sequencer(nn.FastLSTM(saved['opt']['embedding_size'], saved['opt']['rnn_size']).maskZero(1))) \
        .add(nn.Sequencer(nn.FastLSTM(saved['opt']['rnn_size'], saved['opt']['rnn_size']).maskZero(1))) \
        .add(nn.SelectTable(-1))

    model = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Identity())
             .add(lm)) \
        .add(san.n_attention_layer(saved['opt']))

    if opt['gpu'] >= 0:
        print('Shipping to cuda')
        model = model.cuda()

    model_params, model_grad_params = model.getParameters()

    # copying params from checkpoint
    model_params.copy(saved['model_params'])
    model.evaluate()

    # softmax layers in san-k for k = 1, 2
    attention_layers = [[18], [21, 34]]

    # forward pass; returns scores and attention maps
    def forward(batch):
        scores = model.forward([batch[0], batch[1]])
        mapify = nn.View(-1, 14, 14)
        att_maps = []

        for i in range(saved['opt']['num_attention_layers']):
            att_maps.append(mapify.forward(model.modules[1].modules[
                attention_layers[saved['opt']['num_attention_layers'] - 1][i]].output.float()))

        return [scores.float(), att_maps]

    # eval loop
    num_batches = math.ceil(dataloader['ques'].size(0) / opt['batch_size'])
    print('No. batches ' + str(num_batches))

    ques_id = lg.LongTensor(dataloader['ques'].size(0)).fill(0)
    scores = lg.zeros(dataloader['ques'].size(0), saved['opt']['num_output'])
    maps = lg.zeros(saved['opt']['num_attention_layers'], dataloader['ques'].size(0), 14, 14)

    for i in range(num_batches):
        xlua.progress(i, num_batches)   # the 0-based batch being started (docs/porting.md's xlua row)
        start_id = dataloader.test_id
        batch = dataloader.next_batch_eval(opt)
        end_id = dataloader.test_id - 1

        output = forward(batch)

        ques_id[start_id:end_id + 1] = batch[2]
        scores[start_id:end_id + 1, :] = output[0]
        for j in range(saved['opt']['num_attention_layers']):
            maps[j:j + 1, start_id:end_id + 1, :] = output[1][j]

    _, preds = scores.max(1)

    # from https://github.com/VT-vision-lab/VQA_LSTM_CNN/blob/master/eval.lua#L230 onwards
    def write_json(file, data):
        print('Writing to ' + file)
        f = open(file, 'w')
        f.write(cjson.encode(data))
        f.close()

    paths.mkdir(opt['result_path'])
    oe_res = []
    for i in range(dataloader['ques'].size(0)):
        oe_res.append({'question_id': ques_id[i], 'answer': dataloader['ix_to_ans'][str(preds[i, 0])]})
    write_json(opt['result_path'] + 'OpenEnded_mscoco_lstm_results.json', oe_res)

    print('Writing to ' + opt['result_path'] + 'attention_maps.h5')
    att_h5 = hdf5.open(opt['result_path'] + 'attention_maps.h5', 'w')
    att_h5.write('/maps', maps)
    att_h5.close()

    return locals()
