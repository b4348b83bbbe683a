"""jiasenlu/HieCoAttenVQA: the port (tests/porting/hiecoatten_vqa.py) run small. train.lua's model building,
``lossFun``, ``eval_split``, rmsprop loop and checkpoint (lines 86-325) are ``train`` below, on a tiny generated
h5/json dataset in DataLoaderDisk.lua's layout (0-based word ids with -1 padding, answers and image positions
0-based: docs/porting.md's index rules for files written for the port). The custom modules are checked against
NumPy and by finite differences in float64; the widths the Lua fixes (512, 196 regions, 1000 answers) stay."""
import json

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, nn, paths
from legonn.pl import path
from tests.porting import hiecoatten_vqa as hc
from tests.porting.hiecoatten_vqa import (DataLoader, LanguageEmbedding, LookupTableMaskZero, attention,
                                          maskSoftMax, phrase_level, ques_level, recursive_atten, rmsprop,
                                          word_level)

SEQ, NQ, NIMG, VOCAB, NANS = 4, 4, 3, 7, 4


def make_data(tmp_path, seed=0):
    """prepro_vqa.py's files, tiny: questions left-aligned with -1 after their length, VGG features
    (N, 14, 14, 512), a json of 0-based ix_to_word / ix_to_ans keys."""
    rng = np.random.RandomState(seed)
    lens = rng.randint(2, SEQ + 1, size=NQ)
    lens[0] = SEQ
    ques = np.full((NQ, SEQ), -1, np.int64)
    for i, n in enumerate(lens):
        ques[i, :n] = rng.randint(0, VOCAB, size=n)
    ques_file = str(tmp_path / 'vqa_data_prepro.h5')
    with hdf5.open(ques_file, 'w') as f:
        for split in ('train', 'test'):
            f.write('/ques_' + split, lg.from_numpy(ques))
            f.write('/ques_len_' + split, lg.from_numpy(lens.astype(np.int64)))
            f.write('/img_pos_' + split, lg.from_numpy((np.arange(NQ) % NIMG).astype(np.int64)))
            f.write('/ques_id_' + split, lg.from_numpy(np.arange(100, 100 + NQ).astype(np.int64)))
        f.write('/answers', lg.from_numpy((np.arange(NQ) % NANS).astype(np.int64)))
        f.write('/ans_test', lg.from_numpy((np.arange(NQ) % NANS).astype(np.int64)))
        f.write('/split_train', lg.from_numpy(np.zeros(NQ, np.int64)))
        f.write('/split_test', lg.from_numpy(np.full(NQ, 2, np.int64)))
    img_files = {}
    for split in ('train', 'test'):
        img_files[split] = str(tmp_path / ('vqa_data_img_vgg_%s.h5' % split))
        with hdf5.open(img_files[split], 'w') as f:
            f.write('/images_' + split, lg.from_numpy(rng.uniform(0, 1, (NIMG, 14, 14, 512)).astype(np.float32)))
    json_file = str(tmp_path / 'vqa_data_prepro.json')
    with open(json_file, 'w') as f:
        json.dump({'ix_to_word': {str(i): 'w%d' % i for i in range(VOCAB)},
                   'ix_to_ans': {str(i): 'a%d' % i for i in range(NANS)}}, f)
    return {'input_img_train_h5': img_files['train'], 'input_img_test_h5': img_files['test'],
            'input_ques_h5': ques_file, 'input_json': json_file}


def train(opt):
    """train.lua from line 86 on (the loader first, the models, lossFun, eval_split, the loop); returns what the
    tests inspect."""
    loader = DataLoader({'h5_img_file_train': opt['input_img_train_h5'], 'h5_img_file_test': opt['input_img_test_h5'],
                         'h5_ques_file': opt['input_ques_h5'], 'json_file': opt['input_json'],
                         'feature_type': opt['feature_type']})
    protos = {}
    if len(opt['start_from']) > 0:
        start_path = path.join(opt['checkpoint_path'] + '_' + opt['co_atten_type'], opt['start_from'])
        loaded_checkpoint = lg.load(start_path)
        lmOpt = loaded_checkpoint['lmOpt']
    else:
        lmOpt = {}
        lmOpt['vocab_size'] = loader.getVocabSize()
        lmOpt['hidden_size'] = opt['hidden_size']
        lmOpt['rnn_size'] = opt['rnn_size']
        lmOpt['num_layers'] = opt['rnn_layers']
        lmOpt['dropout'] = 0.5
        lmOpt['seq_length'] = loader.getSeqLength()
        lmOpt['batch_size'] = opt['batch_size']
        lmOpt['output_size'] = opt['rnn_size']
        lmOpt['atten_type'] = opt['co_atten_type']
        lmOpt['feature_type'] = opt['feature_type']

    protos['word'] = word_level(lmOpt)
    protos['phrase'] = phrase_level(lmOpt)
    protos['ques'] = ques_level(lmOpt)
    protos['atten'] = recursive_atten()
    protos['crit'] = nn.CrossEntropyCriterion()
    if opt['gpuid'] >= 0:
        for k, v in protos.items():
            v.cuda()

    wparams, grad_wparams = protos['word'].getParameters()
    pparams, grad_pparams = protos['phrase'].getParameters()
    qparams, grad_qparams = protos['ques'].getParameters()
    aparams, grad_aparams = protos['atten'].getParameters()

    if len(opt['start_from']) > 0:
        print('Load the weight...')
        wparams.copy(loaded_checkpoint['wparams'])
        pparams.copy(loaded_checkpoint['pparams'])
        qparams.copy(loaded_checkpoint['qparams'])
        aparams.copy(loaded_checkpoint['aparams'])

    assert wparams.nElement() == grad_wparams.nElement()
    assert pparams.nElement() == grad_pparams.nElement()
    assert qparams.nElement() == grad_qparams.nElement()
    protos['ques'].shareClones()
    assert aparams.nElement() == grad_aparams.nElement()

    def cuda_data(data):
        if opt['gpuid'] >= 0:
            for key in ('answer', 'images', 'questions', 'ques_len'):
                data[key] = data[key].cuda()
        return data

    def forward_all(data):
        word_feat, img_feat, w_ques, w_img, mask, *_ = protos['word'].forward([data['questions'], data['images']])
        conv_feat, p_ques, p_img, *_ = protos['phrase'].forward([word_feat, data['ques_len'], img_feat, mask])
        q_ques, q_img, *_ = protos['ques'].forward([conv_feat, data['ques_len'], img_feat, mask])
        feature_ensemble = [w_ques, w_img, p_ques, p_img, q_ques, q_img]
        out_feat = protos['atten'].forward(feature_ensemble)
        return word_feat, img_feat, conv_feat, feature_ensemble, out_feat

    def eval_split(split):
        protos['word'].evaluate()
        protos['phrase'].evaluate()
        protos['ques'].evaluate()
        protos['atten'].evaluate()
        loader.resetIterator(split)

        n = 0
        loss_sum = 0
        loss_evals = 0
        right_sum = 0
        total_num = loader.getDataNum(split)
        while True:
            data = cuda_data(loader.getBatch({'batch_size': opt['batch_size'], 'split': split}))
            n = n + data['images'].size(0)
            *_, out_feat = forward_all(data)
            loss = protos['crit'].forward(out_feat, data['answer'])
            tmp, pred = lg.max(out_feat, 1)
            for i in range(pred.size()[0]):
                if pred[i][0] == data['answer'][i]:
                    right_sum = right_sum + 1
            loss_sum = loss_sum + loss
            loss_evals = loss_evals + 1
            if n >= total_num:
                break
        return loss_sum / loss_evals, right_sum / total_num

    def lossFun():
        protos['word'].training()
        grad_wparams.zero()
        protos['phrase'].training()
        grad_pparams.zero()
        protos['ques'].training()
        grad_qparams.zero()
        protos['atten'].training()
        grad_aparams.zero()

        data = cuda_data(loader.getBatch({'batch_size': opt['batch_size'], 'split': 0}))
        word_feat, img_feat, conv_feat, feature_ensemble, out_feat = forward_all(data)
        loss = protos['crit'].forward(out_feat, data['answer'])
        dlogprobs = protos['crit'].backward(out_feat, data['answer'])
        d_w_ques, d_w_img, d_p_ques, d_p_img, d_q_ques, d_q_img = protos['atten'].backward(feature_ensemble, dlogprobs)
        d_ques_feat, d_ques_img = protos['ques'].backward([conv_feat, data['ques_len'], img_feat], [d_q_ques, d_q_img])
        d_conv_feat, d_conv_img = protos['phrase'].backward([word_feat, data['ques_len'], img_feat],
                                                            [d_ques_feat, d_p_ques, d_p_img])
        dummy = protos['word'].backward([data['questions'], data['images']],
                                        [d_conv_feat, d_w_ques, d_w_img, d_conv_img, d_ques_img])
        return {'total_loss': loss}, {}

    w_optim_state, p_optim_state, q_optim_state, a_optim_state = {}, {}, {}, {}
    record = {'loss': [], 'val': []}
    learning_rate = opt['learning_rate']
    paths.mkdir(opt['checkpoint_path'] + '_' + opt['co_atten_type'])
    record['val'].append(eval_split(2))
    it = 0
    while True:
        losses, stats = lossFun()
        record['loss'].append(losses['total_loss'])
        if it % opt['save_checkpoint_every'] == 0 or it == opt['max_iters']:
            checkpoint_path = path.join(opt['checkpoint_path'] + '_' + opt['co_atten_type'],
                                        'model_id' + opt['id'] + '_iter' + str(it))
            lg.save(checkpoint_path + '.t7', {'wparams': wparams, 'pparams': pparams, 'qparams': qparams,
                                              'aparams': aparams, 'lmOpt': lmOpt})
            hc.write_json(path.join(opt['checkpoint_path'] + '_' + opt['co_atten_type'], 'checkpoint.json'),
                          {'opt': opt, 'iter': it})
        if opt['optim'] == 'rmsprop':
            rmsprop(wparams, grad_wparams, learning_rate, opt['optim_alpha'], opt['optim_epsilon'], w_optim_state)
            rmsprop(pparams, grad_pparams, learning_rate, opt['optim_alpha'], opt['optim_epsilon'], p_optim_state)
            rmsprop(qparams, grad_qparams, learning_rate, opt['optim_alpha'], opt['optim_epsilon'], q_optim_state)
            rmsprop(aparams, grad_aparams, learning_rate, opt['optim_alpha'], opt['optim_epsilon'], a_optim_state)
        else:
            raise ValueError('bad option opt.optim')
        it = it + 1
        if opt['max_iters'] > 0 and it >= opt['max_iters']:
            break
    record['val'].append(eval_split(2))
    return protos, record, eval_split


def _opt(tmp_path, **kw):
    opt = make_data(tmp_path)
    opt.update({'start_from': '', 'co_atten_type': 'Alternating', 'feature_type': 'VGG', 'hidden_size': 512,
                'rnn_size': 512, 'batch_size': NQ, 'rnn_layers': 2, 'optim': 'rmsprop', 'learning_rate': 4e-4,
                'optim_alpha': 0.99, 'optim_epsilon': 1e-8, 'max_iters': 3, 'save_checkpoint_every': 2,
                'checkpoint_path': str(tmp_path / 'save' / 'train_vgg'), 'id': '0', 'gpuid': -1})
    opt.update(kw)
    return opt


# ---- the modules -------------------------------------------------------------------------------------------
def test_thnn_softmax_table():
    """maskSoftmax.lua calls THNN.lua's kernels through the tensor (``data.THNN.SoftMax_updateOutput(
    data:cdata(), self.output:cdata())``): legonn's tensors have that table, the kernels write into the caller's
    tensors, and a name legonn lacks or an output of another type is refused naming the function."""
    x = lg.DoubleTensor(3, 5).normal(0, 1)
    out, gi = lg.DoubleTensor(), lg.DoubleTensor()
    x.THNN.SoftMax_updateOutput(x.cdata(), out.cdata())
    e = np.exp(x.numpy() - x.numpy().max(1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), e / e.sum(1, keepdims=True), rtol=1e-12)
    g = lg.DoubleTensor(3, 5).normal(0, 1)
    x.THNN.SoftMax_updateGradInput(x.cdata(), g.cdata(), gi.cdata(), out.cdata())
    y = out.numpy()
    np.testing.assert_allclose(gi.numpy(), y * (g.numpy() - (g.numpy() * y).sum(1, keepdims=True)), rtol=1e-10)
    x.THNN.LogSoftMax_updateOutput(x, out)
    np.testing.assert_allclose(out.numpy(), np.log(e / e.sum(1, keepdims=True)), rtol=1e-10)
    with pytest.raises(AttributeError, match="tensor.THNN: no C function 'Foo_updateOutput'"):
        x.THNN.Foo_updateOutput
    with pytest.raises(TypeError, match=r'THNN.SoftMax_updateOutput: expected output a legonn.DoubleTensor'):
        x.THNN.SoftMax_updateOutput(x, lg.FloatTensor())


def test_mask_softmax_maths_and_jacobian():
    """maskSoftMax: the masked scores are set to -9999999 in the input itself, so their probabilities are 0 and
    the others a soft max over the rest; its gradient is SoftMax's at that output (finite differences, float64),
    and the mask's gradient is zeros of its size."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    data = lg.Tensor(3, 4).normal(0, 1)
    mask = lg.ByteTensor([[0, 0, 1, 1], [0, 0, 0, 0], [0, 1, 0, 1]])
    ref = data.numpy().copy()
    m = maskSoftMax()
    out = m.forward([data, mask]).numpy()
    e = np.where(mask.numpy() == 1, 0, np.exp(ref - ref.max(1, keepdims=True)))
    np.testing.assert_allclose(out, e / e.sum(1, keepdims=True), rtol=1e-10, atol=1e-300)
    assert (data.numpy()[mask.numpy() == 1] == -9999999).all()
    gi = m.updateGradInput([data, mask], lg.Tensor(3, 4).normal(0, 1))   # what nngraph reads; backward
    assert gi[1].type() == mask.type() and gi[1].sum() == 0                 # returns self.gradInput, as Lua's
    assert m.backward([data, mask], lg.Tensor(3, 4)) is m.gradInput
    assert nn.Jacobian.testJacobian(m, [lg.Tensor(3, 4), mask]) < 1e-6


def test_lookup_table_mask_zero():
    """LookupTableMaskZero: index -1 (the port's padding, Lua's 0) reads the zeroed row 0, word w row w + 1;
    accGradParameters adds into the shifted rows; ``type()`` forgets the shifted-index buffer."""
    lt = LookupTableMaskZero(5, 3)
    assert tuple(lt.weight.size()) == (6, 3)
    idx = lg.LongTensor([[0, 4, -1], [2, -1, -1]])
    out = lt.forward(idx).numpy()
    w = lt.weight.numpy()
    assert w[0].sum() == 0
    np.testing.assert_array_equal(out, w[idx.numpy() + 1])
    lt.zeroGradParameters()
    g = lg.Tensor(2, 3, 3).fill(1)
    lt.backward(idx, g)
    np.testing.assert_array_equal(lt.gradWeight.numpy()[:, 0], [3, 1, 0, 1, 0, 1])
    lt.double()
    assert lt._LookupTableMaskZero__input is None
    assert lt.forward(idx).type() == 'torch.DoubleTensor'


def _directional_check(module, inputs, float_leaves, eps=1e-6):
    """d <r, module(x)> / d x along a random direction, by central differences, against backprop (float64)."""
    rng = np.random.RandomState(3)
    out = module.forward(inputs)
    outs = out if isinstance(out, list) else [out]
    rs = [lg.from_numpy(rng.normal(size=tuple(o.size()))) for o in outs]
    grads = module.backward(inputs, rs if isinstance(out, list) else rs[0])
    grads = grads if isinstance(grads, list) else [grads]
    dirs = [rng.normal(size=tuple(inputs[i].size())) for i in float_leaves]
    analytic = sum(float((grads[i].numpy() * d).sum()) for i, d in zip(float_leaves, dirs))
    saved = [inputs[i].numpy().copy() for i in float_leaves]

    def value(sign):
        for i, d, s in zip(float_leaves, dirs, saved):
            inputs[i].copy(lg.from_numpy(s + sign * eps * d))
        o = module.forward(inputs)
        o = o if isinstance(o, list) else [o]
        return sum(float((a.numpy() * r.numpy()).sum()) for a, r in zip(o, rs))

    numeric = (value(1) - value(-1)) / (2 * eps)
    for i, s in zip(float_leaves, saved):
        inputs[i].copy(lg.from_numpy(s))
    assert abs(numeric - analytic) <= 1e-6 * max(1.0, abs(analytic)), (numeric, analytic)


def test_parallel_attention_jacobian():
    """attention.parallel_atten at small widths, in evaluate mode: its Jacobian in both feature inputs agrees
    with finite differences, and the question attention gives masked words no weight."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(1)
    net = attention.parallel_atten(3, 3, 3, 4, 5)
    net.evaluate()
    mask = lg.ByteTensor([[0, 0, 0, 1], [0, 0, 0, 0]])
    ques, img = lg.Tensor(2, 4, 3).normal(0, 1), lg.Tensor(2, 5, 3).normal(0, 1)
    _directional_check(net, [ques, img, mask], [0, 1])
    ques2 = ques.clone()
    ques2[0, 3].fill(100)      # a masked word changes nothing
    a = net.forward([ques, img, mask])[0].clone()
    b = net.forward([ques2, img, mask])[0]
    np.testing.assert_allclose(a.numpy()[0], b.numpy()[0], rtol=1e-12)


def test_alternating_attention_gradient():
    """attention.alternating_atten (its widths are 512: the Lua's ``nn.View(-1, 512)``), in evaluate mode: a
    directional derivative by central differences agrees with backprop in float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(2)
    net = attention.alternating_atten(512, 512, 512, 3, 196)
    net.evaluate()
    mask = lg.ByteTensor([[0, 0, 1], [0, 0, 0]])
    ques, img = lg.Tensor(2, 3, 512).normal(0, 0.1), lg.Tensor(2, 196, 512).normal(0, 0.1)
    _directional_check(net, [ques, img, mask], [0, 1])


def test_recursive_and_fuse_jacobian():
    """attention.recursive_atten and attention.fuse at small widths: Jacobians by finite differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rec = attention.recursive_atten(3, 2, 4, 5)
    rec.evaluate()
    assert nn.Jacobian.testJacobian(rec, [lg.Tensor(2, 3) for _ in range(6)]) < 1e-6
    fuse = attention.fuse(3, 4)
    fuse.evaluate()
    assert nn.Jacobian.testJacobian(fuse, [lg.Tensor(2, 4, 3), lg.Tensor(2, 4, 3)]) < 1e-6


def test_phrase_convolutions():
    """LanguageEmbedding.conv: the unigram, bigram (padded, narrowed to the sequence) and trigram convolutions
    maxed per position, then tanh, as a NumPy reading of the three cudnn.TemporalConvolutions' weights
    computes them; its Jacobian by finite differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    conv = LanguageEmbedding.conv(3, 2, 4)
    conv.evaluate()
    x = lg.Tensor(2, 4, 2).normal(0, 1)
    out = conv.forward(x).numpy()
    convs = conv.findModules('cudnn.TemporalConvolution')[0]
    xs = x.numpy()
    grams = []
    for m in sorted(convs, key=lambda m: m.kW):
        k = m.kW
        w = m.weight.numpy().reshape(3, k, 2)
        pad = (k - 1 + 1) // 2 if k > 1 else 0
        xp = np.pad(xs, ((0, 0), (pad, pad), (0, 0)))
        y = np.stack([np.einsum('bkc,okc->bo', xp[:, t:t + k], w) for t in range(xp.shape[1] - k + 1)], 1)
        grams.append(y[:, :4] + m.bias.numpy())
    np.testing.assert_allclose(out, np.tanh(np.max(grams, axis=0)), rtol=1e-10)
    assert nn.Jacobian.testJacobian(conv, x) < 1e-6


def test_ques_level_masks_and_gradient():
    """ques_level (Parallel attention at small widths): a question's LSTM states past its length are zero, so
    its padded words change nothing; its gradient in both inputs agrees with central differences (float64)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(3)
    q = ques_level({'rnn_size': 3, 'num_layers': 2, 'dropout': 0, 'hidden_size': 3, 'seq_length': 4,
                    'atten_type': 'Parallel'})
    q.evaluate()
    seq_len = lg.LongTensor([4, 2])
    mask = lg.ByteTensor([[0, 0, 0, 0], [0, 0, 1, 1]])
    ques, img = lg.Tensor(2, 4, 3).normal(0, 1), lg.Tensor(2, 196, 3).normal(0, 1)
    q.forward([ques, seq_len, img, mask])
    assert (q.core_output.numpy()[1, 2:] == 0).all() and (q.core_output.numpy()[0, 2:] != 0).all()
    a = [o.clone() for o in q.forward([ques, seq_len, img, mask])]
    ques2 = ques.clone()
    ques2[1, 3].fill(50)
    b = q.forward([ques2, seq_len, img, mask])
    np.testing.assert_allclose(a[0].numpy(), b[0].numpy(), rtol=1e-12)

    class Wrapped(nn.Module):   # ques_level's backward takes three inputs (train.lua hands it no mask)
        def updateOutput(self, input):
            self.output = q.forward(input)
            return self.output

        def updateGradInput(self, input, gradOutput):
            d = q.backward(input[:3], gradOutput)
            self.gradInput = [d[0], seq_len.clone().zero(), d[1], mask.clone().zero()]
            return self.gradInput
    inputs = [ques, seq_len, img, mask]
    _directional_check(Wrapped(), inputs, [0, 2])


# ---- train.lua ---------------------------------------------------------------------------------------------
def test_train_loss_falls_and_checkpoint_reloads(tmp_path):
    """train.lua's loop on the tiny set: the loss on the held-out split (the same questions, evaluate mode)
    falls, the accuracy is a fraction of the questions, the iteration-0 and -2 checkpoints and the json are
    written, and ``-start_from`` rebuilds models that evaluate as the trained ones do with that checkpoint's
    parameters (a learning rate of 0 keeps them)."""
    lg.manualSeed(123)
    opt = _opt(tmp_path)
    protos, record, eval_split = train(opt)
    (loss0, acc0), (loss1, acc1) = record['val']
    assert loss1 < loss0 * 0.7, record
    assert 0 <= acc1 <= 1 and acc1 * NQ == int(acc1 * NQ)
    ck_dir = opt['checkpoint_path'] + '_Alternating'
    assert paths.filep(path.join(ck_dir, 'model_id0_iter0.t7'))
    assert cjson.decode(open(path.join(ck_dir, 'checkpoint.json')).read())['iter'] == 2

    ck = lg.load(path.join(ck_dir, 'model_id0_iter2.t7'))
    assert ck['lmOpt']['seq_length'] == SEQ
    for key, name in (('wparams', 'word'), ('pparams', 'phrase'), ('qparams', 'ques'), ('aparams', 'atten')):
        protos[name].getParameters()[0].copy(ck[key])
    expected = eval_split(2)
    _, record2, _ = train(dict(opt, start_from='model_id0_iter2.t7', max_iters=1, learning_rate=0))
    assert record2['val'][0][0] == pytest.approx(expected[0], rel=1e-6) and record2['val'][0][1] == expected[1]
    assert record2['val'][0][0] != pytest.approx(loss1, rel=1e-6)   # the iteration-2 parameters, not the last


@pytest.mark.gpu
def test_train_step_gpu(tmp_path):
    """train.lua with ``-gpuid 0``: the protos on CUDA, the CudaByteTensor mask word_level.lua makes, one
    rmsprop step and the evaluation on the GPU."""
    lg.manualSeed(123)
    hc.MaskTensor = lg.CudaByteTensor
    try:
        opt = _opt(tmp_path, gpuid=0, max_iters=2)
        protos, record, _ = train(opt)
    finally:
        hc.MaskTensor = lg.ByteTensor
    assert protos['word'].mask.type() == 'torch.CudaByteTensor'
    assert protos['atten'].output.type() == 'torch.CudaTensor'
    assert np.isfinite(record['loss']).all()
