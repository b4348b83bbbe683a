"""zhangxiangxiao/Crepe (character-level ConvNets for text classification) run through its port, tests/porting/crepe.py
(data/csv2t7b.lua, train/config.lua, data.lua, model.lua, train.lua, test.lua and main.lua's driver; that module's
docstring lists every edit beyond syntax and indices, and what is left out: the Qt UI, gnuplot figures, the
thesaurus).

Stand-ins: the AG News / DBPedia CSVs are replaced by a small CSV each test writes, a synthetic 3-class corpus whose
class is readable from its characters (letters, digits, punctuation), run through the ported csv2t7b. config.lua's
1014-byte frame and 256 features are shrunk to a 123-byte frame (the shortest that the same nine layers reduce to
one frame) and 16 features; the model runs in DoubleTensor, Torch7's default, instead of CudaTensor.
"""
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from . import crepe

pytestmark = pytest.mark.usefixtures('double_default')

FRAME = 123
FEATURES = 16


def write_csv(path, rows):
    with open(path, 'wb') as f:
        for row in rows:
            f.write(row.encode('utf-8') + b'\n')


def synthetic_rows(n_per_class, rng):
    """class 1: letters, class 2: digits, class 3: punctuation; two fields (title, text) as AG News has."""
    pools = ['abcdefghijklmnopqrstuvwxyz', '0123456789', '!?;:.,-+=*&%$#@']
    rows = []
    for _ in range(n_per_class):
        for klass, pool in enumerate(pools, 1):
            title = ''.join(rng.choice(pool) for _ in range(rng.randint(3, 8)))
            text = ''.join(rng.choice(pool + '   ') for _ in range(rng.randint(20, 60)))
            rows.append('%d,"%s","%s"' % (klass, title.replace('"', '""'), text))
    return rows


def small_config(tmp_path, n_classes=3):
    config = crepe.make_config(str(tmp_path / 'train'))
    for part in ('train_data', 'val_data'):
        config[part]['length'] = FRAME
        config[part]['batch_size'] = 16
    config['train_data']['file'] = str(tmp_path / 'train.t7b')
    config['val_data']['file'] = str(tmp_path / 'test.t7b')
    for layer in config['model']:
        for key in ('inputFrameSize', 'outputFrameSize'):
            if layer.get(key) == 256:
                layer[key] = FEATURES
    config['model'][15]['size'] = FEATURES          # 1 frame x FEATURES (34 x 256 in the Lua)
    config['model'][16].update(inputSize=FEATURES, outputSize=32)
    config['model'][19].update(inputSize=32, outputSize=32)
    config['model'][22].update(inputSize=32, outputSize=n_classes)
    config['main']['type'] = 'torch.DoubleTensor'
    config['main']['eras'] = 2
    config['main']['epoches'] = 40
    config['main']['logtime'] = 0
    config['main']['save'] = str(tmp_path)
    return config


def build_data(tmp_path, seed=0, n_train=20, n_test=6):
    rng = random.Random(seed)
    write_csv(tmp_path / 'train.csv', synthetic_rows(n_train, rng))
    write_csv(tmp_path / 'test.csv', synthetic_rows(n_test, rng))
    for name in ('train', 'test'):
        crepe.csv2t7b(['-input', str(tmp_path / (name + '.csv')), '-output', str(tmp_path / (name + '.t7b'))],
                      log=lambda *a: None)


def test_csv2t7b_writes_the_t7b_layout(tmp_path):
    write_csv(tmp_path / 'x.csv', ['2,"a, ""b""",  c\\nd ', '1,Été,z', '2,q,"r"'])
    data = crepe.csv2t7b(['-input', str(tmp_path / 'x.csv'), '-output', str(tmp_path / 'x.t7b')],
                         log=lambda *a: None)
    loaded = lg.load(str(tmp_path / 'x.t7b'))
    assert len(loaded['index']) == 2
    # class 1 (slot 0) comes second in the file; its offsets follow class 2's first row's bytes
    fields = [b'a, "b"', b'c\nd', 'Été'.encode(), b'z', b'q', b'r']
    offsets = np.cumsum([0] + [len(f) + 1 for f in fields])[:-1]
    assert loaded['index'][1].tolist() == [[offsets[0], offsets[1]], [offsets[4], offsets[5]]]
    assert loaded['index'][0].tolist() == [[offsets[2], offsets[3]]]
    assert loaded['length'][0].tolist() == [[5, 1]]            # 'Été' is 5 bytes, as Lua's :len()
    assert bytes(loaded['content'].numpy()) == b''.join(f + b'\0' for f in fields)
    assert data['content'].nElement() == sum(len(f) + 1 for f in fields)


def test_csv2t7b_refuses_a_missing_class(tmp_path):
    write_csv(tmp_path / 'x.csv', ['1,a', '3,b'])
    with pytest.raises(RuntimeError, match='class 2 has no samples'):
        crepe.csv2t7b(['-input', str(tmp_path / 'x.csv'), '-output', str(tmp_path / 'x.t7b')],
                      log=lambda *a: None)


def hand_frame(columns, length):
    """a #alphabet x length frame with a 1 at each (alphabet row, position)"""
    t = lg.zeros(len(crepe.ALPHABET), length)
    for row, pos in columns:
        t[row][pos] = 1
    return t


def test_quantisation_against_hand_made_frames(tmp_path):
    build_data(tmp_path, n_train=1, n_test=1)
    data = crepe.Data({'file': str(tmp_path / 'train.t7b'), 'length': 6})
    a, b, z = 0, 1, 25
    dash = 59        # '-' is in the alphabet twice (0-based 36 and 59): the later entry wins the dict
    assert crepe.ALPHABET[36] == crepe.ALPHABET[59] == '-'
    # read backwards from the last byte; upper case lowered; a space is in no row
    assert data.stringToTensor('Ab -Z', 6).equal(hand_frame([(z, 0), (dash, 1), (b, 3), (a, 4)], 6))
    # longer than the frame: the last 6 bytes are kept
    assert data.stringToTensor('zzzzab', 3).equal(hand_frame([(b, 0), (a, 1), (z, 2)], 3))
    # bytes, as Lua counts them: 'é' is two bytes, so 'a' is at position 3, not 2; 'İ'.lower() in Python
    # would give an 'i' Lua never sees
    assert data.stringToTensor('aé!', 6).equal(hand_frame([(crepe.ALPHABET.index('!'), 0), (a, 3)], 6))
    assert data.stringToTensor('İ', 6).sum() == 0
    assert data.stringToTensor('ab').size() == (len(crepe.ALPHABET), 2)


def test_iterator_passes_in_order_and_keeps_stale_rows(tmp_path):
    build_data(tmp_path, n_train=5, n_test=1)
    data = crepe.Data({'file': str(tmp_path / 'train.t7b'), 'length': FRAME, 'batch_size': 4})
    seen = []
    for inputs, labels, n in iter(data.iterator(), None):
        seen.append((labels.tolist(), n))
    assert [n for _, n in seen] == [4, 4, 4, 3]
    assert [l for l, _ in seen[:3]] == [[0, 0, 0, 0], [0, 1, 1, 1], [1, 1, 2, 2]]
    # the last batch fills 3 rows; row 3 keeps the previous batch's label (data.lua's static buffers)
    assert seen[3][0] == [2, 2, 2, 2]


def clone_grads(model, params, batch, labels):
    """the gradient of ClassNLLCriterion at ``params``, from a separate copy of the model"""
    seq = model.sequential.clone()
    w, dw = seq.getParameters()
    w.copy(params)
    dw.zero()
    loss = nn.ClassNLLCriterion()
    out = seq.forward(batch)
    loss.forward(out, labels)
    seq.backward(batch, loss.backward(out, labels))
    return dw.clone()


def test_train_step_is_the_hand_computed_sgd_update(tmp_path):
    build_data(tmp_path, n_train=4, n_test=1)
    lg.manualSeed(5)
    config = small_config(tmp_path)
    data = crepe.Data(config['train_data'])
    model = crepe.Model(config['model'])
    model.randomize(0.05)
    model.type('torch.DoubleTensor')
    model.disableDropouts()
    momentum, decay = 0.9, 1e-2
    train = crepe.Train(data, model, nn.ClassNLLCriterion(),
                        {'rates': {1: 0.1, 3: 0.05}, 'momentum': momentum, 'decay': decay})
    assert train.rate == 0.1
    w = train.params.clone().numpy()
    v = np.zeros_like(w)
    for step, rate in enumerate([0.1, 0.1]):
        train.batchStep()
        g = clone_grads(model, lg.Tensor(w), train.batch, train.labels).numpy()
        v = momentum * v - rate * g
        w = (1 - rate * decay) * w + v
        np.testing.assert_allclose(train.old_grads.numpy(), v, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(train.params.numpy(), w, rtol=1e-10, atol=1e-14)
    assert train.epoch == 3 and train.rate == 0.05
    # the mask counts class 0 too (labels:gt(0) of 1-based labels): the error is the plain error rate
    assert (train.labels.numpy() == 0).any()
    wrong = (train.decision.numpy() != train.labels.numpy()).mean()
    assert train.error == pytest.approx(wrong)


def test_main_trains_and_resumes(tmp_path):
    build_data(tmp_path)
    lg.manualSeed(1)
    random.seed(1)
    config = small_config(tmp_path)
    # 16 features instead of 256: a wider start (config.lua's 5e-2) keeps the small ReLU stack alive
    config['main']['randomize'] = 0.2
    config['train']['rates'] = {1: 0.05}
    lines = []
    main = crepe.Main(config, log=lines.append)
    main.main([])
    assert len(main.record) == 2
    last = main.record[-1]
    # 3 classes: chance is 2/3 wrong (this seeded run ends near 0.31 on both sets)
    assert last['train_error'] < 0.5 and last['val_error'] < 0.5
    for key in ('train_confusion', 'val_confusion'):
        assert last[key].sum() == pytest.approx(1.0)
        assert last[key].size() == (3, 3)
    assert sum(line.startswith('epo: ') for line in lines) == 80     # logtime 0: Lua's `0 or 1` is 0
    assert not any(', pmn: ' in line for line in lines)
    config['main']['debug'] = True
    main.trainlog(main.train)
    assert ', pmn: %.2e' % main.train.params.mean() in lines[-1]
    saved = sorted(os.listdir(tmp_path))
    assert any(name.startswith('main_80_') for name in saved)
    assert any(name.startswith('sequential_80_') for name in saved)

    # -resume 80 reloads the model, the record and the momentum, and counts on from epoch 81
    config2 = small_config(tmp_path)
    config2['main']['eras'] = 1
    config2['main']['epoches'] = 1
    resumed = crepe.Main(config2, log=lambda *a: None)
    resumed.clock = {'log': 0}
    resumed.argparse(['-resume', '80'])
    resumed.new()
    assert config2['main']['randomize'] is None
    assert resumed.train.epoch == 81
    assert resumed.model.getParameters()[0].equal(main.model.getParameters()[0])
    assert resumed.train.old_grads.equal(main.train.old_grads)
    assert len(resumed.record) == 2


def test_config_with_its_loss_class_is_saved_by_name(tmp_path):
    """main.lua:224 saves ``config``, whose ``loss`` is the class nn.ClassNLLCriterion: legonn refuses to save a
    type, so Main.save writes its Torch7 name (docs/porting.md's row), which finds the class again."""
    config = small_config(tmp_path)
    with pytest.raises(TypeError, match=r"\['loss'\] is a type"):
        lg.save(str(tmp_path / 'c.t7b'), {'config': {**config, 'model': list(config['model'])}})
    lg.save(str(tmp_path / 'c.t7b'), {'config': crepe._saveable(config)})
    name = lg.load(str(tmp_path / 'c.t7b'))['config']['loss']
    assert getattr(nn, name.removeprefix('nn.')) is nn.ClassNLLCriterion


def test_a_model_saved_with_emptied_gradients_loads_and_refuses_backward(tmp_path):
    """model.lua's clearSequential (main.lua:226 saves through it) sets ``m.gradWeight = torch.Tensor()``: an
    empty tensor, not nil. Torch7's torch.load reads it back as any table field; legonn's load refused it as a
    gradient of the wrong size. It now loads; forward works and backward names the missing gradient."""
    config = small_config(tmp_path)
    model = crepe.Model(config['model'])
    seq = model.clearSequential(model.makeCleanSequential(model.sequential))
    assert seq.get(0).gradWeight.nElement() == 0
    lg.save(str(tmp_path / 'clean.t7b'), seq)
    loaded = lg.load(str(tmp_path / 'clean.t7b'))
    x = lg.zeros(2, FRAME, len(crepe.ALPHABET))
    x[0][0][3] = 1
    loaded.evaluate()
    seq.evaluate()
    assert loaded.forward(x).equal(seq.forward(x))
    with pytest.raises(ValueError, match='gradient 0'):
        loaded.backward(x, lg.ones(2, 3))
    # makeCleanSequential (the resume's path) builds fresh modules with gradients again
    fresh = model.makeCleanSequential(loaded)
    fresh.forward(x)
    fresh.backward(x, lg.ones(2, 3))
    assert fresh.get(0).gradWeight.size() == fresh.get(0).weight.size()


@pytest.mark.gpu
def test_cuda_training_follows_the_cpu(tmp_path):
    """config.lua's own type, torch.CudaTensor: the same seeded steps (batches and start weights come from the
    CPU generator) give the CPU's weights, and the tester the same confusion matrix."""
    build_data(tmp_path, n_train=4, n_test=2)
    config = small_config(tmp_path)
    results = {}
    for tensortype in ('torch.DoubleTensor', 'torch.CudaTensor'):
        lg.manualSeed(7)
        data = crepe.Data(config['train_data'])
        model = crepe.Model(config['model'])
        model.randomize(0.2)
        model.type(tensortype)
        model.disableDropouts()
        train = crepe.Train(data, model, nn.ClassNLLCriterion(), {'rates': {1: 0.05}, 'momentum': 0.9,
                                                                   'decay': 1e-5})
        train.run(3)
        test = crepe.Test(crepe.Data(config['val_data']), model, nn.ClassNLLCriterion(), {'confusion': True})
        test.run()
        assert train.params.type() == tensortype
        results[tensortype] = (train.params.double().numpy(), test.confusion.numpy(), test.l)
    cpu, gpu = results['torch.DoubleTensor'], results['torch.CudaTensor']
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(gpu[1], cpu[1])
    assert gpu[2] == pytest.approx(cpu[2], rel=1e-4)
