"""Tests of the harvardnlp/decomp-attn port (tests/porting/decomp_attn/): train.lua's main() on a synthetic
entailment set in preprocess.py's hdf5 form (sentences `<s> w..`, word ids and labels from 1), with unit-norm
random "GloVe" vectors in get_pretrain_vecs.py's file; the decomposable attention graph's gradients against
finite differences after set_size_encoder resizes its Views; predict.lua's main() on the checkpoint train.lua
saves. Stand-ins: the task is word overlap (the second sentence's words all taken from the first: label
"entailment"; none of them: "neutral"), since SNLI and GloVe are not shipped."""
import numpy as np
import pytest

import legonn as lg
from legonn import hdf5
from tests.porting.decomp_attn import models, predict, train
from tests.porting.decomp_attn.models import make_sent_encoder, set_size_encoder

WORDS = ['<blank>', '<unk>', '<s>', '</s>'] + ['w%d' % i for i in range(16)]
LABELS = ['entailment', 'neutral']


@pytest.fixture(autouse=True)
def double_default():
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


def pairs(rng, n):
    """n sentence pairs over WORDS[4:] (ids from 1 in the file: START 3, words 5..), labels from 1."""
    out = []
    for i in range(n):
        words = rng.choice(np.arange(5, len(WORDS) + 1), 7, replace=False)
        sent1 = list(words[:4])
        label = 1 + i % 2
        sent2 = list(rng.choice(sent1, 3, replace=False)) if label == 1 else list(words[4:])
        out.append(([3, *sent1], [3, *sent2], label))
    return out


def write_entail(path, rng, n_batches, batch_l):
    """preprocess.py's file: batches of batch_l pairs with their lengths (here all 5 and 4), batch_idx from 1."""
    data = pairs(rng, n_batches * batch_l)
    f = hdf5.open(str(path), 'w')
    for name, value in [('source', [p[0] for p in data]), ('target', [p[1] for p in data]),
                        ('source_l', [5] * n_batches), ('target_l', [4] * n_batches),
                        ('label', [p[2] for p in data]), ('label_size', [2]),
                        ('batch_l', [batch_l] * n_batches), ('batch_idx', np.arange(n_batches) * batch_l + 1),
                        ('source_size', [len(WORDS)]), ('target_size', [len(WORDS)])]:
        f.write(name, lg.from_numpy(np.asarray(value, dtype=np.int64)))
    f.close()
    return data


def write_inputs(tmp_path, word_vec_size=8):
    rng = np.random.RandomState(0)
    for split, n in [('train', 12), ('val', 4), ('test', 4)]:
        write_entail(tmp_path / ('entail-%s.hdf5' % split), rng, n, 4)
    vecs = rng.normal(size=(len(WORDS), word_vec_size))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    f = hdf5.open(str(tmp_path / 'glove.hdf5'), 'w')
    f.write('word_vecs', lg.from_numpy(vecs))
    f.close()
    (tmp_path / 'entail.word.dict').write_text(''.join('%s %d\n' % (w, i + 1) for i, w in enumerate(WORDS)))
    (tmp_path / 'entail.label.dict').write_text(''.join('%s %d\n' % (w, i + 1) for i, w in enumerate(LABELS)))
    return rng


def train_args(tmp_path, **kw):
    opts = dict(data_file='entail-train.hdf5', val_data_file='entail-val.hdf5', test_data_file='entail-test.hdf5',
                savefile='model', pre_word_vecs='glove.hdf5')
    opts = {k: str(tmp_path / v) for k, v in opts.items()}
    opts.update(hidden_size=16, word_vec_size=8, dropout=0, epochs=12, learning_rate=0.1, param_init=0.3)
    opts.update(kw)
    return [a for k, v in opts.items() for a in ('-' + k, str(v))]


def test_training_learns_word_overlap_and_predict_reads_the_checkpoint(tmp_path, capsys):
    write_inputs(tmp_path)
    train.main(train_args(tmp_path, print_every=12))
    # train_batch's stats line at the epoch's 12th and last batch: the epoch's training NLL per sentence
    nll = [float(line.split('NLL: ')[1].split(',')[0]) for line in capsys.readouterr().out.splitlines()
           if line.startswith('Epoch:')]
    assert len(nll) == 12 and nll[-1] < 0.5 * nll[0]
    perf = train.opt['train_perf']
    assert perf[-1] > perf[0] and perf[-1] >= 0.9 and max(train.opt['val_perf']) >= 0.75
    # the ties of share_params hold after training: proj2, F2 and G2 are copies of proj1, F1, G1
    layers = train.all_layers
    assert lg.equal(layers['proj1'].weight, layers['proj2'].weight)
    assert lg.equal(layers['f1'].modules[4].weight, layers['f2'].modules[4].weight)

    rng = np.random.RandomState(7)
    test = pairs(rng, 8)
    (tmp_path / 's1.txt').write_text(''.join(' '.join(WORDS[w - 1] for w in p[0][1:]) + '\n' for p in test))
    (tmp_path / 's2.txt').write_text(''.join(' '.join(WORDS[w - 1] for w in p[1][1:]) + '\n' for p in test))
    predict.main(['-model', str(tmp_path / 'model_final.t7'), '-sent1_file', str(tmp_path / 's1.txt'),
                  '-sent2_file', str(tmp_path / 's2.txt'), '-word_dict', str(tmp_path / 'entail.word.dict'),
                  '-label_dict', str(tmp_path / 'entail.label.dict'), '-output_file', str(tmp_path / 'pred.txt')])
    predicted = (tmp_path / 'pred.txt').read_text().split()
    assert len(predicted) == 8
    assert sum(p == LABELS[t[2] - 1] for p, t in zip(predicted, test)) >= 6


def test_sent_encoder_gradients_match_finite_differences_after_its_views_are_resized():
    lg.manualSeed(1)
    enc = make_sent_encoder(5, 6, 3, 0)
    models.all_layers = {}
    enc.apply(models.get_layer)
    set_size_encoder(2, 3, 4, 5, 6, models.all_layers)
    x1, x2 = lg.randn(2, 3, 5), lg.randn(2, 4, 5)
    out = enc.forward([x1, x2])
    assert out.size() == (2, 3)
    g = lg.randn(2, 3)
    gx1, gx2 = [t.clone() for t in enc.backward([x1, x2], g)]
    for x, gx in ((x1, gx1), (x2, gx2)):
        numeric = np.zeros(x.nElement())
        flat = x.view(-1)
        for i in range(flat.nElement()):
            old = flat[i]
            flat[i] = old + 1e-6
            up = lg.dot(enc.forward([x1, x2]), g)
            flat[i] = old - 1e-6
            down = lg.dot(enc.forward([x1, x2]), g)
            flat[i] = old
            numeric[i] = (up - down) / 2e-6
        np.testing.assert_allclose(gx.view(-1).numpy(), numeric, rtol=1e-5, atol=1e-7)
    params, grads = enc.getParameters()
    grads.zero()
    enc.forward([x1, x2])
    enc.backward([x1, x2], g)
    analytic = grads.clone()
    for i in range(0, params.nElement(), 37):
        old = params[i]
        params[i] = old + 1e-6
        up = lg.dot(enc.forward([x1, x2]), g)
        params[i] = old - 1e-6
        down = lg.dot(enc.forward([x1, x2]), g)
        params[i] = old
        assert analytic[i] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-7)


@pytest.mark.gpu
def test_training_runs_on_cuda_with_gpuid(tmp_path):
    write_inputs(tmp_path)
    train.main(train_args(tmp_path, gpuid=1, epochs=3))
    assert train.params[2].type() == 'torch.CudaTensor'
    assert len(train.opt['val_perf']) == 3 and train.opt['train_perf'][-1] > 0.5
