"""visual_question_answering.lua of ramprs/grad-cam, ported line by line as ``main(arg)`` (the script's body; it
returns what the tests check). Its VQA_LSTM_CNN submodule is tests/porting/vqa_lstm_cnn/. Edits beyond
the syntax are listed in tests/porting/grad_cam's docstring."""
import os
import sys

import legonn as lg
from legonn import cjson, image, lfs, loadcaffe, nn

from .misc import utils

PREPRO_QUES = os.path.join(os.path.dirname(__file__), 'misc', 'prepro_ques.py')


def main(arg=None):
    cmd = lg.CmdLine()
    cmd.text('Options')

    # Model parameters
    cmd.option('-proto_file', 'models/VGG_ILSVRC_19_layers_deploy.prototxt')
    cmd.option('-model_file', 'models/VGG_ILSVRC_19_layers.caffemodel')
    cmd.option('-input_sz', 224, 'Input image dimensions (use 227 for AlexNet)')
    cmd.option('-backend', 'nn')

    # Grad-CAM parameters
    cmd.option('-layer_name', 'relu5_4', 'Layer to use for Grad-CAM (use relu5_3 for VGG-16 and relu5 for AlexNet)')
    cmd.option('-input_image_path', 'images/cat_dog.jpg', 'Input image path')
    cmd.option('-question', 'What animal?', 'Input question')
    cmd.option('-answer', '', 'Optional answer (For eg. "cat") to generate Grad-CAM for ("" = use predicted answer).')
    cmd.option('-save_as_heatmap', 1, 'Whether to save heatmap or raw Grad-CAM. 1 = save heatmap, 0 = save raw Grad-CAM.')

    # VQA model parameters
    cmd.option('-model_path', 'VQA_LSTM_CNN/lstm.t7', 'Path to VQA model checkpoint')
    cmd.option('-input_encoding_size', 200, 'Encoding size of each token in the vocabulary')
    cmd.option('-rnn_size', 512, 'Size of the LSTM hidden state')
    cmd.option('-rnn_layers', 2, 'Number of the LSTM layers')
    cmd.option('-common_embedding_size', 1024, 'Size of the common embedding vector')
    cmd.option('-num_output', 1000, 'Number of output answers')

    # Miscellaneous
    cmd.option('-seed', 123, 'Torch manual random number generator seed')
    cmd.option('-gpuid', -1, '0-indexed id of GPU to use. -1 = CPU')
    cmd.option('-out_path', 'output/', 'Output path')

    # Parse command-line parameters
    opt = cmd.parse(arg or [])
    print(opt)

    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.DoubleTensor')
    lfs.mkdir(opt['out_path'])

    if opt['gpuid'] >= 0:
        from legonn import cutorch
        cutorch.setDevice(opt['gpuid'])   # cutorch's devices are 1-based, legonn's 0-based
        cutorch.manualSeed(opt['seed'])

    # Load CNN
    cnn = loadcaffe.load(opt['proto_file'], opt['model_file'], opt['backend'])

    # Set to evaluate and remove linear+softmax layer
    cnn.evaluate()
    cnn.remove()
    cnn.remove()
    cnn.add(nn.Normalize(2))

    # Clone & replace ReLUs for Guided Backprop
    cnn_gb = cnn.clone()
    cnn_gb.replace(utils.guidedbackprop)

    # VQA-specific dependencies
    # https://github.com/VT-vision-lab/VQA_LSTM_CNN/blob/master/eval.lua
    from tests.porting.vqa_lstm_cnn.misc import LSTM, netdef
    from tests.porting.vqa_lstm_cnn.misc.RNNUtils import load_rnn_utils
    rnn_utils = load_rnn_utils(opt)   # RNNUtils.lua's globals, read from the global opt when it is required

    # Load vocabulary
    file = open('VQA_LSTM_CNN/data_prepro.json', 'r')
    text = file.readline()
    file.close()
    json_file = cjson.decode(text)
    vocabulary_size_q = 0
    for i, w in json_file['ix_to_word'].items():
        vocabulary_size_q = vocabulary_size_q + 1

    # VQA model definition
    embedding_net_q = nn.Sequential() \
        .add(nn.Linear(vocabulary_size_q, opt['input_encoding_size'])) \
        .add(nn.Dropout(0.5)) \
        .add(nn.Tanh())

    encoder_net_q = LSTM.lstm_conventional(opt['input_encoding_size'], opt['rnn_size'], 1, opt['rnn_layers'], 0.5)

    multimodal_net = nn.Sequential() \
        .add(netdef.AxB(2 * opt['rnn_size'] * opt['rnn_layers'], 4096, opt['common_embedding_size'], 0.5)) \
        .add(nn.Dropout(0.5)) \
        .add(nn.Linear(opt['common_embedding_size'], opt['num_output']))

    dummy_state_q = lg.Tensor(opt['rnn_size'] * opt['rnn_layers'] * 2).fill(0)
    dummy_output_q = lg.Tensor(1).fill(0)

    # Ship model to GPU
    if opt['gpuid'] >= 0:
        embedding_net_q.cuda()
        encoder_net_q.cuda()
        multimodal_net.cuda()
        dummy_state_q = dummy_state_q.cuda()
        dummy_output_q = dummy_output_q.cuda()

    # Set to evaluate
    embedding_net_q.evaluate()
    encoder_net_q.evaluate()
    multimodal_net.evaluate()

    # Zero gradients
    embedding_net_q.zeroGradParameters()
    encoder_net_q.zeroGradParameters()
    multimodal_net.zeroGradParameters()

    # Load pretrained VQA model
    embedding_w_q, embedding_dw_q = embedding_net_q.getParameters()
    encoder_w_q, encoder_dw_q = encoder_net_q.getParameters()
    multimodal_w, multimodal_dw = multimodal_net.getParameters()

    model_param = lg.load(opt['model_path'])
    embedding_w_q.copy(model_param['embedding_w_q'])
    encoder_w_q.copy(model_param['encoder_w_q'])
    multimodal_w.copy(model_param['multimodal_w'])

    encoder_net_buffer_q = rnn_utils.dupe_rnn(encoder_net_q, 26)

    # Load image
    img = utils.preprocess(opt['input_image_path'], opt['input_sz'], opt['input_sz'])[0]

    # Ship CNNs and image to GPU
    if opt['gpuid'] >= 0:
        cnn.cuda()
        cnn_gb.cuda()
        img = img.cuda()

    # Forward pass
    fv_im = cnn.forward(img)
    fv_im_gb = cnn_gb.forward(img)

    # Tokenize question
    cmd = sys.executable + ' ' + PREPRO_QUES + ' --question "' + opt['question'] + '"'
    os.system(cmd)
    file = open('ques_feat.json')
    text = file.readline()
    file.close()
    q_feats = cjson.decode(text)

    question = rnn_utils.right_align(lg.LongTensor([q_feats['ques']]), lg.LongTensor([q_feats['ques_length']]))
    fv_sorted_q = rnn_utils.sort_encoding_onehot_right_align(question, lg.LongTensor([q_feats['ques_length']]), vocabulary_size_q)

    # Ship question features to GPU
    if opt['gpuid'] >= 0:
        fv_sorted_q[0] = fv_sorted_q[0].cuda()
        fv_sorted_q[2] = fv_sorted_q[2].cuda()
        fv_sorted_q[3] = fv_sorted_q[3].cuda()
    else:
        fv_sorted_q[0] = fv_sorted_q[0].double()

    question_max_length = fv_sorted_q[1].size(0)

    # Embedding forward
    word_embedding_q = rnn_utils.split_vector(embedding_net_q.forward(fv_sorted_q[0]), fv_sorted_q[1])

    # Encoder forward
    states_q, _ = rnn_utils.rnn_forward(encoder_net_buffer_q, lg.repeatTensor(dummy_state_q.fill(0), 1, 1), word_embedding_q, fv_sorted_q[1])

    # Multimodal forward
    tv_q = states_q[question_max_length].index(0, fv_sorted_q[3])
    scores = multimodal_net.forward([tv_q, fv_im])

    # Get predictions
    _, pred = lg.max(scores.double(), 1)
    answer = json_file['ix_to_ans'][lg.tostring(pred[0, 0])]

    inv_vocab = utils.table_invert(json_file['ix_to_ans'])
    # Replace out of vocabulary answers with predicted answer
    if opt['answer'] != '' and inv_vocab.get(opt['answer']) is not None:
        answer_idx = inv_vocab[opt['answer']]
    else:
        opt['answer'] = answer
        answer_idx = inv_vocab[answer]

    print("Question: ", opt['question'])
    print("Predicted answer: ", answer)
    print("Grad-CAM answer: ", opt['answer'])

    # Set gradInput
    doutput = utils.create_grad_input(multimodal_net.modules[len(multimodal_net.modules) - 1], answer_idx)

    # Multimodal backward
    tmp = multimodal_net.backward([tv_q, fv_im], doutput.view(1, -1))
    dcnn = tmp[1]

    # Grad-CAM
    gcam = utils.grad_cam(cnn, opt['layer_name'], dcnn)
    gcam = image.scale(gcam.float(), opt['input_sz'], opt['input_sz'])
    hm = utils.to_heatmap(gcam)
    if opt['save_as_heatmap'] == 1:
        image.save(opt['out_path'] + 'vqa_gcam_hm_' + opt['answer'] + '.png', image.toDisplayTensor(hm))
    else:
        image.save(opt['out_path'] + 'vqa_gcam_' + opt['answer'] + '.png', image.toDisplayTensor(gcam))

    # Guided Backprop
    gb_viz = cnn_gb.backward(img, dcnn)
    # BGR to RGB
    gb_viz = gb_viz.index(0, lg.LongTensor([2, 1, 0]))
    image.save(opt['out_path'] + 'vqa_gb_' + opt['answer'] + '.png', image.toDisplayTensor(gb_viz))

    # Guided Grad-CAM
    gb_gcam = gb_viz.float().cmul(gcam.expandAs(gb_viz))
    image.save(opt['out_path'] + 'vqa_gb_gcam_' + opt['answer'] + '.png', image.toDisplayTensor(gb_gcam))

    return dict(opt=opt, cnn=cnn, cnn_gb=cnn_gb, img=img, fv_im=fv_im, fv_im_gb=fv_im_gb, q_feats=q_feats,
                fv_sorted_q=fv_sorted_q, tv_q=tv_q, scores=scores, answer=answer, answer_idx=answer_idx,
                multimodal_net=multimodal_net, doutput=doutput, dcnn=dcnn, gcam=gcam, hm=hm, gb_viz=gb_viz,
                gb_gcam=gb_gcam)
