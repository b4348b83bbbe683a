"""eval.lua as ``main(arg)``, all but its ``-priming`` branch (neuraltalk2 captions read from fixed paths: not
ported). Edits beyond syntax and 0-based indices, as train.py's: the data files' 1-based ids and indices are read
minus one (questions after right_align; MC candidates with 0 as "none" become -1), ``nn.GRU(..., false, .25,
true)``'s rho is None; eval.lua never sets ``dropout`` (a nil global handed to netdef, which ignores it): None.
``model:cuda()`` in ``forward`` runs only with ``-gpuid >= 0`` here (the Lua always ships the model to CUDA).
"""
import legonn as lg
from legonn import cjson, cutorch, hdf5, nn, paths, xlua

from ..vqa_lstm_cnn.misc.RNNUtils import load_rnn_utils
from .netdef import load as require_netdef


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Test the Visual Question Answering model')
    cmd.text()
    cmd.text('Options')
    cmd.option('-input_img_h5', 'data_train-val_test-dev_2k/data_res.h5', 'path to the h5file containing the image feature')
    cmd.option('-input_ques_h5', 'data_train-val_test-dev_2k/data_prepro.h5', 'path to the h5file containing the preprocessed dataset')
    cmd.option('-input_json', 'data_train-val_test-dev_2k/data_prepro.json', 'path to the json file containing additional info and vocab')
    cmd.option('-model_path', 'model/mrn2k.t7', 'path to a model checkpoint to initialize model weights from. Empty = don\'t')
    cmd.option('-out_path', 'result/', 'path to save output json file')
    cmd.option('-out_prob', False, 'save prediction probability matrix as `model_name.t7`')
    cmd.option('-type', 'test-dev2015', 'evaluation set')
    cmd.option('-batch_size', 200, 'batch_size for each iterations')
    cmd.option('-rnn_model', 'GRU', 'question embedding model')
    cmd.option('-input_encoding_size', 620, 'he encoding size of each token in the vocabulary')
    cmd.option('-rnn_size', 2400, 'size of the rnn in number of hidden nodes in each layer')
    cmd.option('-common_embedding_size', 1200, 'size of the common embedding vector')
    cmd.option('-num_output', 2000, 'number of output answers')
    cmd.option('-model_name', 'MLB', 'model name')
    cmd.option('-label', '', 'model label')
    cmd.option('-num_layers', 1, '# of layers of Multimodal Residual Networks')
    cmd.option('-priming', False, 'priming with generated caption')
    cmd.option('-glimpse', 2, '# of glimpses')
    cmd.option('-backend', 'cudnn', 'nn|cudnn')   # given twice in the Lua ('nn' first): the last stands
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    opt = cmd.parse(arg)
    print(opt)
    lg.setdefaulttensortype('torch.FloatTensor')  # for CPU
    U = load_rnn_utils(opt)   # require 'misc.RNNUtils'
    if opt['gpuid'] >= 0:
        if opt['backend'] == 'cudnn':
            from legonn import cudnn  # noqa: F401
        cutorch.setDevice(opt['gpuid'])
    model_name = opt['model_name'] + opt['label'] + '_L' + str(opt['num_layers'])
    model_path = opt['model_path']
    num_layers = opt['num_layers']
    batch_size = opt['batch_size']
    embedding_size_q = opt['input_encoding_size']
    rnn_size_q = opt['rnn_size']
    common_embedding_size = opt['common_embedding_size']
    noutput = opt['num_output']
    glimpse = opt['glimpse']
    dropout = None   # a global eval.lua never sets
    print('DataLoader loading h5 file: ', opt['input_json'])
    file = open(opt['input_json'], 'r')
    text = file.readline()
    file.close()
    json_file = cjson.decode(text)
    print('DataLoader loading h5 file: ', opt['input_ques_h5'])
    dataset = {}
    h5_file = hdf5.open(opt['input_ques_h5'], 'r')
    dataset['question'] = h5_file.read('/ques_test').all()
    dataset['lengths_q'] = h5_file.read('/ques_length_test').all()
    dataset['img_list'] = h5_file.read('/img_pos_test').all().add(-1)
    dataset['ques_id'] = h5_file.read('/question_id_test').all()
    dataset['MC_ans_test'] = h5_file.read('/MC_ans_test').all().add(-1)
    h5_file.close()
    print('DataLoader loading h5 file: ', opt['input_img_h5'])
    h5_file = hdf5.open(opt['input_img_h5'], 'r')
    test_list = []
    for i, imname in enumerate(json_file['unique_img_test']):
        test_list.append(imname)
    nhimage = 2048
    dataset['question'] = U.right_align(dataset['question'], dataset['lengths_q']).add(-1)
    count = 0
    for i, w in json_file['ix_to_word'].items():
        count = count + 1
    vocabulary_size_q = count
    lookup = nn.LookupTableMaskZero(vocabulary_size_q, embedding_size_q)
    if opt['rnn_model'] == 'GRU':
        bgru = nn.GRU(embedding_size_q, rnn_size_q, None, .25, True)
        bgru.trimZero(1)
        encoder_net_q = nn.Sequential() \
            .add(nn.Sequencer(bgru)) \
            .add(nn.SelectTable(-1))
    elif opt['rnn_model'] == 'LSTM':
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
    embedding_net_q = nn.Sequential() \
        .add(lookup) \
        .add(nn.SplitTable(1))
    netdef = require_netdef(opt['model_name'])
    multimodal_net = getattr(netdef, opt['model_name'])(
        rnn_size_q, nhimage, common_embedding_size, dropout, num_layers, noutput, batch_size, glimpse)
    if opt['model_name'] == 'MCB':
        multimodal_net = multimodal_net[0]   # MCB returns the net and its two sketches; the Lua keeps the first
    print(multimodal_net)
    model = nn.Sequential() \
        .add(nn.ParallelTable()
             .add(nn.Sequential()
                  .add(embedding_net_q)
                  .add(encoder_net_q))
             .add(nn.Identity())) \
        .add(multimodal_net)
    criterion = nn.CrossEntropyCriterion()
    if opt['gpuid'] >= 0:
        print('shipped data function to cuda...')
        model = model.cuda()
        criterion = criterion.cuda()
    model.evaluate()
    w, dw = model.getParameters()
    print('nParams=', w.size())
    model_param = lg.load(model_path)
    w.copy(model_param)

    def next_batch_test(s, e):
        batch_size = e - s + 1
        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)
        fv_im = lg.Tensor(batch_size, 2048, 14, 14)
        for i in range(batch_size):
            qinds[i] = s + i
            iminds[i] = dataset['img_list'][qinds[i]]
            fv_im[i].copy(h5_file.read(paths.basename(test_list[int(iminds[i])])).all())
        fv_sorted_q = dataset['question'].index(0, qinds)
        qids = dataset['ques_id'].index(0, qinds)
        if opt['gpuid'] >= 0:
            fv_sorted_q = fv_sorted_q.cuda()
            fv_im = fv_im.cuda()
        return fv_sorted_q, fv_im, qids, batch_size

    def forward(s, e):
        timer = lg.Timer()  # noqa: F841
        fv_sorted_q, fv_im, qids, batch_size = next_batch_test(s, e)
        if batch_size != opt['batch_size']:
            getattr(netdef, opt['model_name'] + '_updateBatchSize')(
                multimodal_net, nhimage, common_embedding_size, num_layers, batch_size, glimpse)
        if opt['gpuid'] >= 0:
            model.cuda()
        scores = model.forward([fv_sorted_q, fv_im])
        return scores.double(), qids

    nqs = dataset['question'].size(0)
    scores = lg.Tensor(nqs, noutput)
    qids = lg.LongTensor(nqs)
    for i in range(0, nqs, batch_size):
        xlua.progress(i + 1, nqs)
        if batch_size > nqs - i - 1:
            xlua.progress(nqs, nqs)
        r = min(i + batch_size - 1, nqs - 1)
        scores[i:r + 1, :], qids[i:r + 1] = forward(i, r)
    if opt['out_prob']:
        lg.save(model_name + '.t7', scores)
        return scores
    tmp, pred = lg.max(scores, 1)

    def writeAll(file, data):
        f = open(file, 'w')
        f.write(data)
        f.close()

    def saveJson(fname, t):
        return writeAll(fname, cjson.encode(t))

    response = []
    for i in range(nqs):
        response.append({'question_id': int(qids[i]), 'answer': json_file['ix_to_ans'][str(int(pred[i, 0]) + 1)]})
    paths.mkdir(opt['out_path'])
    saveJson(opt['out_path'] + 'vqa_OpenEnded_mscoco_' + opt['type'] + '_' + model_name + '_results.json', response)
    mc_response = []
    for i in range(nqs):
        mc_prob = []
        mc_idx = dataset['MC_ans_test'][i]
        tmp_idx = []
        for j in range(mc_idx.size()[0]):
            if mc_idx[j] != -1:
                mc_prob.append(scores[i, int(mc_idx[j])])
                tmp_idx.append(int(mc_idx[j]))
        tmp, tmp2 = lg.max(lg.Tensor(mc_prob), 0)
        mc_response.append({'question_id': int(qids[i]), 'answer': json_file['ix_to_ans'][str(tmp_idx[int(tmp2[0])] + 1)]})
    saveJson(opt['out_path'] + 'vqa_MultipleChoice_mscoco_' + opt['type'] + '_' + model_name + '_results.json', mc_response)
    h5_file.close()
    return scores, pred, response, mc_response
