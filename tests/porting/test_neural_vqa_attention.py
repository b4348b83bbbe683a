"""abhshkdz/neural-vqa-attention run through its port, tests/porting/neural_vqa_attention/ (train.lua, eval.lua,
prepro_img.lua, dataloader.lua, misc/san.lua, misc/utils.lua; the package's docstring lists every edit beyond
syntax and indices).

Stand-ins: prepro.py's qa.h5 and params.json are written small in their layout, with 0-based word ids (padding
-1), answers and image positions in int64 (docs/porting.md's rows on data files written for a port); the
questions are of two kinds ("what color is it", "how many are there") about images of three kinds, so the answer
needs both. The 14 x 14 x 512 image features are noise with one direction per kind of image added, more strongly in a
few regions. VGG-19's caffemodel for prepro_img is a tiny V1 Caffe net written with tests/test_loadcaffe.py's
protobuf writer whose pool5 is 512 x 14 x 14 for a 448 x 448 input, followed by VGG's last nine modules. The
model is small (8 wide); the rest of the options are the Lua's, set through the environment as the Lua reads
them.
"""
import json

import numpy as np
import pytest

import legonn as lg
from legonn import hdf5, image, loadcaffe

from .neural_vqa_attention import eval as eval_lua, prepro_img, train
from .neural_vqa_attention.misc import san, utils
from .test_neural_vqa import vgg_standin

WORDS = ['what', 'color', 'is', 'it', 'how', 'many', 'are', 'there']
QUESTIONS = [[0, 1, 2, 3], [4, 5, 6, 7]]
ANSWERS = ['red', 'blue', 'green', 'two', 'three', 'four']


def write_files(tmp_path, n_img=(12, 6), n_q=(96, 20), seed=0):
    rs = np.random.RandomState(seed)
    directions = rs.randn(3, 512).astype(np.float32)
    kinds = {s: rs.randint(3, size=n) for s, n in zip(('train', 'test'), n_img)}
    files = {}
    for split, n in zip(('train', 'test'), n_img):
        feats = 0.5 * rs.randn(n, 14, 14, 512).astype(np.float32)
        for k in range(n):
            feats[k] += 0.5 * directions[kinds[split][k]]
            for _ in range(6):
                feats[k, rs.randint(14), rs.randint(14)] += 2 * directions[kinds[split][k]]
        files['img_%s_h5' % split] = str(tmp_path / ('img_%s.h5' % split))
        with hdf5.open(files['img_%s_h5' % split], 'w') as f:
            f.write('/images_' + split, lg.from_numpy(feats))
    files['qa_h5'] = str(tmp_path / 'qa.h5')
    truth = {}
    with hdf5.open(files['qa_h5'], 'w') as f:
        for split, nq in zip(('train', 'test'), n_q):
            img_pos = rs.randint(len(kinds[split]), size=nq)
            qtype = rs.randint(2, size=nq)
            ques = np.full((nq, 5), -1, np.int64)         # left-aligned as prepro.py writes them
            lengths = np.zeros(nq, np.int64)
            for k in range(nq):
                words = QUESTIONS[qtype[k]][:4 - rs.randint(2)]   # some questions a word shorter
                ques[k, :len(words)] = words
                lengths[k] = len(words)
            answers = 3 * qtype + kinds[split][img_pos]
            truth[split] = answers
            f.write('/img_pos_' + split, lg.from_numpy(img_pos.astype(np.int64)))
            f.write('/ques_' + split, lg.from_numpy(ques))
            f.write('/ques_length_' + split, lg.from_numpy(lengths))
            if split == 'train':
                f.write('/answers', lg.from_numpy(answers.astype(np.int64)))
            else:
                f.write('/question_id_test', lg.from_numpy(np.arange(nq, dtype=np.int64) + 9000))
    files['params_json'] = str(tmp_path / 'params.json')
    with open(files['params_json'], 'w') as f:
        json.dump({'ix_to_word': {str(i): w for i, w in enumerate(WORDS)},
                   'ix_to_ans': {str(i): a for i, a in enumerate(ANSWERS)},
                   'unique_img_train': ['a.png', 'b.png'], 'unique_img_test': ['c.png']}, f)
    return files, truth


MODEL = {'embedding_size': 8, 'rnn_size': 8, 'im_tr_size': 8, 'num_attention_layers': 2,
         'common_embedding_size': 8, 'num_output': 6}


def setenv(monkeypatch, values):
    for k, v in values.items():
        monkeypatch.setenv(k, str(v))


def test_right_align_moves_words_to_the_end():
    seq = lg.LongTensor([[3, 1, -1, -1], [2, 2, 2, 2], [-1, -1, -1, -1]])
    out = utils.right_align(seq, lg.LongTensor([2, 4, 0]))
    assert out.tolist() == [[-1, -1, 3, 1], [2, 2, 2, 2], [-1, -1, -1, -1]]


def test_san_attention_against_numpy(double_default):
    """one attention layer, dropout off: the SoftMax over the 196 regions and the attended sum, by hand"""
    opt = dict(MODEL, num_attention_layers=1, im_tr_size=4, rnn_size=4, common_embedding_size=3, num_output=5)
    lg.manualSeed(3)
    g = san.n_attention_layer(opt)
    g.evaluate()
    img, q = lg.randn(2, 14, 14, 512), lg.randn(2, 4)
    out = g.forward([img, q]).numpy()
    lin = [m for m in g.modules if lg.typename(m) == 'nn.Linear']
    W = [(m.weight.numpy(), m.bias.numpy()) for m in lin]
    tr = np.tanh(img.numpy().reshape(2, 196, 512) @ W[0][0].T + W[0][1])
    common = tr @ W[1][0].T + W[1][1]
    qc = q.numpy() @ W[2][0].T + W[2][1]
    h = (np.tanh(common + qc[:, None]) @ W[3][0].T + W[3][1])[..., 0]
    p = np.exp(h - h.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    u = (p[:, :, None] * tr).sum(1) + q.numpy()
    z = u @ W[4][0].T + W[4][1]
    want = z - np.log(np.exp(z).sum(1, keepdims=True))
    np.testing.assert_allclose(out, want, rtol=1e-9, atol=1e-12)
    # eval.lua reads the maps at the SoftMax's place among the modules: 19 in the Lua, 18 here
    assert lg.typename(g.modules[18]) == 'nn.SoftMax'
    np.testing.assert_allclose(g.modules[18].output.numpy(), p, rtol=1e-9)


def test_train_then_eval(tmp_path, monkeypatch):
    files, truth = write_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    setenv(monkeypatch, dict(files, **MODEL, batch_size=8, lr=0.01, max_iters=150, gpu=-1, seed=123,
                             checkpoint_every=150, log_path=str(tmp_path / 'logs') + '/',
                             checkpoint_path=str(tmp_path / 'cp') + '/'))
    r = train.main()
    losses = r['losses']
    assert len(losses) == 150 and r['opt']['batch_size'] == 8
    assert np.mean(losses[-15:]) < 0.5 * np.mean(losses[:15])
    log = (tmp_path / 'logs' / 'train.log').read_text().split('\n')
    assert log[0] == '0\t1\t2\t'     # Logger.lua's keys 1 2 3, 0-based (docs/porting.md's optim.Logger row)
    assert len([line for line in log[1:] if line.strip()]) == 15     # a line each 10 iterations
    checkpoint = tmp_path / 'cp' / 'iter_150.t7'
    assert checkpoint.exists()

    setenv(monkeypatch, dict(files, model_path=str(checkpoint), batch_size=6, gpu=-1,
                             result_path=str(tmp_path / 'results') + '/'))
    e = eval_lua.main()
    n = len(truth['test'])
    assert e['num_batches'] == 4 and e['ques_id'].tolist() == list(range(9000, 9000 + n))
    with open(tmp_path / 'results' / 'OpenEnded_mscoco_lstm_results.json') as f:
        results = json.load(f)
    assert [r_['question_id'] for r_ in results] == list(range(9000, 9000 + n))
    got = np.array([ANSWERS.index(r_['answer']) for r_ in results])
    assert (got == truth['test']).mean() >= 0.6      # six answers: chance is 1/6
    np.testing.assert_array_equal(got, e['preds'].numpy()[:, 0])
    with hdf5.open(str(tmp_path / 'results' / 'attention_maps.h5'), 'r') as f:
        maps = f.read('/maps').all().numpy()
    # the maps are the two attention layers' SoftMax outputs: each sums to 1 over the 14 x 14 regions
    assert maps.shape == (2, n, 14, 14)
    np.testing.assert_allclose(maps.sum((2, 3)), 1, rtol=1e-5)
    last = e['model'].modules[1].modules[34].output.numpy()
    np.testing.assert_allclose(maps[1, -last.shape[0]:].reshape(-1, 196), last, rtol=1e-6)


def vgg448(tmp_path):
    """448 -> pool1 (32 x 32) 14 -> conv5_4 512 planes -> pool5 (1 x 1) 14 x 14, then VGG's last nine modules:
    the view loadcaffe inserts, fc6, relu6, drop6, fc7, relu7, drop7, fc8, prob"""
    return vgg_standin(tmp_path, 448, 32, 512, 1, [('fc6', 4), ('fc7', 4)], seed=4)


def test_prepro_img_saves_pool5_features(tmp_path, double_default):
    files, _ = write_files(tmp_path, n_img=(2, 1), n_q=(4, 2))
    proto, model = vgg448(tmp_path)
    root = tmp_path / 'images'
    root.mkdir()
    rs = np.random.RandomState(0)
    image.save(str(root / 'a.png'), lg.from_numpy(rs.uniform(0, 1, (3, 30, 40)).astype(np.float32)))
    image.save(str(root / 'b.png'), lg.from_numpy(rs.uniform(0, 1, (1, 20, 20)).astype(np.float32)))  # grey
    image.save(str(root / 'c.png'), lg.from_numpy(rs.uniform(0, 1, (3, 24, 24)).astype(np.float32)))
    out_train, out_test = str(tmp_path / 'f_train.h5'), str(tmp_path / 'f_test.h5')
    r = prepro_img.main(['-input_json', files['params_json'], '-image_root', str(root) + '/', '-cnn_proto', proto,
                         '-cnn_model', model, '-batch_size', '1', '-gpuid', '-1', '-out_name_train', out_train,
                         '-out_name_test', out_test])
    assert len(r['net'].modules) == len(loadcaffe.load(proto, model).modules) - 9
    assert r['net'].modules[-1].name == 'pool5'
    with hdf5.open(out_train, 'r') as f:
        feats = f.read('/images_train').all()
    assert lg.typename(feats) == 'torch.FloatTensor' and feats.size() == (2, 14, 14, 512)
    # each image: loaded, scaled to 448, times 255, BGR minus VGG's means, then pool5 (C x 14 x 14) as 14 x 14 x C
    for k, name in enumerate(['a.png', 'b.png']):
        im = image.scale(image.load(str(root / name)), 448, 448).numpy().astype(np.float64)
        im = np.repeat(im, 3, 0) if im.shape[0] == 1 else im
        bgr = im[::-1] * 255 - np.array([103.939, 116.779, 123.68]).reshape(3, 1, 1)
        want = r['net'].forward(lg.from_numpy(bgr[None])).numpy()[0].transpose(1, 2, 0)
        np.testing.assert_allclose(feats[k].numpy(), want, rtol=1e-5, atol=1e-5)
    with hdf5.open(out_test, 'r') as f:
        assert f.read('/images_test').all().size() == (1, 14, 14, 512)


@pytest.mark.gpu
def test_train_and_eval_on_the_gpu(tmp_path, monkeypatch):
    """gpu=0, the Lua's default: the model, the criterion and each batch (``im:cuda()``, ``ques:cuda()``,
    ``labels:cuda()``) on the GPU; the loss falls and eval.lua answers on the GPU."""
    files, truth = write_files(tmp_path, n_q=(96, 8))
    monkeypatch.chdir(tmp_path)
    setenv(monkeypatch, dict(files, **MODEL, batch_size=8, lr=0.01, max_iters=60, gpu=0, seed=123,
                             checkpoint_every=60, log_path=str(tmp_path / 'logs') + '/',
                             checkpoint_path=str(tmp_path / 'cp') + '/'))
    r = train.main()
    assert r['model_params'].type() == 'torch.CudaTensor'
    assert np.mean(r['losses'][-10:]) < 0.8 * np.mean(r['losses'][:10])
    setenv(monkeypatch, dict(files, model_path=str(tmp_path / 'cp' / 'iter_60.t7'), batch_size=5, gpu=0,
                             result_path=str(tmp_path / 'results') + '/'))
    e = eval_lua.main()
    assert e['model_params'].type() == 'torch.CudaTensor' and e['num_batches'] == 2
    with hdf5.open(str(tmp_path / 'results' / 'attention_maps.h5'), 'r') as f:
        np.testing.assert_allclose(f.read('/maps').all().numpy().sum((2, 3)), 1, rtol=1e-5)
