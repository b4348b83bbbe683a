"""reedscot/cvpr2016 run through its port, tests/porting/cvpr2016/ (train_sje_hybrid.lua, classify_sje_tcnn.lua,
retrieval_sje_tcnn.lua, modules/, util/; the package's docstring lists the files).

Stand-ins: CUB's GoogLeNet features and captions are replaced by a synthetic data directory each test writes in the
layout util/MultimodalMinibatchLoaderCaption.lua reads (manifest.txt, trainids.txt, images/<class>.t7 holding
images x image_dim x views, text_c<n>/<class>.t7 holding images x 201 x n caption codes, 1-based, 0-padded). Each
class's captions repeat a word of its own letters and its image features lie near a direction of its own, so the
joint embedding has something to learn. The caption length stays 201 (HybridCNN.lua's convolutions reduce it to the
8 frames its FixedRNN unrolls); image_dim (the embedding, image_noop=1), cnn_dim and the batch are small.
"""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .cvpr2016 import classify_sje_tcnn, retrieval_sje_tcnn, train_sje_hybrid
from .cvpr2016.modules import FixedGRU, FixedRNN, HybridCNN
from .cvpr2016.util import model_utils, util_retrieval

pytestmark = pytest.mark.usefixtures('double_default')

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
WORDS = ['red bird', 'blue wing', 'long tail', 'small beak', 'white head', 'black crown']
IMAGE_DIM = 16


def encode(text, doc_length=201):
    codes = np.zeros(doc_length)
    for t, ch in enumerate(text[:doc_length]):
        codes[t] = ALPHABET.index(ch) + 1        # the data's codes are Lua's 1-based alphabet positions
    return codes


def write_data(root, nclass=6, nimg=3, ncap=2, views=2, seed=0):
    rng = np.random.RandomState(seed)
    (root / 'images').mkdir(parents=True)
    (root / ('text_c%d' % ncap)).mkdir()
    names = ['%03d.cls%d.t7' % (c + 1, c + 1) for c in range(nclass)]
    (root / 'manifest.txt').write_text(''.join(n + '\n' for n in names))
    (root / 'trainids.txt').write_text(''.join('%d\n' % (c + 1) for c in range(nclass)))
    (root / 'testclasses.txt').write_text(''.join(n[:-len('.t7')] + '\n' for n in names))
    centres = rng.randn(nclass, IMAGE_DIM)
    for c, name in enumerate(names):
        imgs = centres[c][None, :, None] + 0.1 * rng.randn(nimg, IMAGE_DIM, views)
        lg.save(str(root / 'images' / name), lg.Tensor(imgs))
        sens = np.zeros((nimg, 201, ncap))
        for i in range(nimg):
            for s in range(ncap):
                sens[i, :, s] = encode(' '.join([WORDS[c]] * (1 + (i + s) % 3)))
        lg.save(str(root / ('text_c%d' % ncap) / name), lg.Tensor(sens))
    return names


def args(root, **changes):
    opt = dict(data_dir=str(root), batch_size=6, image_dim=IMAGE_DIM, nclass=6, gpuid=-1, cnn_dim=16,
               checkpoint_dir=str(root / 'cv'), max_epochs=4, print_every=6, eval_val_every=12, num_caption=2,
               learning_rate=0.001, image_dir='images')
    opt.update(changes)
    return [w for k, v in opt.items() for w in ('-' + k, str(v))]


def test_joint_embedding_loss_gradient_matches_finite_differences():
    """the script's own gradient check (its `opt.checkgrad` branch, wrap_emb with nh=3, nx=4, ny=2), done by
    central differences: JointEmbeddingLoss's hand-written gradients are the loss's."""
    lg.manualSeed(1)
    nh, nx, ny = 3, 4, 2
    txt = lg.randn(nx, nh)
    img = lg.randn(ny, nh)
    labs = lg.randperm(nx)
    initpars = lg.cat(txt.clone().reshape(nh * nx), img.clone().reshape(nh * ny))
    loss, grad = train_sje_hybrid.wrap_emb(initpars, nh, nx, ny, labs)
    est = np.zeros(initpars.nElement())
    for k in range(initpars.nElement()):
        plus, minus = initpars.clone(), initpars.clone()
        plus[k] += 1e-6
        minus[k] -= 1e-6
        est[k] = (train_sje_hybrid.wrap_emb(plus, nh, nx, ny, labs)[0]
                  - train_sje_hybrid.wrap_emb(minus, nh, nx, ny, labs)[0]) / 2e-6
    assert loss > 0
    np.testing.assert_allclose(grad.numpy(), est, atol=1e-6)


def test_fixed_rnn_shares_its_steps_and_averages():
    """FixedRNN.lua: one i2h and one h2h Linear shared over the steps; the output is the mean of the ReLU states."""
    lg.manualSeed(2)
    net = FixedRNN.rnn(3, 0, 4)
    flat, _ = net.getParameters()
    assert flat.nElement() == 2 * (4 * 4 + 4)      # shared clones flatten to one i2h and one h2h
    xs = [lg.randn(5, 4) for _ in range(3)]
    out = net.forward(xs)
    lin = [m for m in net.listModules() if lg.type(m) == 'nn.Linear']
    # recompute by hand from the first step's i2h and the first h2h (the others share their storages)
    i2h, h2h = lin[0], lin[2]
    assert lin[1].weight.storage() is i2h.weight.storage() or lg.pointer(lin[1].weight.storage()) == lg.pointer(i2h.weight.storage())
    h = np.maximum(xs[0].numpy() @ i2h.weight.numpy().T + i2h.bias.numpy(), 0)
    total = h.copy()
    for x in xs[1:]:
        h = np.maximum(x.numpy() @ i2h.weight.numpy().T + i2h.bias.numpy()
                       + h @ h2h.weight.numpy().T + h2h.bias.numpy(), 0)
        total += h
    np.testing.assert_allclose(out.numpy(), total / 3, rtol=1e-10)


def test_train_sje_hybrid_joint_embedding_loss_falls(tmp_path, capsys):
    """train_sje_hybrid.lua end to end: the loader's batches, HybridCNN with FixedRNN, the symmetric SJE loss,
    rmsprop, the per-epoch learning-rate decay and the checkpoint; the loss falls and the saved protos embed a
    class's caption nearest its own images."""
    write_data(tmp_path)
    losses = train_sje_hybrid.main(args(tmp_path))
    out = capsys.readouterr().out
    assert 'decayed learning rate by a factor 0.98' in out
    values = [losses[i] for i in sorted(losses)]
    assert all(math.isfinite(v) for v in values)
    assert np.mean(values[-6:]) < 0.5 * np.mean(values[:6])
    checkpoint = lg.load(str(tmp_path / 'cv' / 'lm_sje_hybrid_0.00100_1_2_trainids.txt.t7'))
    assert checkpoint['i'] == 24 and checkpoint['opt']['emb_dim'] == IMAGE_DIM


def test_fixed_gru_last_or_averaged_state():
    """FixedGRU.lua: the gates' Linears shared over the steps; ``avg == 1`` averages the states, else the last one;
    its gradient is the finite differences' (float64)."""
    from tests.checks import assert_jacobian
    lg.manualSeed(3)
    last, avg = FixedGRU.rnn(3, 0, 4), FixedGRU.rnn(3, 1, 4)
    assert last.getParameters()[0].nElement() == 6 * (4 * 4 + 4)
    xs = [lg.randn(2, 4) for _ in range(3)]
    avg.getParameters()[0].copy(last.getParameters()[0])
    out_last = last.forward(xs).clone()
    out_avg = avg.forward(xs).clone()
    assert not np.allclose(out_last.numpy(), out_avg.numpy())
    assert np.abs(out_last.numpy()).max() < 1           # a GRU's state stays within tanh's range
    joined = nn.Sequential().add(nn.SplitTable(0)).add(last)
    assert_jacobian(joined, lg.randn(3, 2, 4))


def test_model_utils_split_and_trim():
    """util/model_utils.lua's split (Lua's %s class by default) and trim."""
    assert model_utils.split('a b\tc') == ['a', 'b', 'c']
    assert model_utils.split('1,2,,3', ',') == ['1', '2', '3']
    assert model_utils.trim('  x y \n') == 'x y'


def test_rank_images_orders_by_score():
    """util_retrieval.lua's rank_images: every image scored against one caption, sorted best first, with a 1 where
    the image is of the caption's class (0-based ``fea_id``)."""
    txt = lg.Tensor([[1.0, 0.0]])
    imgs = [lg.Tensor([[0.5, 0.0], [3.0, 1.0]]), lg.Tensor([[2.0, 0.0]])]
    scores, matches, _ = util_retrieval.rank_images(txt, 1, imgs, lg.dot)
    assert scores.tolist() == [3.0, 2.0, 0.5]
    assert matches.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.gpu
def test_classify_and_retrieve_with_the_trained_checkpoint(tmp_path):
    """classify_sje_tcnn.lua and retrieval_sje_tcnn.lua (both require cutorch) on the checkpoint
    train_sje_hybrid.lua saved: zero-shot accuracy and retrieval precision over the six classes beat chance."""
    write_data(tmp_path, nimg=9)
    train_sje_hybrid.main(args(tmp_path, gpuid=0))      # the checkpoint the scripts read holds CUDA protos
    common = ['-data_dir', str(tmp_path), '-checkpoint_dir', str(tmp_path / 'cv'), '-learning_rate', '0.001',
              '-num_caption', '2', '-ids_file', 'trainids.txt', '-savefile', 'sje_hybrid']
    acc = classify_sje_tcnn.main(common + ['-image_dir', 'images'])
    assert acc > 2 / 6
    res = retrieval_sje_tcnn.main(common)
    assert float(res[5]) > 2 / 6 and 0 < float(res[50]) <= 1


def test_hybrid_cnn_reads_the_fixed_rnn_the_script_sets(monkeypatch):
    """HybridCNN.lua calls the global ``FixedRNN`` that train_sje_hybrid.lua sets: the port's module reads its own
    ``FixedRNN``, which the script sets (docs/porting.md); unset, the build fails. Set, a 201-character document
    goes through the three convolution stages to the 8 frames the recurrence unrolls, and out as emb_dim."""
    from .cvpr2016.modules import HybridCNNLong
    monkeypatch.setattr(HybridCNN, 'FixedRNN', None)
    with pytest.raises(AttributeError):
        HybridCNN.cnn(len(ALPHABET), 5, 0.0, 0, 8)
    monkeypatch.setattr(HybridCNN, 'FixedRNN', FixedRNN)
    monkeypatch.setattr(HybridCNNLong, 'FixedRNN', FixedRNN)
    lg.manualSeed(4)
    net = HybridCNN.cnn(len(ALPHABET), 5, 0.0, 0, 8)
    long_net = HybridCNNLong.cnn(len(ALPHABET), 5, 0.0, 0, 8)
    doc = lg.zeros(2, 201, len(ALPHABET))
    doc[:, :, 3] = 1
    assert net.forward(doc).size() == (2, 5) and long_net.forward(doc).size() == (2, 5)
    frames = [m for m in net.listModules() if lg.type(m) == 'nn.SplitTable'][0].output
    assert len(frames) == 8
    frames = [m for m in long_net.listModules() if lg.type(m) == 'nn.SplitTable'][0].output
    assert len(frames) == 18


def test_bidirectional_rnn_reads_both_ways_and_its_option_fails_as_in_torch7(tmp_path):
    """BidirectionalRNN.lua: one shared i2h for both directions, an h2h each way; the output is the mean of the
    2 x nstep ReLU states. Its signature is ``rnn(nstep, emb_dim)``, so train_sje_hybrid.lua's ``-bidirectional 1``
    (HybridCNN.lua's ``FixedRNN.rnn(8, avg, cnn_dim)``) asks for 0 x 0 Linears, which Torch7's Linear.lua cannot
    build either (its reset reads ``weight:size(2)`` of an empty weight)."""
    from .cvpr2016.modules import BidirectionalRNN
    lg.manualSeed(6)
    net = BidirectionalRNN.rnn(3, 4)
    xs = [lg.randn(2, 4) for _ in range(3)]
    out = net.forward(xs)
    lin = [m for m in net.listModules() if lg.type(m) == 'nn.Linear']
    i2h = lin[0]
    pointers = {lg.pointer(m.weight.storage()) for m in lin}
    assert len(pointers) == 3                       # i2h, forward h2h, backward h2h
    fwd_h2h = next(m for m in lin[1:] if lg.pointer(m.weight.storage()) != lg.pointer(i2h.weight.storage()))
    bwd_h2h = next(m for m in lin[1:] if lg.pointer(m.weight.storage()) not in
                   (lg.pointer(i2h.weight.storage()), lg.pointer(fwd_h2h.weight.storage())))

    def run(order, h2h):
        h, total = None, 0
        for x in order:
            a = x.numpy() @ i2h.weight.numpy().T + i2h.bias.numpy()
            if h is not None:
                a = a + h @ h2h.weight.numpy().T + h2h.bias.numpy()
            h = np.maximum(a, 0)
            total = total + h
        return total
    expected = (run(xs, fwd_h2h) + run(xs[::-1], bwd_h2h)) / 6
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    write_data(tmp_path)
    with pytest.raises(ValueError, match='Linear: inputSize must be a positive integer, got 0'):
        train_sje_hybrid.main(args(tmp_path, bidirectional=1))


def test_word_encoders_reduce_a_caption_to_the_embedding(monkeypatch):
    """HybridCNNWord.lua (30 words -> 8 frames read by FixedRNN with ``avg`` 1) and DocumentCNNWord.lua (30 words
    -> 5 x 256 -> two Linears): a batch of one-hot captions goes to batch x emb_dim."""
    from .cvpr2016.modules import DocumentCNNWord, HybridCNNWord
    monkeypatch.setattr(HybridCNNWord, 'FixedRNN', FixedRNN)
    lg.manualSeed(7)
    words = lg.zeros(2, 30, 12)
    words[:, :, 5] = 1
    assert HybridCNNWord.cnn(12, 6).forward(words).size() == (2, 6)
    assert DocumentCNNWord.cnn(12, 6).forward(words).size() == (2, 6)
