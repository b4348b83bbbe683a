"""eval.lua (all) as ``main(arg)``: the checkpoint loaded into fresh nets in evaluate mode, every test question
scored, the OpenEnded and MultipleChoice answers written as json; returns the scores and question ids.

Edits beyond syntax and 0-based indices:

- prepro.py's word ids, image positions and multiple-choice answers count from 1 (0 pads MC_ans_test): read minus
  one, so the padding test ``mc_idx[j] ~= 0`` is ``!= -1``; json's ``ix_to_ans`` keys count from 1, so a 0-based
  answer ``a`` is looked up as ``str(a + 1)`` (docs/porting.md's data-files rows);
- ``next_batch_test`` returns ``fv_im:cuda()`` whatever ``-gpuid`` says: with ``-gpuid -1`` Torch7 then hands a
  CudaTensor to the CPU multimodal net, which refuses it (so the Lua only runs on the GPU); the port returns
  ``fv_im``, moved to the GPU above when ``-gpuid >= 0``;
- ``dataset:next_batch_test(s, e)`` is a function stored in the dict, called with the ``self`` Lua passes;
  ``collectgarbage()`` is dropped; ``require 'xlua'``'s progress counts from 0 (docs/porting.md).
"""
import legonn as lg
from legonn import cjson, cutorch, hdf5, nn, paths, xlua

from .misc import LSTM, netdef
from .misc.RNNUtils import load_rnn_utils


def main(arg):
    # -------------------------------------------------------------------------------
    # Input arguments and options
    # -------------------------------------------------------------------------------
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Test the Visual Question Answering model')
    cmd.text()
    cmd.text('Options')
    # Data input settings
    cmd.option('-input_img_h5', 'data_img.h5', 'path to the h5file containing the image feature')
    cmd.option('-input_ques_h5', 'data_prepro.h5', 'path to the h5file containing the preprocessed dataset')
    cmd.option('-input_json', 'data_prepro.json', 'path to the json file containing additional info and vocab')
    cmd.option('-model_path', 'model/lstm.t7', 'path to a model checkpoint to initialize model weights from. Empty = don\'t')
    cmd.option('-out_path', 'result/', 'path to save output json file')

    # Model parameter settings (shoud be the same with the training)
    cmd.option('-batch_size', 500, 'batch_size for each iterations')
    cmd.option('-input_encoding_size', 200, 'the encoding size of each token in the vocabulary')
    cmd.option('-rnn_size', 512, 'size of the rnn in number of hidden nodes in each layer')
    cmd.option('-rnn_layer', 2, 'number of the rnn layer')
    cmd.option('-common_embedding_size', 1024, 'size of the common embedding vector')
    cmd.option('-num_output', 1000, 'number of output answers')
    cmd.option('-img_norm', 1, 'normalize the image feature. 1 = normalize, 0 = not normalize')

    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')

    opt = cmd.parse(arg)
    print(opt)

    lg.setdefaulttensortype('torch.FloatTensor')  # for CPU

    U = load_rnn_utils(opt)   # require 'misc.RNNUtils'
    if opt['gpuid'] >= 0:
        if opt['backend'] == 'cudnn':
            from legonn import cudnn  # noqa: F401
        cutorch.setDevice(opt['gpuid'])

    # ------------------------------------------------------------------------
    # Setting the parameters
    # ------------------------------------------------------------------------
    model_path = opt['model_path']
    batch_size = opt['batch_size']
    embedding_size_q = opt['input_encoding_size']
    lstm_size_q = opt['rnn_size']
    nlstm_layers_q = opt['rnn_layer']
    nhimage = 4096
    common_embedding_size = opt['common_embedding_size']
    noutput = opt['num_output']
    dummy_output_size = 1

    # ------------------------------------------------------------------------
    # Loading Dataset
    # ------------------------------------------------------------------------
    print('DataLoader loading h5 file: ', opt['input_json'])
    dataset = {}

    file = open(opt['input_json'], 'r')
    text = file.readline()
    file.close()
    json_file = cjson.decode(text)

    print('DataLoader loading h5 file: ', opt['input_ques_h5'])
    dataset = {}
    h5_file = hdf5.open(opt['input_ques_h5'], 'r')

    dataset['question'] = h5_file.read('/ques_test').all().add(-1)
    dataset['lengths_q'] = h5_file.read('/ques_length_test').all()
    dataset['img_list'] = h5_file.read('/img_pos_test').all().add(-1)
    dataset['ques_id'] = h5_file.read('/question_id_test').all()
    dataset['MC_ans_test'] = h5_file.read('/MC_ans_test').all().add(-1)
    h5_file.close()

    print('DataLoader loading h5 file: ', opt['input_img_h5'])
    h5_file = hdf5.open(opt['input_img_h5'], 'r')
    dataset['fv_im'] = h5_file.read('/images_test').all()
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
    buffer_size_q = dataset['question'].size()[1]

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

    # setting to evaluation
    embedding_net_q.evaluate()
    encoder_net_q.evaluate()
    multimodal_net.evaluate()

    embedding_w_q, embedding_dw_q = embedding_net_q.getParameters()
    encoder_w_q, encoder_dw_q = encoder_net_q.getParameters()
    multimodal_w, multimodal_dw = multimodal_net.getParameters()

    # loading the model
    model_param = lg.load(model_path)
    embedding_w_q.copy(model_param['embedding_w_q'])
    encoder_w_q.copy(model_param['encoder_w_q'])
    multimodal_w.copy(model_param['multimodal_w'])

    sizes = [encoder_w_q.size(0), embedding_w_q.size(0), multimodal_w.size(0)]

    # ------------------------------------------------------------------------
    # Grab Next Batch--
    # ------------------------------------------------------------------------
    def next_batch_test(self, s, e):
        batch_size = e - s
        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)
        for i in range(batch_size):
            qinds[i] = s + i
            iminds[i] = dataset['img_list'][qinds[i]]

        fv_sorted_q = U.sort_encoding_onehot_right_align(dataset['question'].index(0, qinds),
                                                         dataset['lengths_q'].index(0, qinds), vocabulary_size_q)

        fv_im = dataset['fv_im'].index(0, iminds)
        qids = dataset['ques_id'].index(0, qinds)

        # ship to gpu
        if opt['gpuid'] >= 0:
            fv_sorted_q[0] = fv_sorted_q[0].cuda()
            fv_sorted_q[2] = fv_sorted_q[2].cuda()
            fv_sorted_q[3] = fv_sorted_q[3].cuda()
            fv_im = fv_im.cuda()

        # print(string.format('batch_sort:%f',timer:time().real));
        return fv_sorted_q, fv_im, qids, batch_size
    dataset['next_batch_test'] = next_batch_test

    # ------------------------------------------------------------------------
    # Objective Function and Optimization
    # ------------------------------------------------------------------------
    # duplicate the RNN
    encoder_net_buffer_q = U.dupe_rnn(encoder_net_q, buffer_size_q)

    def forward(s, e):
        timer = lg.Timer()
        # grab a batch--
        fv_sorted_q, fv_im, qids, batch_size = dataset['next_batch_test'](dataset, s, e)
        question_max_length = fv_sorted_q[1].size(0)

        # embedding forward--
        word_embedding_q = U.split_vector(embedding_net_q.forward(fv_sorted_q[0]), fv_sorted_q[1])

        # encoder forward--
        states_q, junk2 = U.rnn_forward(encoder_net_buffer_q, lg.repeatTensor(dummy_state_q.fill(0), batch_size, 1),
                                        word_embedding_q, fv_sorted_q[1])

        # multimodal/criterion forward--
        tv_q = states_q[question_max_length].index(0, fv_sorted_q[3])
        scores = multimodal_net.forward([tv_q, fv_im])
        return scores.double(), qids

    # -----------------------------------------------------------------------
    # Do Prediction
    # -----------------------------------------------------------------------
    nqs = dataset['question'].size(0)
    scores = lg.Tensor(nqs, noutput)
    qids = lg.LongTensor(nqs)
    for i in range(0, nqs, batch_size):
        xlua.progress(i, nqs)
        r = min(i + batch_size, nqs)
        scores[i:r, :], qids[i:r] = forward(i, r)

    tmp, pred = lg.max(scores, 1)

    # ------------------------------------------------------------------------
    # Write to Json file
    # ------------------------------------------------------------------------
    def writeAll(file, data):
        f = open(file, "w")
        f.write(data)
        f.close()

    def saveJson(fname, t):
        return writeAll(fname, cjson.encode(t))

    response = []
    for i in range(nqs):
        response.append({'question_id': qids[i], 'answer': json_file['ix_to_ans'][str(pred[i, 0] + 1)]})

    paths.mkdir(opt['out_path'])
    saveJson(opt['out_path'] + 'OpenEnded_mscoco_lstm_results.json', response)

    mc_response = []

    for i in range(nqs):
        mc_prob = []
        mc_idx = dataset['MC_ans_test'][i]
        tmp_idx = []
        for j in range(mc_idx.size()[0]):
            if mc_idx[j] != -1:
                mc_prob.append(scores[i, mc_idx[j]])
                tmp_idx.append(mc_idx[j])
        tmp, tmp2 = lg.max(lg.Tensor(mc_prob), 0)
        mc_response.append({'question_id': qids[i], 'answer': json_file['ix_to_ans'][str(tmp_idx[tmp2[0]] + 1)]})

    saveJson(opt['out_path'] + 'MultipleChoice_mscoco_lstm_results.json', mc_response)
    return dict(opt=opt, scores=scores, qids=qids, pred=pred, response=response, mc_response=mc_response)
