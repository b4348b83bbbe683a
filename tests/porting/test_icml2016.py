"""reedscot/icml2016 run through its port, tests/porting/icml2016/ (main_cls_int.lua, txt2img_demo.lua, data/data.lua,
data/donkey_folder_txt.lua; the package's docstring lists the files and what is not ported), on top of the
reedscot/cvpr2016 port (tests/porting/cvpr2016/): the text features the GAN conditions on are the char-CNN-RNN's
(HybridCNN with FixedRNN) embeddings of each image's captions, as the repository's CUB files hold them.

Stand-ins: CUB's images and its classes are replaced by a tiny synthetic set each test writes in the layout
donkey_folder_txt.lua reads (classnames, trainids, one directory per class of Torch7 files ``{img=..., txt=...}``,
80x80 PNG images, a flat colour per class with noise); the image sizes are the script's (loadSize 76, fineSize 64: the
layers fix 64x64), the widths (nz, nt, ngf, ndf, txtSize) and the batch are small. ``display`` (the Lua's
``require 'display'``) is a recorder."""

import numpy as np
import pytest

import legonn as lg
from legonn import image

from .cvpr2016.modules import FixedRNN, HybridCNN
from .icml2016 import main_cls_int

pytestmark = pytest.mark.usefixtures('double_default')

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
CAPTIONS = [['a red bird', 'this bird is red'], ['a blue bird', 'the bird is blue'],
            ['a green bird', 'green wings'], ['a yellow bird', 'yellow all over']]
COLOURS = [(0.9, 0.1, 0.1), (0.1, 0.1, 0.9), (0.1, 0.8, 0.1), (0.9, 0.9, 0.1)]
TXT_SIZE = 16


def one_hot(captions, doc_length=201):
    txt = lg.zeros(len(captions), doc_length, len(ALPHABET))
    for i, c in enumerate(captions):
        for t, ch in enumerate(c):
            txt[i, t, ALPHABET.index(ch)] = 1
    return txt


def text_encoder():
    """cvpr2016's char-CNN-RNN (HybridCNN.lua over FixedRNN.lua) as train_sje_hybrid.lua builds and initialises it."""
    HybridCNN.FixedRNN = FixedRNN
    enc = HybridCNN.cnn(len(ALPHABET), TXT_SIZE, 0.0, 0, 16)
    enc.getParameters()[0].uniform(-0.08, 0.08)
    return enc.evaluate()


def write_data(root, enc, per_class=2, seed=0):
    rng = np.random.RandomState(seed)
    (root / 'images').mkdir()
    (root / 'files').mkdir()
    names = ['%03d.class_%d' % (c + 1, c + 1) for c in range(len(CAPTIONS))]
    (root / 'classes.txt').write_text(''.join(n + '\n' for n in names))
    (root / 'ids.txt').write_text(''.join('%d\n' % (c + 1) for c in range(len(names))))
    for c, name in enumerate(names):
        (root / 'files' / name).mkdir()
        feats = enc.forward(one_hot(CAPTIONS[c])).clone()
        for k in range(per_class):
            pixels = np.clip(np.array(COLOURS[c])[:, None, None] + 0.05 * rng.randn(3, 80, 80), 0, 1)
            img = '%s_%d.png' % (name, k)
            image.save(str(root / 'images' / img), lg.Tensor(pixels))
            lg.save(str(root / 'files' / name / ('%d.t7' % k)), {'img': img, 'txt': feats})


class Display:
    """the ``display`` package's ``image(tensor, options)``, recording what it is shown."""

    def __init__(self):
        self.shown = []

    def image(self, img, options):
        self.shown.append((img.size(), options['win']))


def changes(root, **more):
    opt = dict(dataset='cub', data_root=str(root / 'files'), classnames=str(root / 'classes.txt'),
               trainids=str(root / 'ids.txt'), img_dir=str(root / 'images'), checkpoint_dir=str(root / 'checkpoints'),
               batchSize=8, numCaption=4, txtSize=TXT_SIZE, nt=8, nz=10, ngf=4, ndf=4, nThreads=0, niter=30,
               gpu=0, display=0, save_every=15, lr=0.002)
    opt.update(more)
    return opt


def test_main_cls_int_trains_the_text_conditioned_gan(tmp_path):
    """main_cls_int.lua as GAN-CLS-INT (cls_weight 0.5, interp_weight 1): D and G step by adam for 30 batches
    without NaN and both losses fall; the display is fed the fakes and the real batch; checkpoints are written and
    the saved G generates from noise and a text code."""
    lg.manualSeed(0)
    write_data(tmp_path, text_encoder())
    disp = Display()
    netG, netD, record = main_cls_int.main(changes(tmp_path, cls_weight=0.5, interp_weight=1), disp)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert len(errD) == 30 and np.isfinite(errD).all() and np.isfinite(errG).all()
    assert errD[-5:].mean() < errD[:5].mean()       # D learns (against G, real images, wrong images)
    assert errG[-5:].mean() < errG[:5].mean()       # and G learns to fool it
    assert disp.shown[0] == ((8, 3, 64, 64), 10) and disp.shown[1] == ((8, 3, 64, 64), 30)
    assert (tmp_path / 'checkpoints' / 'experiment_long_30_net_G.t7').exists()
    G = lg.load(str(tmp_path / 'checkpoints' / 'experiment_long_30_net_G.t7'))
    assert G.forward([lg.randn(2, 10, 1, 1), lg.randn(2, TXT_SIZE)]).size() == (2, 3, 64, 64)


def test_donkey_folder_txt_batches_through_donkey_threads(tmp_path, reproducible_workers):
    """data/data.lua with one donkey thread running donkey_folder_txt.lua: ``sample_repl`` shares an image and
    its class among each run of numCaption rows, crops 64x64 from the 76x76 scaled image into [-1, 1], and gives
    the wrong images another class; ``sample_no_repl`` gives numCaption text rows per image."""
    from legonn import threads
    from .icml2016.data import donkey_folder_txt
    from .icml2016.data.data import data
    write_data(tmp_path, text_encoder())
    opt = changes(tmp_path, nThreads=1, replicate=1, no_aug=0, manualSeed=5, loadSize=76, fineSize=64)
    loader = data.new(1, 'cub', opt)
    assert loader.size() == 8
    real, txt, wrong, ids = loader.getBatch()
    assert real.size() == (8, 3, 64, 64) and txt.size() == (8, TXT_SIZE) and wrong.size() == (8, 3, 64, 64)
    assert -1 <= float(real.min()) and float(real.max()) <= 1
    colours = np.array(COLOURS) * 2 - 1
    for n in range(8):
        cls = int(ids[n]) - 1
        assert np.abs(real[n].numpy().mean((1, 2)) - colours[cls]).max() < 0.1
        wrong_cls = np.abs(colours - wrong[n].numpy().mean((1, 2))).sum(1).argmin()
        assert wrong_cls != cls
    assert all(ids[n] == ids[n - n % 4] for n in range(8))
    loader.threads.terminate()
    threads.local.opt = dict(opt, replicate=0)
    donkey_folder_txt.run()
    real, txt, wrong, ids = threads.local.trainLoader.sample(2)
    assert real.size() == (2, 3, 64, 64) and txt.size() == (8, TXT_SIZE)


def test_a_query_is_encoded_from_its_first_character():
    """txt2img_demo.lua encodes a query with ``dict[ch]`` and writes it ``if ix ~= 0 and ix ~= nil``: with the
    alphabet numbered from 0 (the Indices rule) 'a' is code 0, so the port tests for None only (docs/porting.md);
    ``query_str:sub(t,t)`` past the query's end is '', which no code answers."""
    alphabet = ALPHABET
    codes = {alphabet[i]: i for i in range(len(alphabet))}
    query = 'a bird'
    literal = [codes.get(query[t:t + 1]) for t in range(10)]
    assert [ix for ix in literal if ix is not None and ix != 0] == [codes[c] for c in ' bird']   # 'a' lost
    assert [ix for ix in literal if ix is not None] == [codes[c] for c in query]
    with pytest.raises(IndexError):
        query[len(query)]


@pytest.mark.gpu
def test_txt2img_demo_generates_from_queries_with_trained_nets(tmp_path, monkeypatch):
    """The whole pipeline on the GPU, as the repositories run it: cvpr2016's train_sje_hybrid.lua trains the text
    encoder (a CUDA checkpoint), its embeddings of each image's captions make the GAN's data files,
    main_cls_int.lua trains the GAN on them (``gpu=1``: cutorch's first device; ``interp_type=2``, the extrapolated
    texts, whose branch moves its random weights to the GPU), and txt2img_demo.lua loads both
    CUDA checkpoints and writes a grid of images per query, the query's text and the HTML table."""
    from . import test_cvpr2016 as cvpr
    from .cvpr2016 import train_sje_hybrid
    from .icml2016 import txt2img_demo
    sje = tmp_path / 'sje'
    cvpr.write_data(sje)
    train_sje_hybrid.main(cvpr.args(sje, gpuid=0, max_epochs=1, eval_val_every=6))
    checkpoint = str(sje / 'cv' / 'lm_sje_hybrid_0.00100_1_2_trainids.txt.t7')
    enc = lg.load(checkpoint)['protos']['enc_doc'].evaluate()

    class CpuFeatures:                  # the repository's files hold CPU features of the CUDA encoder
        def forward(self, x):
            return enc.forward(x.cuda()).float()
        def evaluate(self):
            return self
    gan = tmp_path / 'gan'
    gan.mkdir()
    write_data(gan, CpuFeatures())
    netG, _, record = main_cls_int.main(changes(gan, gpu=1, txtSize=cvpr.IMAGE_DIM, niter=2, save_every=2,
                                                cls_weight=0.5, interp_weight=1, interp_type=2), Display())
    assert np.isfinite(record['errD']).all() and np.isfinite(record['errG']).all()
    (tmp_path / 'queries.txt').write_text('a red bird\nthe bird is blue\n')
    monkeypatch.chdir(tmp_path)
    generated = txt2img_demo.main(dict(checkpoint_dir=str(gan / 'checkpoints'), net_gen='experiment_long_2_net_G.t7',
                                       net_txt=checkpoint, queries='queries.txt', batchSize=4, nz=10))
    assert [g.size() for g in generated] == [(4, 3, 64, 64)] * 2
    assert all(0 <= float(g.min()) and float(g.max()) <= 1 for g in generated)
    grid = image.load(str(tmp_path / 'results' / 'cub' / 'img_1.png'))
    assert grid.size(0) == 3 and grid.size(1) > 64
    assert (tmp_path / 'results' / 'cub' / 'img_2.txt').read_text() == 'the bird is blue\n'
    assert (tmp_path / 'cub.html').exists()


def test_main_cls_int_without_replication_averages_each_images_captions(tmp_path):
    """``replicate=0``: the donkey's sample_no_repl gives numCaption text rows per image, and netR (Reshape,
    Transpose, Mean) averages them into one text code per image before D and G see it."""
    lg.manualSeed(1)
    enc = text_encoder()
    write_data(tmp_path, enc)
    feats = [enc.forward(one_hot(c)).clone().numpy() for c in CAPTIONS]
    netG, netD, record = main_cls_int.main(changes(tmp_path, replicate=0, niter=2, save_every=100), Display())
    assert np.isfinite(record['errD']).all() and np.isfinite(record['errG']).all()
    mixes = [(k * f[0] + (4 - k) * f[1]) / 4 for f in feats for k in range(5)]   # 4 draws of a class's 2 captions
    for txt in record['txt']:
        assert txt.size() == (8, TXT_SIZE)
        for row in txt.numpy():
            assert min(np.abs(row - m).max() for m in mixes) < 1e-6
