"""abhshkdz/neural-vqa run through its port, tests/porting/neural_vqa/ (train.lua, evaluate.lua, predict.lua,
extract_fc7.lua, lstm.lua, utils/DataLoader.lua, utils/misc.lua; the package's docstring lists every edit beyond
syntax and indices).

Stand-ins: the VQA json files are a few questions of two kinds ("what color is it", "how many are there") about
images of three kinds, whose answer needs both the question and the image; the fc7 features train.lua reads are
4096-wide random vectors around one direction per kind of image (DoubleTensor, as extract_fc7 saves them).
VGG-19's caffemodel is a tiny V1 Caffe net written with tests/test_loadcaffe.py's protobuf writer, laid out as
VGG's deploy file is at its end (conv, ReLU, pool, a 4096-wide fc7, relu7, drop7, fc8, prob) for the 224 x 224
input the scripts hard-code; the COCO images are random JPEGs. The model is small (embedding and LSTM 8 wide).
"""
import json
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.test_loadcaffe import conv_param, msg, pool_param, rng_weights, v, v1_layer, write

from .neural_vqa import evaluate, extract_fc7, lstm, predict, train
from .neural_vqa.utils import misc
from .neural_vqa.utils.DataLoader import DataLoader

pytestmark = pytest.mark.usefixtures('double_default')

COLORS = ['red', 'blue', 'green']
COUNTS = ['two', 'three', 'four']
QUESTIONS = ['What color is it?', 'How many are there?']


def vgg_standin(tmp_path, size, pool1, planes, pool5, fcs, seed=5):
    """A V1 Caffe net laid out as VGG's deploy file at its end, for a ``size`` x ``size`` input: conv1_1 (3 -> 4),
    relu1_1, pool1 (``pool1`` x ``pool1``), conv5_4 (4 -> ``planes``), relu5_4, pool5 (``pool5`` x ``pool5``), then
    for each ``(name, width)`` of ``fcs`` an fc, its ReLU and Dropout (fc6, relu6, drop6, ...), fc8 (3 wide) and
    prob. Also imported by tests/porting/test_neural_vqa_attention.py."""
    side = size // pool1 // pool5
    widths = [planes * side * side] + [w for _, w in fcs] + [3]
    shapes = [(4, 3, 3, 3), 4, (planes, 4, 3, 3), planes]
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        shapes += [(n_out, n_in), n_out]
    w = rng_weights(seed, *shapes)
    layers = [v1_layer('data', 'DATA'),
              v1_layer('conv1_1', 'CONVOLUTION', conv_param(10, 4, 3, pad=1), blobs=(w[0] * 0.01, w[1])),
              v1_layer('relu1_1', 'RELU'),
              v1_layer('pool1', 'POOLING', pool_param(19, 0, pool1, pool1)),
              v1_layer('conv5_4', 'CONVOLUTION', conv_param(10, planes, 3, pad=1), blobs=(w[2], w[3])),
              v1_layer('relu5_4', 'RELU'),
              v1_layer('pool5', 'POOLING', pool_param(19, 0, pool5, pool5))]
    for k, (name, width) in enumerate(fcs):
        n = name[2:]
        layers += [v1_layer(name, 'INNER_PRODUCT', msg(17, v(1, width)), blobs=(w[4 + 2 * k], w[5 + 2 * k])),
                   v1_layer('relu' + n, 'RELU'), v1_layer('drop' + n, 'DROPOUT')]
    layers += [v1_layer('fc8', 'INNER_PRODUCT', msg(17, v(1, 3)), blobs=(w[-2], w[-1])),
               v1_layer('prob', 'SOFTMAX')]
    models = tmp_path / 'models'
    models.mkdir(exist_ok=True)
    return write(models, b''.join(layers))


def vgg224(tmp_path):
    """224 -> pool1 112 -> pool5 4 x 4 of 4 planes -> fc7 4096 wide (the width neural-vqa hard-codes)"""
    return vgg_standin(tmp_path, 224, 2, 4, 28, [('fc7', 4096)])


def write_vqa_json(data_dir, split, examples):
    """examples: (image_id, question, answer)"""
    questions = {'questions': [{'image_id': i, 'question': q, 'question_id': k}
                               for k, (i, q, _) in enumerate(examples)]}
    annotations = {'annotations': [{'image_id': i, 'multiple_choice_answer': a, 'question_id': k}
                                   for k, (i, _, a) in enumerate(examples)]}
    with open(os.path.join(data_dir, 'MultipleChoice_mscoco_%s2014_questions.json' % split), 'w') as f:
        json.dump(questions, f)
    with open(os.path.join(data_dir, 'mscoco_%s2014_annotations.json' % split), 'w') as f:
        json.dump(annotations, f)


def examples_for(image_ids, kinds, rs):
    out = []
    for i in image_ids:
        q = rs.randint(2)
        out.append((i, QUESTIONS[q], (COLORS, COUNTS)[q][kinds[i]]))
    return out


def make_data(tmp_path, n_train=48, n_val=24, seed=0):
    rs = np.random.RandomState(seed)
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    train_ids = list(range(100, 100 + n_train // 2))
    val_ids = list(range(500, 500 + n_val // 2))
    kinds = {i: rs.randint(3) for i in train_ids + val_ids}
    directions = rs.randn(3, 4096)
    for split, ids in (('train', train_ids), ('val', val_ids)):
        write_vqa_json(str(data_dir), split, examples_for(ids + ids, kinds, rs))
        fc7 = np.stack([0.3 * rs.randn(4096) + directions[kinds[i]] for i in ids])
        lg.save(str(data_dir / ('%s_fc7.t7' % split)), lg.from_numpy(fc7))
        lg.save(str(data_dir / ('%s_fc7_image_id.t7' % split)), list(ids))
    return data_dir, kinds


def data_args(data_dir):
    return ['-data_dir', str(data_dir)] + sum([['-%s_fc7%s_file' % (s, k), str(data_dir / ('%s_fc7%s.t7' % (s, k)))]
                                                for s in ('train', 'val') for k in ('', '_image_id')], [])


def test_json_to_tensor_vocabularies_and_right_aligned_questions(tmp_path):
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    write_vqa_json(str(data_dir), 'train', [(1, 'What color is it?', 'red'), (2, 'Is it red, or not?', 'yes'),
                                            (1, 'How many?', 'red')])
    write_vqa_json(str(data_dir), 'val', [(3, 'What is it?', 'zebra')])
    d = str(data_dir)
    DataLoader.json_to_tensor(*(os.path.join(d, n) for n in (
        'MultipleChoice_mscoco_train2014_questions.json', 'mscoco_train2014_annotations.json',
        'MultipleChoice_mscoco_val2014_questions.json', 'mscoco_val2014_annotations.json',
        'q.t7', 'a.t7', 'data.t7')))
    a_vocab, q_vocab, data = (lg.load(os.path.join(d, n)) for n in ('a.t7', 'q.t7', 'data.t7'))
    # answers of train+val sorted (byte order, as table.sort), then numbered from 0; UNK among them
    assert a_vocab == {w: i for i, w in enumerate(sorted(['red', 'yes', 'zebra', 'UNK']))}
    words = sorted({'What', 'color', 'is', 'it', 'Is', 'red', 'or', 'not', 'How', 'many', 'UNK'})
    assert q_vocab == {w: i for i, w in enumerate(words)}
    assert data['q_max_length'] == 5 and len(data['train']) == 3 and len(data['val']) == 1
    q = data['train'][2]['question']
    assert lg.typename(q) == 'torch.ShortTensor'
    assert q.tolist() == [-1, -1, -1, q_vocab['How'], q_vocab['many']]     # right-aligned, padding -1
    assert data['train'][1]['answer'] == a_vocab['yes'] and data['val'][0]['image_id'] == 3


def test_lstm_cell_matches_numpy(tmp_path):
    lg.manualSeed(1)
    cell = lstm.create(3, 4, 2)
    inputs = [lg.randn(2, 3)] + [lg.randn(2, 4) for _ in range(4)]
    out = cell.forward(inputs)
    params = [p.numpy() for p in cell.parameters()[0]]
    sig = lambda z: 1 / (1 + np.exp(-z))
    x = inputs[0].numpy()
    expected = []
    for L in range(2):
        c, h = inputs[1 + 2 * L].numpy(), inputs[2 + 2 * L].numpy()
        wi, bi, wh, bh = params[4 * L: 4 * L + 4]
        pre = x @ wi.T + bi + h @ wh.T + bh
        i, f, o, g = sig(pre[:, :4]), sig(pre[:, 4:8]), sig(pre[:, 8:12]), np.tanh(pre[:, 12:])
        c = f * c + i * g
        h = o * np.tanh(c)
        expected += [c, h]
        x = h
    for got, want in zip(out, expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)


def test_preprocess_and_deprocess_round_trip():
    img = lg.rand(3, 5, 4)
    pre = misc.preprocess(img)
    mean = np.array([103.939, 116.779, 123.68]).reshape(3, 1, 1)
    np.testing.assert_allclose(pre.numpy(), img.numpy()[::-1] * 256 - mean)
    np.testing.assert_allclose(misc.deprocess(pre).numpy(), img.numpy(), atol=1e-12)


def test_train_then_evaluate_and_predict(tmp_path, monkeypatch):
    data_dir, kinds = make_data(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = data_args(data_dir) + ['-rnn_size', '8', '-embedding_size', '8', '-batch_size', '4', '-max_epochs', '30',
                                  '-learning_rate', '1e-2', '-dropout', '0.1', '-save_every', '150',
                                  '-checkpoint_dir', str(tmp_path / 'cp')]
    # train.lua hands adam ``alpha`` and ``beta``, keys optim's adam.lua never reads (it reads beta1, beta2): ignored
    # as in Torch7, ``beta`` with a warning (docs/porting.md's optim.adam config row)
    with pytest.warns(UserWarning, match="unknown config key 'beta' is ignored; did you mean 'beta2'"):
        r = train.main(args)
    losses = r['losses']
    assert len(losses) == 30 * 12
    assert np.mean(losses[-12:]) < 0.35 * np.mean(losses[:12])
    (first, acc1), (last, acc) = r['saved'][0], r['saved'][-1]
    assert len(r['saved']) == 3 and os.path.basename(last) == 'vqa_epoch30.00_%.4f.t7' % acc
    assert acc >= 0.75    # six answers: chance is 1/6
    # the LookupTable, updated by hand in feval, learnt too; its padding row is row 0
    assert r['protos']['ltw'].get(0).weight.size() == (r['loader'].q_vocab_size + 1, 8)

    e = evaluate.main(data_args(data_dir) + ['-rnn_size', '8', '-embedding_size', '8', '-batch_size', '4',
                                            '-checkpoint_file', last])
    assert e['accuracy'] == pytest.approx(acc)

    proto, model = vgg224(tmp_path)
    img = tmp_path / 'img.jpg'
    image.save(str(img), lg.rand(3, 30, 40))
    # predict's image feature goes through the checkpoint's lti: swap in one that maps every image to the
    # embedding of a training image of kind 0 (lti's own output for its fc7), then the answer is kind 0's
    checkpoint = lg.load(last)
    loader = r['loader']
    feats = loader.batch_data['train']['image_feat']
    row = [k for k, i in enumerate(loader.batch_data['train']['image_id']) if kinds[i] == 0][0]
    checkpoint['protos']['lti'].evaluate()
    target = checkpoint['protos']['lti'].forward(feats[row]).clone()
    fixed = nn.Sequential().add(nn.Linear(4096, 8))
    fixed.get(0).weight.zero()
    fixed.get(0).bias.copy(target)
    checkpoint['protos']['lti'] = fixed
    lg.save(str(tmp_path / 'fixed.t7'), checkpoint)
    for question, answer in (('What color is it', 'red'), ('How many are there', 'two')):
        p = predict.main(['-data_dir', str(data_dir), '-rnn_size', '8', '-embedding_size', '8',
                          '-proto_file', proto, '-model_file', model, '-checkpoint_file', str(tmp_path / 'fixed.t7'),
                          '-input_image_path', str(img), '-question', question])
        assert p['answer'] == answer


def test_extract_fc7_runs_loadcaffe_vgg_to_relu7(tmp_path):
    proto, model = vgg224(tmp_path)
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    ids = [7, 3, 11, 5]
    write_vqa_json(str(data_dir), 'train', [(i, 'What color is it?', 'red') for i in ids + [3]])
    write_vqa_json(str(data_dir), 'val', [(1, 'What is it?', 'red')])
    (data_dir / 'train2014').mkdir()
    for k, i in enumerate(ids):
        pixels = np.random.RandomState(k).uniform(0, 1, (3, 20 + k, 24)).astype(np.float32)
        image.save(str(data_dir / 'train2014' / ('COCO_train2014_%012d.jpg' % i)), lg.from_numpy(pixels))
    r = extract_fc7.main(['-data_dir', str(data_dir), '-input_image_dir', str(data_dir), '-batch_size', '2',
                          '-proto_file', proto, '-model_file', model])
    fc7 = lg.load(str(data_dir / 'train_fc7.t7'))
    saved_ids = lg.load(str(data_dir / 'train_fc7_image_id.t7'))
    assert saved_ids == ids and lg.typename(fc7) == 'torch.DoubleTensor' and fc7.size() == (4, 4096)
    # each row: the VGG up to relu7 on that image alone, preprocessed as misc.preprocess does
    cnn = r['cnn_fc7']
    for k, i in enumerate(ids):
        img = image.load(str(data_dir / 'train2014' / ('COCO_train2014_%012d.jpg' % i)), 3)
        pixels = image.scale(img, 224, 224).numpy().astype(np.float64)
        bgr = pixels[::-1] * 256 - np.array([103.939, 116.779, 123.68]).reshape(3, 1, 1)
        want = cnn.forward(lg.from_numpy(bgr)).numpy()
        np.testing.assert_allclose(fc7[k].numpy(), want, rtol=1e-5, atol=1e-6)
        assert (want >= 0).all() and (want > 0).any()    # relu7's output


@pytest.mark.gpu
def test_train_and_evaluate_on_the_gpu(tmp_path, monkeypatch):
    """-gpuid 0: the protos, the initial state and the batches (DataLoader's ``:cuda()`` of the ShortTensor
    questions and answers, CudaTensors of floats as in cutorch) on the GPU; LookupTable and ClassNLLCriterion
    read the float ids and labels. The loss falls; evaluate.lua on the GPU gives train's validation accuracy."""
    data_dir, _ = make_data(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = data_args(data_dir) + ['-rnn_size', '8', '-embedding_size', '8', '-batch_size', '4', '-max_epochs', '10',
                                  '-learning_rate', '1e-2', '-dropout', '0.1', '-gpuid', '0',
                                  '-checkpoint_dir', str(tmp_path / 'cp')]
    with pytest.warns(UserWarning, match="unknown config key 'beta'"):
        r = train.main(args)
    assert r['opt']['gpuid'] == 0 and r['params'].type() == 'torch.CudaTensor'
    assert r['loader'].batch_data['train']['question'].type() == 'torch.CudaTensor'
    losses = r['losses']
    assert np.mean(losses[-12:]) < 0.8 * np.mean(losses[:12])
    last, acc = r['saved'][-1]
    e = evaluate.main(data_args(data_dir) + ['-rnn_size', '8', '-embedding_size', '8', '-batch_size', '4',
                                            '-checkpoint_file', last, '-gpuid', '0'])
    assert e['accuracy'] == pytest.approx(acc)


def test_extract_fc7_stops_one_image_short_as_the_lua(tmp_path):
    """``repeat ... until idx >= #image_id``: with 3 images in batches of 2 the loop ends after the first batch
    (idx 3), so the third image is never run (its row is left as ``torch.DoubleTensor(n, 4096)`` made it)."""
    proto, model = vgg224(tmp_path)
    data_dir = tmp_path / 'data'
    data_dir.mkdir()
    ids = [4, 8, 6]
    write_vqa_json(str(data_dir), 'train', [(1, 'What is it?', 'red')])
    write_vqa_json(str(data_dir), 'val', [(i, 'What is it?', 'red') for i in ids])
    (data_dir / 'val2014').mkdir()
    for k, i in enumerate(ids[:2]):   # the third image is never opened
        pixels = np.random.RandomState(k).uniform(0, 1, (3, 16, 16)).astype(np.float32)
        image.save(str(data_dir / 'val2014' / ('COCO_val2014_%012d.jpg' % i)), lg.from_numpy(pixels))
    r = extract_fc7.main(['-data_dir', str(data_dir), '-input_image_dir', str(data_dir), '-batch_size', '2',
                          '-split', 'val', '-proto_file', proto, '-model_file', model])
    assert r['idx'] == 3 and lg.load(str(data_dir / 'val_fc7_image_id.t7')) == ids
    fc7 = lg.load(str(data_dir / 'val_fc7.t7'))
    assert fc7.size() == (3, 4096) and (fc7[0:2].numpy() > 0).any(axis=1).all()
