"""reedscot/nips2016 (GAWWN, "Learning What and Where to Draw") run through its port, tests/porting/gawwn/
(main_cub_keypoints.lua, data/data.lua, data/donkey_folder_cub_keypoint_and_image.lua, util.lua, CropInvert.lua; the
package's docstring lists the files and what is not ported), on top of the reedscot/icml2016 port (its data.lua)
and the reedscot/cvpr2016 one: the text features are the char-CNN-RNN's embeddings of each image's captions, as
test_icml2016.py builds them.

Stand-ins: CUB's images and part annotations are replaced by a tiny synthetic set each test writes in the layout
the keypoint donkey reads (one Torch7 file ``{img=..., txt=..., parts=...}`` per image under data_root, the images
under img_dir): 150x150 PNG images of a flat colour per class with a white dot at each visible keypoint of 15
(CUB's part count), parts as 1-based pixel x, y and a visibility flag. The image sizes are the script's (loadSize
150, fineSize 128, keypoint_dim 16: the layers fix them), the widths (nz, nt, ngf, ndf, txtSize) and the batch
are small."""
import numpy as np
import pytest

import legonn as lg
from legonn import image, threads

from ..checks import assert_jacobian
from .gawwn import CropInvert, util
from .gawwn import main_cub_keypoints
from .test_icml2016 import COLOURS, TXT_SIZE, one_hot, text_encoder
from .test_icml2016 import Display as IcmlDisplay

pytestmark = pytest.mark.usefixtures('double_default')

CAPTIONS = [['a red bird', 'this bird is red', 'red wings', 'red all over', 'a small red bird'],
            ['a blue bird', 'the bird is blue', 'blue wings', 'blue all over', 'a small blue bird'],
            ['a green bird', 'green wings', 'this bird is green', 'green all over', 'a small green bird'],
            ['a yellow bird', 'yellow all over', 'yellow wings', 'this bird is yellow', 'a small yellow bird']]
NUM_PARTS = 15
SIDE = 150


def write_data(root, enc, per_class=2, seed=0):
    """Returns each file's parts (n x 15 x 3) in file order."""
    rng = np.random.RandomState(seed)
    (root / 'images').mkdir()
    (root / 'files').mkdir()
    parts = []
    for c in range(len(CAPTIONS)):
        feats = enc.forward(one_hot(CAPTIONS[c])).clone()
        for k in range(per_class):
            pixels = np.clip(np.array(COLOURS[c])[:, None, None] * 0.6 + 0.02 * rng.randn(3, SIDE, SIDE), 0, 0.8)
            p = np.zeros((NUM_PARTS, 3))
            p[:, 0] = rng.randint(20, SIDE - 20, NUM_PARTS)          # 1-based pixel x, y, as CUB's parts.txt
            p[:, 1] = rng.randint(20, SIDE - 20, NUM_PARTS)
            p[:, 2] = rng.rand(NUM_PARTS) < 0.7
            for x, y, v in p:
                if v:
                    pixels[:, int(y) - 1, int(x) - 1] = 1.0
            img = 'class_%d_%d.png' % (c + 1, k)
            image.save(str(root / 'images' / img), lg.Tensor(pixels))
            name = '%d_%d.t7' % (c + 1, k)
            lg.save(str(root / 'files' / name), {'img': img, 'txt': feats, 'parts': lg.Tensor(p)})
            parts.append(p)
    return parts


class Display(IcmlDisplay):
    """the ``display`` package: ``configure`` and ``image``, recorded."""

    def configure(self, options):
        self.options = options


def changes(root, **more):
    opt = dict(dataset='cub_keypoint_and_image', data_root=str(root / 'files'), img_dir=str(root / 'images'),
               checkpoint_dir=str(root / 'checkpoints'), batchSize=4, txtSize=TXT_SIZE, nt=8, nz=10, ngf=4, ndf=4,
               nThreads=0, niter=4, gpu=0, use_cudnn=0, display=1, save_every=4, lr=0.002, name='cub_kp')
    opt.update(more)
    return opt


def test_main_cub_keypoints_trains_the_keypoint_conditioned_gan(tmp_path):
    """main_cub_keypoints.lua with its matching-aware D (cls_weight 0.5): D and G step by adam over 8 epochs of
    2 batches, both losses finite and falling; the display is configured and fed the fakes and the real batch;
    checkpoints are written and the saved G draws 128x128 images from noise, a text code and keypoint maps.
    (Over 4 epochs the GAN's losses were within their step-to-step noise: a change of summation order in
    BatchNormalization turned the first three steps' mean D loss from below the last three's to above.)"""
    lg.manualSeed(0)
    write_data(tmp_path, text_encoder())
    disp = Display()
    netG, netD, record = main_cub_keypoints.main(changes(tmp_path, niter=8), disp)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert len(errD) == 16 and np.isfinite(errD).all() and np.isfinite(errG).all()
    assert errD[-3:].mean() < errD[:3].mean()       # D learns (against G, real images, shuffled texts)
    assert errG[-3:].mean() < errG[:3].mean()       # and G learns to fool it
    assert np.isfinite(record['D_real']).all() and np.isfinite(record['D_fake']).all()
    assert disp.options == {'hostname': '0.0.0.0', 'port': 8000}
    assert disp.shown[0] == ((4, 3, 128, 128), 10) and disp.shown[1] == ((4, 3, 128, 128), 30)
    saved = tmp_path / 'checkpoints' / 'cub_kp_4_net_G.t7'
    G = lg.load(str(saved))
    loc = lg.zeros(2, NUM_PARTS, 16, 16)
    loc[0, 3, 5, 7] = 1
    fake = G.forward([[lg.randn(2, 10), lg.randn(2, TXT_SIZE)], loc])
    assert fake.size() == (2, 3, 128, 128) and float(fake.abs().max()) <= 1
    assert lg.load(str(tmp_path / 'checkpoints' / 'cub_kp_4_opt.t7'))['num_elt'] == NUM_PARTS


def test_keypoint_donkey_moves_keypoints_with_the_crop_and_flip(tmp_path, reproducible_workers):
    """data.lua with one donkey thread running donkey_folder_cub_keypoint_and_image.lua: each keypoint the donkey
    returns (a fraction of the 128x128 crop) lands on the white dot the image has at that part, through the random
    crop and flip; the keypoint maps hold a 1 at each visible part's 16x16 cell; the text code is the mean of
    numCaption of the file's captions but the held-out ones; the debug images have the keypoints drawn as blue boxes."""
    from .gawwn.data.data import data
    enc = text_encoder()
    write_data(tmp_path, enc)
    feats = [enc.forward(one_hot(c)).clone().numpy() for c in CAPTIONS]
    opt = changes(tmp_path, nThreads=1, manualSeed=5, loadSize=SIDE, fineSize=128, num_elt=NUM_PARTS,
                  keypoint_dim=16, numCaption=4, num_holdout=1)
    loader = data.new(1, 'cub_keypoint_and_image', opt)
    assert loader.size() == 8
    img, txt, loc, dbg, raw = loader.getBatch()
    loader.threads.terminate()
    assert img.size() == (4, 3, 128, 128) and loc.size() == (4, NUM_PARTS, 16, 16) and raw.size() == (4, 15, 3)
    dots = 0
    for n in range(4):
        for s in range(NUM_PARTS):
            x, y, v = raw[n, s].tolist()
            if v > 0.1:
                col, row = lg.round(x * 128), lg.round(y * 128)     # 1-based pixel of the crop
                cx, cy = min(16, max(1, lg.round(x * 16))), min(16, max(1, lg.round(y * 16)))
                assert loc[n, s, cy - 1, cx - 1] == 1 and float(loc[n, s].sum()) == 1
                if 1 < col < 128 and 1 < row < 128:              # not clamped to the border by the crop
                    assert float(img[n, :, row - 1, col - 1].min()) > 0.9      # the white dot
                    dots += 1
                    assert dbg[n, 2, row - 4, col - 1] == 1 or dbg[n, 2, row + 2, col - 1] == 1   # box rows y-3, y+3
            else:
                assert float(loc[n, s].sum()) == 0
        # num_holdout 1 holds out the last of 5 captions: the mean of numCaption (4) of the other 4 is theirs
        assert min(np.abs(txt[n].numpy() - f[:4].mean(0)).max() for f in feats) < 1e-5
    assert dots > 10


def test_crop_invert_inverts_affine_crops_and_its_gradient_is_exact():
    """CropInvert.lua's output is util.lua's invert_affine, and inverting twice gives the crop back; its
    hand-written gradInput agrees with central differences."""
    aff = lg.zeros(3, 2, 3)
    aff[:, 0, 0].uniform(0.3, 0.9)
    aff[:, 1, 1].uniform(0.3, 0.9)
    aff[:, :, 2].uniform(-0.5, 0.5)
    m = CropInvert.CropInvert()
    inv = m.forward(aff).clone()
    assert np.allclose(inv.numpy(), util.invert_affine(aff).numpy())
    assert np.allclose(m.forward(inv).numpy(), aff.numpy())
    assert inv[1, 0, 1] == 0 and inv[1, 0, 2] == -aff[1, 0, 2] / aff[1, 0, 0]
    assert_jacobian(m, aff, minval=0.3, maxval=0.9)


def test_util_boxes_and_keypoints():
    """util.lua: affine_to_bbox gives the normalized box [x, y, w, h] an affine crop covers; draw_box paints a
    box's 1-based pixel outline blue; draw_keypoints draws a box around each visible keypoint only."""
    aff = lg.zeros(1, 2, 3)
    aff[0, 0, 0], aff[0, 1, 1], aff[0, 0, 2], aff[0, 1, 2] = 0.5, 0.25, 0.2, -0.4
    assert np.allclose(util.affine_to_bbox(None, aff).numpy().ravel(), [0.175, 0.35, 0.25, 0.5])
    img = util.draw_box(lg.zeros(3, 10, 10), lg.Tensor([0.2, 0.3, 0.5, 0.4]), 1)
    blue = img[2].numpy()
    expected = np.zeros((10, 10))
    expected[2, 1:6] = expected[6, 1:6] = 1                   # rows y=3 and y+h=7, columns x=2 .. x+w-1=6 (1-based)
    expected[2:6, 1] = expected[2:6, 6] = 1                   # columns x=2 and x+w=7, rows 3 .. 6
    assert (blue == expected).all() and float(img[0].sum()) == 0
    points = lg.Tensor([[20, 30, 1], [60, 60, 0]])
    drawn = util.draw_keypoints(lg.zeros(3, 100, 100), points)
    assert drawn[2, 27 - 1, 20 - 1] == 1 and float(drawn[2, 50:, 50:].sum()) == 0
    with pytest.raises(NameError):
        util.normalize_box(lg.zeros(3, 4, 4), lg.Tensor([1, 1, 2, 2]))      # the Lua's nil `w_sc`


def write_bbox_data(root, enc, per_class=2, seed=0):
    """The bbox donkey's files: each image a dark background with a bird-coloured box, its ``loc`` (4 x 1: 1-based
    pixel x, y, width, height) that box."""
    rng = np.random.RandomState(seed)
    (root / 'images').mkdir()
    (root / 'files').mkdir()
    for c in range(len(CAPTIONS)):
        feats = enc.forward(one_hot(CAPTIONS[c])).clone()
        for k in range(per_class):
            x, y = rng.randint(10, 50, 2)
            w, h = rng.randint(50, 90, 2)
            pixels = np.full((3, SIDE, SIDE), 0.1)
            pixels[:, y - 1:y - 1 + h, x - 1:x - 1 + w] = np.array(COLOURS[c])[:, None, None]
            img = 'class_%d_%d.png' % (c + 1, k)
            image.save(str(root / 'images' / img), lg.Tensor(pixels))
            loc = lg.Tensor([[x], [y], [w], [h]])
            lg.save(str(root / 'files' / ('%d_%d.t7' % (c + 1, k))), {'img': img, 'txt': feats, 'loc': loc})


def test_bbox_donkey_gives_the_affine_crop_of_the_box(tmp_path):
    """donkey_folder_cub_bbox_and_image.lua: the box it returns as an affine crop, sampled from the image by stn's
    AffineGridGeneratorBHWD and BilinearSamplerBHWD (as D's region pathway samples its features), is the bird's
    colour all over; its inverse (main_cub_bbox.lua's netI, CropInvert) places a 16x16 map inside the box of a
    16x16 canvas (G's region pathway) and nowhere else; the debug image has the box drawn."""
    from legonn import nn
    enc = text_encoder()
    write_bbox_data(tmp_path, enc)
    threads.local.opt = opt = changes(tmp_path, loadSize=SIDE, fineSize=128, num_elt=1, numCaption=4, num_holdout=1)
    from .gawwn.data import donkey_folder_cub_bbox_and_image as bbox_donkey
    bbox_donkey.run()
    lg.manualSeed(3)
    img, txt, loc, dbg = threads.local.trainLoader.sample(4)
    assert img.size() == (4, 1, 3, 128, 128) and loc.size() == (4, 1, 2, 3) and txt.size() == (4, 1, TXT_SIZE)
    colours = np.array(COLOURS) * 2 - 1
    hwc = img.select(1, 0).transpose(1, 2).transpose(2, 3).contiguous()
    crop = nn.BilinearSamplerBHWD().forward([hwc, nn.AffineGridGeneratorBHWD(16, 16).forward(loc.view(-1, 2, 3))])
    inner = crop[:, 3:13, 3:13, :].numpy()     # away from the box edges (the Lua rounds them to a pixel or two)
    for n in range(4):
        cls = np.abs(colours - inner[n].mean((0, 1))).sum(1).argmin()
        assert np.abs(inner[n] - colours[cls]).max() < 0.05
        assert float(dbg[n, 0, 1].max()) == 1.0             # the box drawn in the green channel (num_elt * 1)
    netI = nn.Sequential().add(nn.View(-1, 2, 3)).add(CropInvert.CropInvert()).add(nn.View(-1, 1, 2, 3))
    loc_g = netI.forward(loc)
    ones = lg.ones(4, 16, 16, 1)
    placed = nn.BilinearSamplerBHWD().forward([ones, nn.AffineGridGeneratorBHWD(16, 16).forward(loc_g.view(-1, 2, 3))])
    for n in range(4):
        s_y, t_y = float(loc[n, 0, 0, 0]), float(loc[n, 0, 0, 2])
        s_x, t_x = float(loc[n, 0, 1, 1]), float(loc[n, 0, 1, 2])
        ys = np.linspace(-1, 1, 16)                          # the grid's normalized coordinates
        inside = (np.abs(ys - t_y)[:, None] < s_y - 0.15) & (np.abs(ys - t_x)[None, :] < s_x - 0.15)
        outside = (np.abs(ys - t_y)[:, None] > s_y + 0.15) | (np.abs(ys - t_x)[None, :] > s_x + 0.15)
        mask = placed[n, :, :, 0].numpy()
        assert (mask[inside] > 0.99).all() and (mask[outside] < 0.01).all() and inside.any()


@pytest.mark.gpu
def test_main_cub_bbox_trains_on_the_gpu(tmp_path):
    """main_cub_bbox.lua as the repository runs it (it requires cudnn, so CUDA: ``gpu=1``, ``use_cudnn=1``,
    scripts/train_cub_bbox.sh's num_elt 1 and num_holdout 1): D and G step by adam, the losses finite,
    G's falling; G's boxes are the inverses of the real ones; the display shows the fakes with their boxes drawn."""
    from .gawwn import main_cub_bbox
    lg.manualSeed(0)
    write_bbox_data(tmp_path, text_encoder())
    disp = Display()
    netG, netD, netI, record = main_cub_bbox.main(changes(tmp_path, gpu=1, use_cudnn=1, num_elt=1, numCaption=4,
                                                          num_holdout=1, name='cub_bbox', dataset='cub_bbox_and_image',
                                                          niter=6, save_every=6), disp)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert len(errD) == 12 and np.isfinite(errD).all() and np.isfinite(errG).all()
    assert errG[-3:].mean() < errG[:3].mean() and np.ptp(errD) > 1e-3     # G learns; D moves (near 1.4 this soon)
    loc, loc_g = record['loc'][0], record['loc_g'][0]
    assert np.allclose(loc_g[:, 0, 0, 0].numpy(), 1 / loc[:, 0, 0, 0].numpy(), rtol=1e-5)
    assert disp.shown[0] == ((4, 3, 128, 128), 10)
    G = lg.load(str(tmp_path / 'checkpoints' / 'cub_bbox_6_net_G.t7'))
    assert lg.typename(G) == 'nn.Sequential'


def test_main_gen_keypoints_fills_in_the_missing_keypoints(tmp_path):
    """main_gen_keypoints.lua (scripts/train_cub_gen_keypoints.sh's dataset cub_keypoint_only, the keypoint-only
    donkey, num_holdout 1; ngf = ndf as there, since its D builds ``Linear(.., ngf*4)`` into
    ``BatchNormalization(ndf*4)``): D and G step by adam with finite losses; each generated keypoint set keeps
    the given (not dropped, visible) keypoints exactly and fills the others with G's sigmoid outputs in (0, 1)."""
    from .gawwn import main_gen_keypoints
    lg.manualSeed(0)
    write_data(tmp_path, text_encoder())
    disp = Display()
    netG, netD, record = main_gen_keypoints.main(changes(tmp_path, dataset='cub_keypoint_only', num_holdout=1,
                                                         drop_prob=0.5, niter=6, save_every=6), disp)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert len(errD) == 12 and np.isfinite(errD).all() and np.isfinite(errG).all()
    assert errG[-3:].mean() != errG[:3].mean() and errD[-3:].mean() < errD[:3].mean()
    kept = 0
    for given, fake in zip(record['loc_g'], record['fake']):
        given, fake = given.numpy(), fake.numpy()
        on = given[:, :, 2] == 1
        assert np.array_equal(fake[on], given[on])
        assert ((fake[~on] > 0) & (fake[~on] < 1)).all()
        kept += on.sum()
    assert 0 < kept < 12 * 4 * NUM_PARTS
    assert disp.shown[0] == ((4, 3, 128, 128), 10)
    assert (tmp_path / 'checkpoints' / 'cub_kp_6_net_G.t7').exists()


def test_data_new_names_its_datasets():
    """data.lua's chain: an unknown name raises its 'Unknown dataset' error; MHP's two names have their donkeys
    (test_gawwn_mhp.py runs them); icml2016's names are not this data.lua's."""
    from .gawwn.data import donkey_folder_mhp_keypoint, donkey_folder_mhp_keypoint_and_image
    from .gawwn.data.data import data
    with pytest.raises(ValueError, match='Unknown dataset: cub_parts'):
        data.new(0, 'cub_parts', {})        # main_cub_keypoints.lua's default dataset name has no donkey
    with pytest.raises(ValueError, match='Unknown dataset: mhp'):
        data.new(0, 'mhp', {})              # nor main_mhp.lua's
    assert data.donkey_file('mhp_keypoint_only') is donkey_folder_mhp_keypoint
    assert data.donkey_file('mhp_keypoint_and_image') is donkey_folder_mhp_keypoint_and_image
    with pytest.raises(ValueError, match='Unknown dataset: cub'):
        data.new(0, 'cub', {})
