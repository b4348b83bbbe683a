"""reedscot/nips2016 (GAWWN)'s MHP half run through its port, tests/porting/gawwn/: main_mhp.lua,
data/donkey_folder_mhp_keypoint_and_image.lua, data/donkey_folder_mhp_keypoint.lua, main_gen_keypoints.lua on the
MHP keypoints (scripts/train_mhp_gen_keypoints.sh), demo_mhp_keypoints_given.lua and demo_mhp_keypoints_gen.lua.
test_gawwn.py runs the CUB half; this file imports its display recorder and option table and test_icml2016.py's
text encoder.

Stand-ins: the MPII human-pose images and their Torch7 annotation files are a tiny synthetic set each test writes
in the layout the MHP donkeys read (one file per image under data_root, ``{img, txt, char, has_kp, points, pos,
scale, head, single_person, act_name, cat_name}``, the images under img_dir, the training subset a Torch7 list of
names): 200x200 PNG images of a flat colour per class with a white dot at each visible joint of 16 and at the head
box's centre, two people per image of whom the one ``single_person`` names is the one at ``pos`` (scale 0.64: the
script's 220-pixel box per unit of scale is 140 pixels, loadSize, so that the crop keeps the dots' pixels). Files the
donkeys must skip are black: no keypoints, two single people, or a category (an activity) they do not know."""
import re

import numpy as np
import pytest

import legonn as lg
from legonn import image

from .test_gawwn import Display, changes
from .test_icml2016 import ALPHABET, COLOURS, TXT_SIZE, one_hot, text_encoder

pytestmark = pytest.mark.usefixtures('double_default')

CAPTIONS = [['a man skiing', 'a skier going down', 'skiing on snow', 'a person on skis', 'a man on skis'],
            ['a woman swimming', 'a swimmer in a lake', 'swimming laps', 'a person swimming', 'a girl swims'],
            ['a man playing tennis', 'tennis on a court', 'a tennis player', 'a man with a racket', 'tennis'],
            ['a man playing golf', 'a golfer swings', 'golf on grass', 'a person golfing', 'golf swing']]
ACTIVITIES = [('skiing, downhill', 'winter activities'), ('swimming, general', 'water activities'),
              ('tennis', 'sports'), ('golf', 'sports')]
NUM_JOINTS = 16
SIDE = 200
SCALE = 0.64            # ceil(0.64 * 200 * 1.1) = 141: a 140-pixel crop (w2 - w1), loadSize's


def chars(caption, doc_length=201):
    """the ``char`` column of a caption: the Lua's alphabet codes, from 1, 0 past the caption's end."""
    col = lg.zeros(doc_length)
    for t, ch in enumerate(caption):
        col[t] = ALPHABET.index(ch) + 1
    return col


def person(rng):
    """16 joints (1-based pixel x, y, visible) inside the 140-pixel box around (100, 100), and a head box whose
    centre is a whole pixel."""
    p = np.zeros((3, NUM_JOINTS))
    p[0] = rng.randint(40, 160, NUM_JOINTS)
    p[1] = rng.randint(40, 160, NUM_JOINTS)
    p[2] = rng.rand(NUM_JOINTS) < 0.75
    hx, hy = rng.randint(50, 150, 2)
    return p, np.array([hx - 6, hy - 8, hx + 6, hy + 8])


def write_mhp_data(root, enc, per_class=2, seed=0):
    """Returns {file name: the single person's 16 joints and head (17 x 3)} of the files the donkeys may return."""
    rng = np.random.RandomState(seed)
    (root / 'images').mkdir()
    (root / 'files').mkdir()
    people = {}
    names = []

    def write(name, colour, feats, captions, has_kp, single, act, cat):
        pixels = np.clip(np.array(colour)[:, None, None] * 0.6 + 0.02 * rng.randn(3, SIDE, SIDE), 0, 0.8)
        pts = np.zeros((3, NUM_JOINTS, 2))
        heads = np.zeros((4, 2))
        pts[:, :, 0], heads[:, 0] = person(rng)
        pts[:, :, 1] = pts[:, :, 0]                      # the second person: elsewhere, not at pos
        pts[:2, :, 1] = 5
        k = single - 1 if isinstance(single, int) else 0
        for x, y, v in pts[:, :, 0].T:
            if v:
                pixels[:, int(y) - 1, int(x) - 1] = 1.0
        hx, hy = (heads[0, 0] + heads[2, 0]) / 2, (heads[1, 0] + heads[3, 0]) / 2
        pixels[:, int(hy) - 1, int(hx) - 1] = 1.0
        if k == 1:                                        # the single person is the second: swap them
            pts = pts[:, :, ::-1].copy()
            heads = heads[:, ::-1].copy()
        image.save(str(root / 'images' / (name + '.png')), lg.Tensor(pixels))
        sp = lg.Tensor([[single]]) if isinstance(single, int) else lg.Tensor([single])
        info = {'img': name + '.png', 'txt': feats, 'char': lg.stack([chars(c) for c in captions], 1),
                'has_kp': lg.Tensor([[has_kp]]), 'points': lg.Tensor(pts), 'pos': lg.Tensor([[100, 100], [100, 100]]),
                'scale': lg.Tensor([[SCALE, SCALE]]), 'head': lg.Tensor(heads), 'single_person': sp,
                'act_name': act, 'cat_name': cat}
        lg.save(str(root / 'files' / (name + '.t7')), info)
        names.append(name + '.t7')
        if has_kp == 1 and isinstance(single, int):
            j = single - 1
            people[name + '.t7'] = np.concatenate([pts[:, :, j].T, [[hx, hy, 1.0]]])

    for c in range(len(CAPTIONS)):
        feats = enc.forward(one_hot(CAPTIONS[c])).clone()
        for k in range(per_class):
            write('class_%d_%d' % (c + 1, k), COLOURS[c], feats, CAPTIONS[c], 1, 1 + k % 2, *ACTIVITIES[c])
    black = (0, 0, 0)
    feats = enc.forward(one_hot(CAPTIONS[0])).clone()
    write('no_keypoints', black, feats, CAPTIONS[0], 0, 1, *ACTIVITIES[0])
    write('two_people', black, feats, CAPTIONS[0], 1, [1, 2], *ACTIVITIES[0])
    write('unknown', black, feats, CAPTIONS[0], 1, 1, 'bowling', 'bowling')
    lg.save(str(root / 'subset.t7'), names)
    return people


def mhp_changes(root, **more):
    """scripts/train_mhp.sh's settings (num_holdout 1, num_elt 17, loadSize 140, fineSize 128, numCaption 2, the
    subset file, ELU in D) with test_gawwn.py's small widths."""
    opt = changes(root, dataset='mhp_keypoint_and_image', num_holdout=1, num_elt=17, loadSize=140, fineSize=128,
                  numCaption=2, keypoint_dim=16, trainfiles=str(root / 'subset.t7'), activationG='relu',
                  activationD='elu', name='mhp')
    opt.update(more)
    return opt


def test_mhp_donkey_crops_the_single_person_and_moves_the_keypoints(tmp_path, reproducible_workers):
    """data.lua with one donkey thread running donkey_folder_mhp_keypoint_and_image.lua: only files with keypoints,
    one single person and a known activity come back; each keypoint (a fraction of the 128x128 crop, 16 joints and
    the head's centre) lands on its white dot through the person crop, the random crop and the flip; the maps hold
    a 1 at each visible keypoint's 16x16 cell; the raw keypoints are in the crop's pixels; the text code is the mean
    of numCaption (2) of the file's captions but the held-out last one."""
    from .gawwn.data.data import data
    enc = text_encoder()
    people = write_mhp_data(tmp_path, enc)
    feats = [enc.forward(one_hot(c)).clone().numpy() for c in CAPTIONS]
    loader = data.new(1, 'mhp_keypoint_and_image', mhp_changes(tmp_path, nThreads=1, manualSeed=5, batchSize=8))
    assert loader.size() == 11
    dots = 0
    for _ in range(2):
        img, txt, loc, dbg, raw = loader.getBatch()
        assert img.size() == (8, 3, 128, 128) and loc.size() == (8, 17, 16, 16) and raw.size() == (8, 17, 3)
        assert float(dbg.abs().sum()) == 0                  # data_dbg is never filled
        for n in range(8):
            assert float(img[n].max(0)[0].mean()) > -0.5     # not a black (skipped) file
            for s in range(17):
                col, row, v = raw[n, s].tolist()             # 1-based pixels of the crop
                if v > 0.1:
                    cx = min(16, max(1, lg.round(col / 128 * 16)))
                    cy = min(16, max(1, lg.round(row / 128 * 16)))
                    assert loc[n, s, cy - 1, cx - 1] == 1 and float(loc[n, s].sum()) == 1
                    if 1 < col < 128 and 1 < row < 128:
                        assert float(img[n, :, int(row) - 1, int(col) - 1].min()) > 0.9
                        dots += 1
                else:
                    assert float(loc[n, s].sum()) == 0
            # two of the four non-held-out captions, averaged
            t = txt[n].numpy()
            f = next(f for f in feats if min(np.abs(t - (f[i] + f[j]) / 2).max()
                                             for i in range(4) for j in range(4) if i != j) < 1e-5)
            assert f is not None
    loader.threads.terminate()
    assert dots > 40
    assert all(p[16, 2] == 1 for p in people.values())       # every head box is visible


def test_mhp_keypoint_donkey_without_subset_filters_by_category(tmp_path):
    """donkey_folder_mhp_keypoint.lua run in this thread (data.lua's n == 0): with no ``trainfiles`` it reads every
    file under data_root and keeps those of a known category (cls2ix: 'bowling' is not one); it returns the 17
    keypoints themselves, x and y as fractions of the crop whose white dots they mark."""
    from .gawwn.data.data import data
    write_mhp_data(tmp_path, text_encoder())
    lg.manualSeed(3)
    loader = data.new(0, 'mhp_keypoint_only', mhp_changes(tmp_path, trainfiles='', batchSize=6))
    assert loader.size() == 11
    img, txt, loc, dbg = loader.getBatch()
    assert loc.size() == (6, 17, 3) and txt.size() == (6, TXT_SIZE)
    marked = 0
    for n in range(6):
        assert float(img[n].max(0)[0].mean()) > -0.5
        for s in range(17):
            x, y, v = loc[n, s].tolist()
            col, row = x * 128, y * 128
            if v > 0.1 and 1 < col < 128 and 1 < row < 128:
                assert abs(col - round(col)) < 1e-6
                assert float(img[n, :, int(round(row)) - 1, int(round(col)) - 1].min()) > 0.9
                marked += 1
    assert marked > 20


def test_main_gen_keypoints_on_the_mhp_keypoints(tmp_path):
    """main_gen_keypoints.lua as scripts/train_mhp_gen_keypoints.sh runs it (dataset mhp_keypoint_only, num_elt 17,
    the subset file, numCaption 1; ngf = ndf as there): D and G step by adam with finite losses, D's falling; G
    keeps each given keypoint (x, y, visibility) exactly and fills the others in (0, 1)."""
    from .gawwn import main_gen_keypoints
    lg.manualSeed(0)
    write_mhp_data(tmp_path, text_encoder())
    disp = Display()
    netG, netD, record = main_gen_keypoints.main(mhp_changes(tmp_path, dataset='mhp_keypoint_only', numCaption=1,
                                                             drop_prob=0.5, niter=6, save_every=6, name='mhp_kp'),
                                                 disp)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert len(errD) == 18 and np.isfinite(errD).all() and np.isfinite(errG).all()
    assert errD[-3:].mean() < errD[:3].mean()
    for given, fake in zip(record['loc_g'], record['fake']):
        given, fake = given.numpy(), fake.numpy()
        on = given[:, :, 2] == 1
        assert fake.shape == (4, 17, 3) and np.array_equal(fake[on], given[on])
        assert ((fake[~on] > 0) & (fake[~on] < 1)).all()
    assert (tmp_path / 'checkpoints' / 'mhp_kp_6_net_G.t7').exists()


@pytest.mark.gpu
def test_main_mhp_trains_and_the_demos_draw_people(tmp_path, monkeypatch):
    """main_mhp.lua as scripts/train_mhp.sh runs it (it requires cudnn: ``gpu=1``, ``use_cudnn=1``; fake_score_thresh
    0.2, ELU in D, dropout 0.2): D steps while its running score on fakes is above the threshold, G always; the
    losses are finite and G's falls; the display shows the fakes, the real crops with their keypoints drawn (blue
    boxes) and the keypoint maps' maximum over keypoints. Then demo_mhp_keypoints_given.lua samples from the saved G
    with each file's keypoints and held-out caption, and demo_mhp_keypoints_gen.lua with the keypoints of
    main_gen_keypoints.lua's saved G: each writes its 3-sample strips and an HTML page listing the captions."""
    from .gawwn import demo_mhp_keypoints_gen, demo_mhp_keypoints_given, main_gen_keypoints, main_mhp
    lg.manualSeed(0)
    enc = text_encoder()
    write_mhp_data(tmp_path, enc)
    lg.save(str(tmp_path / 'net_txt.t7'), enc)
    disp = Display()
    netG, netD, record = main_mhp.main(mhp_changes(tmp_path, gpu=1, use_cudnn=1, fake_score_thresh=0.2, dropout=0.2,
                                                   niter=4, save_every=4, init_t=str(tmp_path / 'net_txt.t7')), disp)
    errD, errG = np.array(record['errD']), np.array(record['errG'])
    assert len(errG) == 12 and np.isfinite(errD).all() and np.isfinite(errG).all()
    assert errG[-3:].mean() < errG[:3].mean()
    assert record['stepD'][0] is True            # fake_score starts at 0.5
    assert disp.options == {'hostname': '0.0.0.0', 'port': 8000}
    assert [shown for shown in disp.shown[:3]] == [((4, 3, 128, 128), 10), ((4, 3, 128, 128), 30),
                                                   ((4, 3, 16, 16), 70)]
    net_gen = str(tmp_path / 'checkpoints' / 'mhp_4_net_G.t7')

    monkeypatch.chdir(tmp_path)
    demo_mhp_keypoints_given.main(dict(net_gen=net_gen, net_txt=str(tmp_path / 'net_txt.t7'), nz=10, batchSize=4,
                                       nsample=2, txtSize=TXT_SIZE, data_root=str(tmp_path / 'files'),
                                       img_dir=str(tmp_path / 'images'), trainfiles=str(tmp_path / 'subset.t7')))
    strip = image.load(str(tmp_path / 'results' / 'mhp_kp_given' / 'mhp_keypoints_given_2.png'), 3)
    assert tuple(strip.size()) == (3, 128 + 4, 3 * (128 + 4))      # 3 images in a row, each padded by 4
    px = strip.numpy()
    blue = (px[0] == 0) & (px[1] == 0) & (px[2] == 1)                 # the keypoints' boxes
    assert 0 < blue.sum() < 0.2 * 132 * 396
    html = (tmp_path / 'results' / 'mhp_keypoints_given.html').read_text()
    # each file's last caption (num_holdout's held-out one), decoded from its char codes
    listed = re.findall(r'<tr><td>([^<]*)</td><td><img src=', html)
    assert len(listed) == 2 and set(listed) <= {c[-1] for c in CAPTIONS}
    assert 'mhp_kp_given/mhp_keypoints_given_1.png' in html

    lg.manualSeed(1)
    main_gen_keypoints.main(mhp_changes(tmp_path, dataset='mhp_keypoint_only', numCaption=1, niter=1, save_every=1,
                                        name='mhp_kp', gpu=1, use_cudnn=1), Display())
    demo_mhp_keypoints_gen.found = None
    demo_mhp_keypoints_gen.main(dict(net_gen=net_gen, net_txt=str(tmp_path / 'net_txt.t7'),
                                     net_kp=str(tmp_path / 'checkpoints' / 'mhp_kp_1_net_G.t7'), nz=10, batchSize=4,
                                     nsample=2, txtSize=TXT_SIZE, data_root=str(tmp_path / 'files'),
                                     img_dir=str(tmp_path / 'images'), trainfiles=str(tmp_path / 'subset.t7')))
    strip = image.load(str(tmp_path / 'results' / 'mhp_kpgen' / 'mhp_keypoints_gen_2.png'), 3)
    assert tuple(strip.size()) == (3, 132, 396)
    html = (tmp_path / 'results' / 'mhp_keypoints_gen.html').read_text()
    assert len(re.findall(r'<tr><td>([^<]*)</td><td><img src=', html)) == 2
    assert demo_mhp_keypoints_gen.found is True
    keypoints = demo_mhp_keypoints_gen.fea_loc
    assert keypoints.size() == (4, 17, 3) and float(keypoints.min()) > 0 and float(keypoints.max()) < 1


def test_donkeys_have_their_own_default_tensor_type(tmp_path):
    """docs/porting.md's row: Torch7 keeps the default type per Lua state, and each donkey is a fresh state, so
    main_mhp.lua's ``torch.setdefaulttensortype('torch.FloatTensor')`` before data.lua starts the donkeys does not
    reach them: they build DoubleTensor batches, a fresh state's type (this file's double_default starts every
    thread at Double, as every Lua state starts); and a worker that sets the default sets its own only. Before the
    default was per thread, the donkeys built the main's FloatTensor batches and a worker's call changed the main
    thread's default."""
    from legonn import threads
    from .gawwn.data.data import data
    write_mhp_data(tmp_path, text_encoder())
    lg.setdefaulttensortype('torch.FloatTensor')
    loader = data.new(1, 'mhp_keypoint_only', mhp_changes(tmp_path, batchSize=2, manualSeed=1))
    img, txt, loc, dbg = loader.getBatch()
    loader.threads.terminate()
    assert img.type() == txt.type() == loc.type() == 'torch.DoubleTensor'
    pool = threads.Threads(1, lambda: lg.setdefaulttensortype('torch.HalfTensor'))
    made = []
    pool.addjob(lambda: lg.Tensor(1).type(), made.append)
    pool.synchronize()
    pool.terminate()
    assert made == ['torch.HalfTensor'] and lg.getdefaulttensortype() == 'torch.FloatTensor'
