"""reedscot/icml2016 run through its port, tests/porting/icml2016/ (main_cls_int.lua, txt2img_demo.lua, data/data.lua,
data/donkey_folder_txt.lua; the package's docstring lists the files and what is not ported), on top of the
reedscot/cvpr2016 port (tests/porting/cvpr2016/): the text features the GAN conditions on are the char-CNN-RNN's
(HybridCNN with FixedRNN) embeddings of each image's captions, as the repository's CUB files hold them.

Stand-ins: CUB's images and its classes are replaced by a tiny synthetic set each test writes in the layout
donkey_folder_txt.lua reads (classnames, trainids, one directory per class of Torch7 files ``{img=..., txt=...}``,
80x80 PNG images, a flat colour per class with noise); the image sizes are the script's (loadSize 76, fineSize 64: the
layers fix 64x64), the widths (nz, nt, ngf, ndf, txtSize) and the batch are small. ``display`` (the Lua's
``require 'display'``) is a recorder."""
import math

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
