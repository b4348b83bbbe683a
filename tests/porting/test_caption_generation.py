"""eladhoffer/captionGeneration.torch run through its port, tests/porting/captiongen/ (Config.lua, Data.lua,
Main.lua, Sample.lua, SpatialAttentivePooling.lua; the package docstring says what is not ported and why).

Stand-ins: COCO's LMDBs are the in-memory LMDB stand-in of tests/porting/dataprovider/LMDBProvider.py holding
records of CreateLMDBs.lua's form, ``{Data = image, Caption = {5 captions}}``, uncompressed (``Compressed`` false)
6 x 6 colour images whose colour the captions name ("a red box ." ...); the pretrained CNN file is a small saved
nn.Sequential (a 1x1 convolution to 8 feature maps, a ReLU, then layers that ``FeatLayerCNN`` cuts off); the
vocabulary file is a table of ``Vocab`` and ``WordsCount`` with a few rare words that Data.lua drops. Main.lua
trains a 32-wide GRU on 4 x 4 crops with 6-word sentences."""
import builtins
import math
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn import sys as tsys

from . import recurrent_torch as recurrent
from .captiongen import Config, Data, Main, Sample
from .captiongen.SpatialAttentivePooling import SpatialAttentivePooling
from .dataprovider.LMDBProvider import LMDBEnv

pytestmark = pytest.mark.usefixtures('sharedserialize', 'reproducible_workers')

COLOURS = {'red': 0, 'green': 1, 'blue': 2}
WORDS = ['a', 'red', 'green', 'blue', 'box', 'ball', '.', '<UNK>', 'rare', 'seldom']


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(builtins, 'print', builtins.print)
    old = lg.getdefaulttensortype()
    yield
    lg.setdefaulttensortype(old)


def records(n, rng):
    env = LMDBEnv()
    for i in range(n):
        colour = rng.choice(list(COLOURS))
        img = lg.ByteTensor(3, 6, 6).fill(40)
        img[COLOURS[colour]].fill(220)
        thing = rng.choice(['box', 'ball'])
        env.records[Config.Key(i)] = {'Data': img, 'Caption': ['a %s %s .' % (colour, thing)] * 5}
    return env


def make_config(n_train=144, n_val=32):
    rng = random.Random(0)
    config = Config.make_config()
    lg.save('Vocab.t7', {'Vocab': {w: i + 1 for i, w in enumerate(WORDS)},
                         'WordsCount': {w: (3 if w in ('rare', 'seldom') else 50) for w in WORDS}})
    cnn = nn.Sequential().add(nn.SpatialConvolution(3, 8, 1, 1)).add(nn.ReLU()) \
        .add(nn.View(-1)).add(nn.Linear(8 * 16, 5))
    lg.save('cnn.t7', cnn)
    config.update(VOCAB_FILE='Vocab.t7', PreTrainedCNN='cnn.t7', FeatLayerCNN=3, NumFeatsCNN=8,
                  Normalization=['simple', 128, 64], InputSize=[3, 4, 4], ImageMinSide=6, Compressed=False,
                  TRAINING_ENV=records(n_train, rng), VALIDATION_ENV=records(n_val, rng))
    return config


def test_vocabulary_encode_and_decode():
    """Data.lua drops the words seen fewer than 10 times and numbers the rest from 0; encode fills to
    SentenceLength with '.', unknown words as <UNK>; decode stops after the stop token. The test records' caption
    starts with a space, which xlua's split drops (Python's str.split(' ') would make it a word)."""
    config = make_config()
    data = Data.make_data(config)
    assert sorted(config['Vocab'].values()) == list(range(8)) and 'rare' not in config['Vocab']
    config['SentenceLength'] = 6
    v = config['Vocab']
    enc = data['encode']('a red zebra')
    assert enc.tolist() == [v['a'], v['red'], v['<UNK>'], v['.'], v['.'], v['.']]
    assert data['decode'](enc, v['.']) == 'a red <UNK> .'
    img, caption = data['ExtractFromLMDBTest'](config['VALIDATION_ENV'].records[Config.Key(0)])
    assert tuple(img.size()) == (3, 4, 4)
    words = config['VALIDATION_ENV'].records[Config.Key(0)]['Caption'][0].split(' ')
    assert caption.tolist()[:4] == [v[w] for w in words]
    # docs/porting.md's split row: xlua's split (legonn.sys's) drops the leading space's empty piece, str.split not
    assert tsys.split(' a red', ' ') == ['a', 'red'] and ' a red'.split(' ') == ['', 'a', 'red']
    assert tsys.split('a red ', ' ') == ['a', 'red'] and 'a red '.split(' ')[-1] == ''
    assert data['encode'](' a red').tolist()[:2] == [v['a'], v['red']]


def test_spatial_attentive_pooling_is_a_softmax_weighted_sum():
    """SpatialAttentivePooling.lua: a 1x1 convolution scores each position, a softmax over the positions weighs
    the feature maps, summed over the positions."""
    lg.manualSeed(1)
    m = SpatialAttentivePooling(4)
    x = lg.randn(2, 4, 3, 3)
    y = m.forward(x)
    conv = m.modules[0].modules[0].modules[0]
    scores = np.einsum('bchw,c->bhw', x.numpy(), conv.weight.numpy().reshape(4)) + conv.bias.numpy()[0]
    w = np.exp(scores.reshape(2, 9)); w /= w.sum(1, keepdims=True)
    np.testing.assert_allclose(y.numpy(), np.einsum('bp,bcp->bc', w, x.numpy().reshape(2, 4, 9)), rtol=1e-5)


def test_main_trains_the_caption_model():
    """Main.lua for 6 epochs (-epoch 6) of adam on the synthetic records, in float: the validation loss halves, below
    what a model blind to the image can reach, and the greedy word after 'a' names the image's colour well above
    chance; each epoch's net is saved with the vocabulary and decoder."""
    config = make_config()
    arg = ['-type', 'float', '-seqLength', '6', '-embeddingSize', '16', '-rnnSize', '32', '-batchSize', '16',
           '-bufferSize', '48', '-dropout', '0', '-LR', '0.02', '-epoch', '6', '-threads', '1', '-save', 'r']
    history, parts = Main.main(arg, config)
    assert len(history['val']) == 6
    # per word, a model blind to the image can do no better than (ln 3 + ln 2) / 6 (the colour and the thing of
    # each 6-word target); one reading the colour off the image, ln 2 / 6
    assert history['val'][-1] < 0.5 * history['val'][0] and history['val'][-1] < (math.log(3) + math.log(2)) / 6
    assert history['train'][-1] < history['train'][0]
    # greedy check on validation records: the colour word follows 'a' given the image
    v = config['Vocab']
    model, cnn = parts['model'], parts['cnnModel']
    model.evaluate()
    recs = [config['VALIDATION_ENV'].records[Config.Key(i)] for i in range(16)]
    imgs = lg.stack([parts['data']['ExtractFromLMDBTest'](r)[0].float() for r in recs]).add(-128).div(64)
    recurrent.sequence(model)
    recurrent.zeroState(model)
    x = [cnn.forward(imgs), lg.Tensor(16, 1).fill(v['a'])]
    pred = model.forward(x)              # 16 x 2 x vocab: after the image, after 'a'
    _, words = pred.max(2)
    colours = [r['Caption'][0].split(' ')[1] for r in recs]
    assert sum(int(words[i, 1, 0]) == v[c] for i, c in enumerate(colours)) >= 9   # chance: about 5
    saved = lg.load('Results/r/Net_6.t7')
    assert saved['decoder'][v['red']] == 'red' and lg.typename(saved['recurrent']) == 'nn.RecurrentContainer'


@pytest.mark.gpu
def test_main_on_cuda_follows_the_cpu():
    """Main.lua's default -type cuda (cnnModel, model and loss moved, GPU_Batch a CudaTensor container): one epoch
    gives the CPU run's losses."""
    arg = ['-seqLength', '6', '-embeddingSize', '8', '-rnnSize', '16', '-batchSize', '16', '-bufferSize', '32',
           '-dropout', '0', '-LR', '0.01', '-epoch', '1', '-threads', '1']
    gpu, parts = Main.main(arg + ['-save', 'g'], make_config(n_train=32, n_val=16))
    assert parts['model'].modules[0].modules[1].output.type() == 'torch.CudaTensor'
    cpu, _ = Main.main(arg + ['-type', 'float', '-save', 'c'], make_config(n_train=32, n_val=16))
    np.testing.assert_allclose([gpu['train'][0], gpu['val'][0]], [cpu['train'][0], cpu['val'][0]], rtol=1e-3)


@pytest.mark.gpu
def test_sample_captions_validation_images():
    """Sample.lua after Main.lua: the net Main saved (copied to the Lua's Results/captionInceptionv3/Net_40.t7)
    captions 20 validation images of 224 x 224 from key 500 on the GPU, greedily, 15 words each: the captions read
    'a <colour> <thing> .' and name the image's colour for most images."""
    config = make_config()
    arg = ['-type', 'float', '-seqLength', '6', '-embeddingSize', '16', '-rnnSize', '32', '-batchSize', '16',
           '-bufferSize', '48', '-dropout', '0', '-LR', '0.02', '-epoch', '6', '-threads', '1',
           '-save', 'captionInceptionv3']
    Main.main(arg, config)
    os.replace('Results/captionInceptionv3/Net_6.t7', 'Results/captionInceptionv3/Net_40.t7')
    rng = random.Random(5)
    sample_config = make_config()
    env = LMDBEnv()
    colours = []
    for i in range(500, 520):
        colour = rng.choice(list(COLOURS))
        img = lg.ByteTensor(3, 224, 224).fill(40)
        img[COLOURS[colour]].fill(220)
        env.records[Config.Key(i)] = {'Data': img, 'Caption': ['a %s box .' % colour]}
        colours.append(colour)
    sample_config.update(VALIDATION_ENV=env, ImageMinSide=224)
    captions = Sample.main(sample_config)
    assert len(captions) == 20 and os.path.exists('samples.png')
    words = [c.split(' ') for c in captions]
    assert all(w[0] == 'a' and w[-1] == '.' and len(w) == 4 for w in words)
    assert sum(w[1] == c for w, c in zip(words, colours)) >= 12
