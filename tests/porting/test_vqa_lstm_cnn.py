"""GT-Vision-Lab/VQA_LSTM_CNN run through its line-by-line port, tests/porting/vqa_lstm_cnn/ (misc/LSTM.lua,
misc/netdef.lua, misc/RNNUtils.lua, train.lua, eval.lua, prepro_img.lua).

Stand-ins: data_prepro.h5 / .json written as prepro.py writes them (h5py, uint32: word ids from 1 with 0 after each
question's length, answers, image positions and multiple-choice answers from 1, 0 padding the choices; json keys
``ix_to_word`` / ``ix_to_ans`` from "1"), tiny: 6 words, 4-word questions, 5 answers, the answer a function of the
first word so the task is learnable; data_img.h5 of 4096-wide random image features (train.lua's fixed
``nhimage``); for prepro_img.lua a small Caffe net whose 43rd module is a ReLU of 4096 outputs stands for VGG-19.
"""
import h5py
import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, image, nn, paths

from .vqa_lstm_cnn import eval as vqa_eval
from .vqa_lstm_cnn import prepro_img, train
from .vqa_lstm_cnn.misc import LSTM, netdef
from .vqa_lstm_cnn.misc.RNNUtils import load_rnn_utils

VOCAB, NANS, MAXLEN, NIMG, NHIMAGE = 6, 5, 4, 4, 4096


def make_data(tmp_path, lengths=(4, 2, 3, 4, 1, 2, 4, 3)):
    """prepro.py's data_prepro.h5 and .json and prepro_img.lua's data_img.h5; the test split holds the training
    questions and images (so eval.lua scores questions the model has learnt), with ids from 500."""
    rng = np.random.RandomState(0)
    lengths = np.array(lengths, np.uint32)
    n = len(lengths)
    ques = np.zeros((n, MAXLEN), np.uint32)
    for i, k in enumerate(lengths):
        ques[i, :k] = rng.randint(1, VOCAB + 1, size=k)
    answers = (ques[:, 0] % NANS + 1).astype(np.uint32)
    img_pos = (np.arange(n) % NIMG + 1).astype(np.uint32)
    mc = np.zeros((n, 18), np.uint32)
    mc[:, 1] = answers                       # 0 (an answer not in the top ones) before the right one
    mc[:, 2] = answers % NANS + 1
    with h5py.File(str(tmp_path / 'data_prepro.h5'), 'w') as f:
        for split in ('train', 'test'):
            f.create_dataset('ques_' + split, dtype='uint32', data=ques)
            f.create_dataset('ques_length_' + split, dtype='uint32', data=lengths)
            f.create_dataset('question_id_' + split, dtype='uint32', data=np.arange(n) + 500)
            f.create_dataset('img_pos_' + split, dtype='uint32', data=img_pos)
        f.create_dataset('answers', dtype='uint32', data=answers)
        f.create_dataset('MC_ans_test', dtype='uint32', data=mc)
    feats = lg.from_numpy(rng.uniform(0, 1, (NIMG, NHIMAGE)).astype(np.float32))
    with hdf5.open(str(tmp_path / 'data_img.h5'), 'w') as f:
        for split in ('train', 'test'):
            f.write('/images_' + split, feats)
    with open(str(tmp_path / 'data_prepro.json'), 'w') as f:
        f.write(cjson.encode({'ix_to_word': {str(i): 'w%d' % i for i in range(1, VOCAB + 1)},
                              'ix_to_ans': {str(i): 'a%d' % i for i in range(1, NANS + 1)},
                              'unique_img_train': ['img%d.jpg' % i for i in range(NIMG)],
                              'unique_img_test': ['img%d.jpg' % i for i in range(NIMG)]}))
    return ques, lengths, answers, mc


def args(tmp_path, *more, gpuid=-1):
    """train.lua's / eval.lua's command line at the tiny sizes, on the CPU unless ``gpuid`` says otherwise."""
    return ['-input_img_h5', str(tmp_path / 'data_img.h5'), '-input_ques_h5', str(tmp_path / 'data_prepro.h5'),
            '-input_json', str(tmp_path / 'data_prepro.json'), '-input_encoding_size', '8', '-rnn_size', '6',
            '-rnn_layer', '2', '-common_embedding_size', '10', '-num_output', str(NANS), '-gpuid', str(gpuid),
            '-backend', 'nn', *more]


def test_sort_encoding_and_alignment():
    """right_align and sort_encoding_onehot_right_align: questions sorted by length, longest first, the words of
    step i for the questions long enough, one-hot; batch_sizes count them; sort_index_inverse undoes the sort;
    reverse and split_vector."""
    U = load_rnn_utils({'gpuid': -1})
    q = lg.LongTensor([[1, 2, 0, 0], [3, 4, 5, 0], [2, 0, 0, 0]])
    lens = lg.LongTensor([2, 3, 1])
    ra = U.right_align(q, lens)
    np.testing.assert_array_equal(ra.numpy(), [[0, 0, 1, 2], [0, 3, 4, 5], [0, 0, 0, 2]])
    onehot, sizes, sort_index, inverse = U.sort_encoding_onehot_right_align(ra, lens, 6)
    np.testing.assert_array_equal(sizes.numpy(), [1, 2, 3])
    np.testing.assert_array_equal(sort_index.numpy(), [1, 0, 2])
    np.testing.assert_array_equal(sort_index.index(0, inverse).numpy(), [0, 1, 2])
    np.testing.assert_array_equal(onehot.numpy().argmax(1), [3, 4, 1, 5, 2, 2])
    assert onehot.sum() == 6
    assert U.reverse(['a', 'b']) == {'a': 0, 'b': 1}   # positions 0-based, as ipairs' become
    parts = U.split_vector(lg.range(0, 5), [2, 4])
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3, 4, 5]] and parts[1].storageOffset() == 2   # views


def test_lstm_conventional_matches_numpy():
    """lstm_conventional: the state is the flat (c1, h1, c2, h2) vector; one step against the LSTM equations in
    NumPy (gates in, forget, out, then the tanh transform), evaluate mode."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    net = LSTM.lstm_conventional(3, 2, 1, 2, 0.5)
    net.evaluate()
    h_old, x = lg.Tensor(4, 8).normal(0, 1), lg.Tensor(4, 3).normal(0, 1)
    h_new, proj = net.forward([h_old, x])
    lin = net.findModules('nn.Linear')[0]
    sig = lambda z: 1 / (1 + np.exp(-z))
    state, inp, ref = h_old.numpy(), x.numpy(), []
    for L in range(2):
        i2h, h2h = lin[2 * L], lin[2 * L + 1]
        c, h = state[:, 4 * L:4 * L + 2], state[:, 4 * L + 2:4 * L + 4]
        z = inp @ i2h.weight.numpy().T + i2h.bias.numpy() + h @ h2h.weight.numpy().T + h2h.bias.numpy()
        c2 = sig(z[:, 2:4]) * c + sig(z[:, 0:2]) * np.tanh(z[:, 6:8])
        h2 = sig(z[:, 4:6]) * np.tanh(c2)
        ref += [c2, h2]
        inp = h2
    np.testing.assert_allclose(h_new.numpy(), np.concatenate(ref, 1), rtol=1e-10)
    np.testing.assert_allclose(proj.numpy(), inp @ lin[4].weight.numpy().T + lin[4].bias.numpy(), rtol=1e-10)
    assert nn.Jacobian.testJacobian(net, [h_old, x]) < 1e-6


def test_netdef_fusions():
    """netdef.AxB multiplies the tanh projections of both inputs, A_B joins them; Jacobians in float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    axb, a_b = netdef.AxB(3, 4, 2), netdef.A_B(3, 4, 2)
    q, i = lg.Tensor(5, 3).normal(0, 1), lg.Tensor(5, 4).normal(0, 1)
    lq, li = axb.findModules('nn.Linear')[0]
    qc = np.tanh(q.numpy() @ lq.weight.numpy().T + lq.bias.numpy())
    ic = np.tanh(i.numpy() @ li.weight.numpy().T + li.bias.numpy())
    np.testing.assert_allclose(axb.forward([q, i]).numpy(), qc * ic, rtol=1e-10)
    assert tuple(a_b.forward([q, i]).size()) == (5, 4)
    assert nn.Jacobian.testJacobian(axb, [q, i]) < 1e-6 and nn.Jacobian.testJacobian(a_b, [q, i]) < 1e-6


def _train_for_gradients(tmp_path, monkeypatch, lengths):
    """train.lua with ``-max_iters 0`` and its line 53 giving DoubleTensor (so that finite differences are exact
    enough), the nets in evaluate mode, and ``dataset:next_batch`` replaced by one fixed batch of every question
    in order (the one-hot words and image features made float64, the type the nets now have)."""
    make_data(tmp_path, lengths)
    setdefault = lg.setdefaulttensortype
    monkeypatch.setattr(lg, 'setdefaulttensortype', lambda name: setdefault('torch.DoubleTensor'))
    out = train.main(args(tmp_path, '-max_iters', '0', '-batch_size', str(len(lengths)),
                          '-checkpoint_path', str(tmp_path / 'model') + '/'))
    dataset, U = out['dataset'], load_rnn_utils(out['opt'])
    qinds = lg.range(0, len(lengths) - 1).long()
    fv = U.sort_encoding_onehot_right_align(dataset['question'].index(0, qinds), dataset['lengths_q'].index(0, qinds),
                                            VOCAB)
    fv[0] = fv[0].double()
    fv_im = dataset['fv_im'].index(0, dataset['img_list'].index(0, qinds)).double()
    labels = dataset['answers'].index(0, qinds)
    dataset['next_batch'] = lambda self: (fv, fv_im, labels, len(lengths))
    for net in [out['embedding_net_q'], out['multimodal_net']] + out['encoder_net_buffer_q'][0]:
        net.evaluate()
    return out, fv


def _jdj_directional(out):
    """JdJ's gradient along a random direction against central differences of its loss."""
    JdJ, w = out['JdJ'], out['optimize']['winit'].clone()
    f, g = JdJ(w)
    g = g.clone()
    d = lg.from_numpy(np.random.RandomState(1).normal(size=w.size(0)))
    eps = 1e-6
    numeric = (JdJ(lg.add(w, eps, d))[0] - JdJ(lg.add(w, -eps, d))[0]) / (2 * eps)
    return numeric, float(lg.dot(g, d))


def test_jdj_gradient_with_equal_lengths(tmp_path, monkeypatch):
    """JdJ (the clones' summed gradients, the embedding's, the multimodal net's, clamped to [-10, 10], which these
    sizes never reach) is the loss's gradient where every question has the same length."""
    out, fv = _train_for_gradients(tmp_path, monkeypatch, [3, 3, 3, 3])
    assert fv[1].tolist() == [4, 4, 4]
    numeric, analytic = _jdj_directional(out)
    assert abs(numeric - analytic) < 1e-6 * max(1, abs(analytic)), (numeric, analytic)


def test_jdj_gradient_with_growing_batches(tmp_path, monkeypatch):
    """With questions of three lengths, right-aligned, the batch grows twice along the sequence (rnn_forward's
    ``padding``, a view of ``init_state``, and rnn_backward's matching narrow): the gradient is still the loss's, as
    in Torch7 (Narrow.lua copies what it selects at forward, so the states the growth overwrites were read before)."""
    out, fv = _train_for_gradients(tmp_path, monkeypatch, [4, 2, 3, 4])
    assert fv[1].tolist() == [2, 3, 4, 4]
    numeric, analytic = _jdj_directional(out)
    assert abs(numeric - analytic) < 1e-6 * max(1, abs(analytic)), (numeric, analytic)


def test_data_files_read_from_one(tmp_path):
    """prepro.py's uint32 datasets come back as LongTensors (docs/porting.md's hdf5 row) and the port's ``add(-1)``
    makes them 0-based: right_align puts each question's words at the end of its row; answers and image positions
    index from 0."""
    ques, lengths, answers, mc = make_data(tmp_path)
    out = train.main(args(tmp_path, '-max_iters', '0', '-checkpoint_path', str(tmp_path / 'model') + '/'))
    dataset = out['dataset']
    assert dataset['question'].type() == 'torch.LongTensor'
    for i, k in enumerate(lengths):
        np.testing.assert_array_equal(dataset['question'][i].numpy()[MAXLEN - k:], ques[i, :k].astype(np.int64) - 1)
    np.testing.assert_array_equal(dataset['answers'].numpy(), answers.astype(np.int64) - 1)
    np.testing.assert_array_equal(dataset['img_list'].numpy(), np.arange(len(lengths)) % NIMG)
    np.testing.assert_allclose(dataset['fv_im'].norm(2, 1).numpy(), 1, rtol=1e-5)   # -img_norm 1


def test_train_eval_and_checkpoints(tmp_path, capsys):
    """train.lua's loop (rmsprop on the joined parameters, the decaying rate, a checkpoint every
    ``-save_checkpoint_every`` iterations, the running loss printed every 100, the final lstm.t7): the running
    loss falls well below the chance level log(5); eval.lua loads lstm.t7 into fresh nets and answers the
    questions, twice as many right as the best constant answer would; both json files name the answers through ix_to_ans (keys from "1"), the
    multiple-choice one the best scored among the listed answers, the 0 entries skipped."""
    ques, lengths, answers, mc = make_data(tmp_path)
    model = str(tmp_path / 'model') + '/'
    out = train.main(args(tmp_path, '-max_iters', '200', '-batch_size', '8', '-learning_rate', '3e-3',
                          '-save_checkpoint_every', '150', '-checkpoint_path', model))
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith('training loss: ')]
    assert len(printed) == 2 and printed[1].endswith('on iter: 200/200')
    assert out['running_avg'] < 0.6 * np.log(NANS), out['running_avg']
    assert sorted(paths.dir(model + 'save')) == ['.', '..', 'lstm_save_iter150.t7']
    assert out['optimize']['learningRate'] == pytest.approx(3e-3 * 0.99997592083 ** 200)
    ck = lg.load(model + 'lstm.t7')
    np.testing.assert_array_equal(ck['encoder_w_q'].numpy(), out['encoder_net_q'].getParameters()[0].numpy())

    res = vqa_eval.main(args(tmp_path, '-batch_size', '3', '-model_path', model + 'lstm.t7',
                             '-out_path', str(tmp_path / 'result') + '/'))
    s = res['scores'].numpy()
    assert res['scores'].type() == 'torch.FloatTensor' and s.shape == (len(lengths), NANS)
    assert (s.argmax(1) + 1 == answers).mean() >= 2 * np.bincount(answers).max() / len(answers)   # twice a constant's
    oe = cjson.decode(open(str(tmp_path / 'result' / 'OpenEnded_mscoco_lstm_results.json')).read())
    mcr = cjson.decode(open(str(tmp_path / 'result' / 'MultipleChoice_mscoco_lstm_results.json')).read())
    assert [r['question_id'] for r in oe] == list(range(500, 500 + len(lengths)))
    assert [r['answer'] for r in oe] == ['a%d' % (k + 1) for k in s.argmax(1)]
    expected = [max((c for c in row if c != 0), key=lambda c: s[i, c - 1]) for i, row in enumerate(mc)]
    assert [r['answer'] for r in mcr] == ['a%d' % c for c in expected]


def _caffe_vgg_standin(tmp_path):
    """A Caffe net of VGG's shape where prepro_img.lua reads it: conv (3 -> 2, 4x4 stride 4), max pool 4, fc6 to
    4096, then ReLUs, so that loadcaffe's 43rd module (after its View) is a ReLU of 4096 outputs."""
    from tests.test_loadcaffe import conv_param, msg, pool_param, rng_weights, v, v2_layer, write
    w1, b1, w2, b2 = rng_weights(2, (2, 3, 4, 4), 2, (4096, 392), 4096)
    w2 *= 0.01
    layers = [v2_layer('data', 'Data'),
              v2_layer('conv1', 'Convolution', conv_param(106, 2, 4, stride=4), blobs=(w1, b1)),
              v2_layer('pool1', 'Pooling', pool_param(121, 0, 4, 4)),
              v2_layer('fc6', 'InnerProduct', msg(117, v(1, 4096)), blobs=(w2, b2))]
    layers += [v2_layer('relu%d' % k, 'ReLU') for k in range(42)]
    return write(tmp_path, b''.join(layers))


def test_prepro_img_features(tmp_path):
    """prepro_img.lua on three images (RGB, grey, RGBA) through a Caffe stand-in, two per batch: the h5 holds module
    43's output for each, computed from the image scaled to 224, x255, its planes reversed (BGR) minus VGG's
    means, the grey one's plane replicated and the alpha plane dropped."""
    proto, model = _caffe_vgg_standin(tmp_path)
    rng = np.random.RandomState(5)
    planes = {'rgb.png': 3, 'grey.png': 1, 'rgba.png': 4}
    for name, c in planes.items():
        image.save(str(tmp_path / name), lg.from_numpy(rng.uniform(0, 1, (c, 30, 40)).astype(np.float32)))
    json_path = str(tmp_path / 'data_prepro.json')
    with open(json_path, 'w') as f:
        f.write(cjson.encode({'unique_img_train': ['rgb.png', 'grey.png', 'rgba.png'], 'unique_img_test': ['grey.png']}))
    out_name = str(tmp_path / 'data_img.h5')
    net = prepro_img.main(['-input_json', json_path, '-image_root', str(tmp_path) + '/', '-cnn_proto', proto,
                           '-cnn_model', model, '-batch_size', '2', '-out_name', out_name, '-gpuid', '-1',
                           '-backend', 'nn'])
    assert len(net.modules) == 46 and lg.typename(net.modules[42]) == 'nn.ReLU'
    with hdf5.open(out_name, 'r') as f:
        feats_train, feats_test = f.read('/images_train').all(), f.read('/images_test').all()
    assert tuple(feats_train.size()) == (3, 4096) and tuple(feats_test.size()) == (1, 4096)
    for name, row in (('rgb.png', feats_train[0]), ('grey.png', feats_train[1]), ('rgba.png', feats_train[2]),
                      ('grey.png', feats_test[0])):
        im = image.scale(image.load(str(tmp_path / name)), 224, 224).numpy()
        im = np.repeat(im, 3, 0) if im.shape[0] == 1 else im[:3]
        bgr = im[::-1] * 255 - np.array([103.939, 116.779, 123.68], np.float32)[:, None, None]
        net.forward(lg.from_numpy(np.ascontiguousarray(bgr[None], dtype=np.float32)))
        np.testing.assert_allclose(row.numpy(), net.modules[42].output[0].numpy(), rtol=1e-5, atol=1e-5)
        assert float(row.abs().sum()) > 0


@pytest.mark.gpu
def test_train_and_eval_gpu(tmp_path):
    """train.lua and eval.lua as the Lua runs them, ``-gpuid 0``: the nets, the one-hot words (onehot_cuda), the sort
    indices and the labels on the GPU; a few rmsprop steps, then the evaluation."""
    make_data(tmp_path)
    model = str(tmp_path / 'model') + '/'
    out = train.main(args(tmp_path, '-max_iters', '3', '-batch_size', '8', '-checkpoint_path', model, gpuid=0))
    assert out['optimize']['winit'].type() == 'torch.CudaTensor' and np.isfinite(out['running_avg'])
    res = vqa_eval.main(args(tmp_path, '-batch_size', '4', '-model_path', model + 'lstm.t7',
                             '-out_path', str(tmp_path / 'result') + '/', gpuid=0))
    assert paths.filep(str(tmp_path / 'result' / 'OpenEnded_mscoco_lstm_results.json'))
    assert res['scores'].type() == 'torch.FloatTensor' and tuple(res['scores'].size()) == (8, NANS)


@pytest.mark.gpu
def test_prepro_img_gpu(tmp_path):
    """prepro_img.lua as the Lua runs it, ``-gpuid 1`` (device 0) with the cudnn backend: the net and its image
    batches on the GPU, the features written to the h5 file as FloatTensors."""
    proto, model = _caffe_vgg_standin(tmp_path)
    image.save(str(tmp_path / 'a.png'), lg.Tensor(3, 20, 20).uniform(0, 1))
    json_path = str(tmp_path / 'data_prepro.json')
    with open(json_path, 'w') as f:
        f.write(cjson.encode({'unique_img_train': ['a.png'], 'unique_img_test': ['a.png']}))
    out_name = str(tmp_path / 'data_img.h5')
    net = prepro_img.main(['-input_json', json_path, '-image_root', str(tmp_path) + '/', '-cnn_proto', proto,
                           '-cnn_model', model, '-out_name', out_name])
    assert net.modules[42].output.type() == 'torch.CudaTensor'
    with hdf5.open(out_name, 'r') as f:
        feats_train, feats_test = f.read('/images_train').all(), f.read('/images_test').all()
    assert feats_train.type() == 'torch.FloatTensor' and tuple(feats_train.size()) == (1, 4096)
    np.testing.assert_array_equal(feats_train.numpy(), feats_test.numpy())
