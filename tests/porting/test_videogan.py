"""cvondrick/videogan ported line by line: main.lua (the two-stream generator of lines 62-114 --
VolumetricFullConvolution video stream, SpatialFullConvolution static stream, the sigmoid mask with its
L1Penalty, the ``video .* mask + static .* (1 - mask)`` composition through Squeeze/Replicate/CMulTable --, the
VolumetricConvolution discriminator of lines 116-127, ``weights_init`` (lines 130-144), the fDx/fx closures stepped
by ``optim.adam`` (lines 200-273), the per-epoch learning-rate decay of lines 323-332, the checkpoint of lines
312-319), data/data.lua's threaded loader with its donkeys seeded from their ids (tests/porting/cvondrick_data.py,
shared with the soundnet port), data/donkey_video2.lua (a video is one tall image of frames stacked vertically, cut
into ``loadSize`` rows per frame and scaled) and generate.lua (the saved generator run in evaluation mode, its
composition's parts read back and written frame by frame).

Stand-ins and edits, each noted where it is made:
- the videos are tall PNGs drawn from seeded noise and written to a temporary folder (no data set here);
  ``loadSize`` is 8 (the Lua's opt parser takes it from the environment), so a frame is 8x8 scaled up to 64x64;
- the layers fix the volume (32 frames of 64x64); the channel widths (512..64, 64..512) are divided by
  ``opt['shrink']`` so that a step takes well under a second on a CPU, and ``batchSize`` is 2;
- ``display`` (a plotting server) and generate.lua's ``ffmpeg`` call are left out: the frames it would join are
  written and checked;
- the GPU/cudnn lines run in the test marked gpu (``opt.gpu = 1``); display's ``net.output:float()`` reads are
  left out with display.
"""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, cutorch, image, nn, optim, threads
from tests.porting.cvondrick_data import DataLoader

pytestmark = pytest.mark.usefixtures('sharedserialize')


def options(**over):
    """main.lua's opt table (lines 7-33) as the environment would override it for this test."""
    opt = {
        'dataset': 'video2', 'nThreads': 2, 'batchSize': 2, 'loadSize': 8, 'fineSize': 64, 'frameSize': 32,
        'lr': 0.0002, 'lr_decay': 1000, 'lambda': 0.1, 'beta1': 0.5, 'meanIter': 0, 'saveIter': 1000, 'niter': 1,
        'ntrain': math.inf, 'gpu': 0, 'cudnn': 1, 'finetune': '', 'name': 'beach100', 'randomize': 1,
        'cropping': 'random', 'display_port': 8001, 'display_id': 1, 'mean': [0, 0, 0],
        'data_root': None, 'data_list': None,
        'shrink': 16,   # stand-in: divides the hard-coded channel widths (module docstring)
    }
    opt.update(over)
    return opt


# --- data/donkey_video2.lua ---------------------------------------------------------------------------------------

class dataLoader:
    """donkey_video2.lua's ``torch.class('dataLoader')``: a list of videos (tall frame images) sampled with
    replacement."""

    def __init__(self, args):
        for k, v in args.items():
            setattr(self, k, v)

        assert self.frameSize > 0

        if getattr(self, 'filenamePad', None) is None:
            self.filenamePad = 8

        # read text file consisting of frame directories and counts of frames
        self.data = []                                  # tds.Vec()
        with open(args['data_list']) as lines:
            for line in lines:
                split = line.split()
                self.data.append(split[0])

    def size(self):
        return len(self.data)

    # converts a table of samples (and corresponding labels) to a clean tensor
    def tableToOutput(self, dataTable, extraTable):
        quantity = len(dataTable)
        assert dataTable[0].dim() == 4
        data = lg.Tensor(quantity, 3, self.frameSize, self.fineSize, self.fineSize)
        for i in range(len(dataTable)):
            data[i].copy(dataTable[i])
        return data, extraTable

    # sampler, samples with replacement from the training set.
    def sample(self, quantity):
        assert quantity
        dataTable = []
        extraTable = []
        for i in range(quantity):
            idx = lg.random(0, len(self.data))          # torch.random(1, #self.data): 0-based, upper end exclusive
            data_path = self.data_root + '/' + self.data[idx]

            out = self.trainHook(data_path)
            dataTable.append(out)
            extraTable.append(self.data[idx])
        return self.tableToOutput(dataTable, extraTable)

    # gets data in a certain range
    def get(self, start_idx, stop_idx):
        dataTable = []
        extraTable = []
        for idx in range(start_idx, stop_idx + 1):
            data_path = self.data_root + '/' + self.data[idx]

            out = self.trainHook(data_path)
            dataTable.append(out)
            extraTable.append(self.data[idx])
        return self.tableToOutput(dataTable, extraTable)

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path):
        opt = getattr(threads.local, 'opt', None) or vars(self)   # the worker's global ``opt``
        oW = self.fineSize
        oH = self.fineSize

        out = lg.zeros(3, self.frameSize, oW, oH)

        try:
            input = image.load(path, 3, 'float')
        except Exception:
            print('warning: failed loading: ' + path)
            return out

        count = input.size(1) / opt['loadSize']
        t1 = 1

        for fr in range(1, self.frameSize + 1):         # fr counts frames from 1, as the Lua's offsets do
            if fr <= count:
                off = (fr + t1 - 2) * opt['loadSize']
            else:
                off = (count + t1 - 2) * opt['loadSize']  # repeat the last frame
            off = int(off)          # edit: count is a float (Lua's /); a Python index must be an int
            crop = input[:, off:off + opt['loadSize'], :]
            out[:, fr - 1, :, :].copy(image.scale(crop, opt['fineSize'], opt['fineSize']))

        out.mul(2).add(-1)  # make it [0, 1] -> [-1, 1]

        # subtract mean
        for c in range(3):
            out[c, :, :].add(-self.mean[c])

        return out


DONKEYS = {'video2': lambda opt, tid: dataLoader(opt)}     # data.lua's dataset name -> donkey file


# --- main.lua -----------------------------------------------------------------------------------------------------

def build(opt):
    """main.lua lines 61-144: the generator ``net`` and its named parts, the discriminator ``netD``."""
    w = opt['shrink']   # stand-in: the Lua's literal widths divided by it

    net = nn.Sequential()

    static_net = nn.Sequential()
    static_net.add(nn.View(-1, 100, 1, 1))
    static_net.add(nn.SpatialFullConvolution(100, 512 // w, 4, 4))
    static_net.add(nn.SpatialBatchNormalization(512 // w)).add(nn.ReLU(True))
    static_net.add(nn.SpatialFullConvolution(512 // w, 256 // w, 4, 4, 2, 2, 1, 1))
    static_net.add(nn.SpatialBatchNormalization(256 // w)).add(nn.ReLU(True))
    static_net.add(nn.SpatialFullConvolution(256 // w, 128 // w, 4, 4, 2, 2, 1, 1))
    static_net.add(nn.SpatialBatchNormalization(128 // w)).add(nn.ReLU(True))
    static_net.add(nn.SpatialFullConvolution(128 // w, 64 // w, 4, 4, 2, 2, 1, 1))
    static_net.add(nn.SpatialBatchNormalization(64 // w)).add(nn.ReLU(True))
    static_net.add(nn.SpatialFullConvolution(64 // w, 3, 4, 4, 2, 2, 1, 1))
    static_net.add(nn.Tanh())

    net_video = nn.Sequential()
    net_video.add(nn.View(-1, 100, 1, 1, 1))
    net_video.add(nn.VolumetricFullConvolution(100, 512 // w, 2, 4, 4))
    net_video.add(nn.VolumetricBatchNormalization(512 // w)).add(nn.ReLU(True))
    net_video.add(nn.VolumetricFullConvolution(512 // w, 256 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    net_video.add(nn.VolumetricBatchNormalization(256 // w)).add(nn.ReLU(True))
    net_video.add(nn.VolumetricFullConvolution(256 // w, 128 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    net_video.add(nn.VolumetricBatchNormalization(128 // w)).add(nn.ReLU(True))
    net_video.add(nn.VolumetricFullConvolution(128 // w, 64 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    net_video.add(nn.VolumetricBatchNormalization(64 // w)).add(nn.ReLU(True))

    mask_out = nn.VolumetricFullConvolution(64 // w, 1, 4, 4, 4, 2, 2, 2, 1, 1, 1)
    penalty_net = nn.L1Penalty(opt['lambda'], True)
    mask_net = nn.Sequential().add(mask_out).add(nn.Sigmoid()).add(penalty_net)
    gen_net = nn.Sequential().add(nn.VolumetricFullConvolution(64 // w, 3, 4, 4, 4, 2, 2, 2, 1, 1, 1)).add(nn.Tanh())
    net_video.add(nn.ConcatTable().add(gen_net).add(mask_net))

    # [0] is generated video, [1] is mask, and [2] is static
    net.add(nn.ConcatTable().add(net_video).add(static_net)).add(nn.FlattenTable())

    motion_net, sta_part = composition(opt)
    net.add(nn.ConcatTable().add(motion_net).add(sta_part)).add(nn.CAddTable())

    netD = nn.Sequential()
    netD.add(nn.VolumetricConvolution(3, 64 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    netD.add(nn.LeakyReLU(0.2, True))
    netD.add(nn.VolumetricConvolution(64 // w, 128 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    netD.add(nn.VolumetricBatchNormalization(128 // w, 1e-3)).add(nn.LeakyReLU(0.2, True))
    netD.add(nn.VolumetricConvolution(128 // w, 256 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    netD.add(nn.VolumetricBatchNormalization(256 // w, 1e-3)).add(nn.LeakyReLU(0.2, True))
    netD.add(nn.VolumetricConvolution(256 // w, 512 // w, 4, 4, 4, 2, 2, 2, 1, 1, 1))
    netD.add(nn.VolumetricBatchNormalization(512 // w, 1e-3)).add(nn.LeakyReLU(0.2, True))
    netD.add(nn.VolumetricConvolution(512 // w, 2, 2, 4, 4, 1, 1, 1, 0, 0, 0))
    netD.add(nn.View(2).setNumInputDims(4))

    # initialize the model
    def weights_init(m):
        name = lg.type(m)
        if 'Convolution' in name:
            m.weight.normal(0.0, 0.01)
            m.bias.fill(0)
        elif 'BatchNormalization' in name:
            if m.weight is not None:
                m.weight.normal(1.0, 0.02)
            if m.bias is not None:
                m.bias.fill(0)
    net.apply(weights_init)  # loop over all layers, applying weights_init
    netD.apply(weights_init)

    mask_out.weight.normal(0, 0.01)
    mask_out.bias.fill(0)
    return dict(net=net, netD=netD, static_net=static_net, mask_net=mask_net, motion_net=motion_net,
                penalty_net=penalty_net)


def composition(opt):
    """main.lua lines 97-112: ``video .* mask`` and ``static .* (1 - mask)`` on the flattened
    ``{video, mask, static}``; every dimension argument is the Lua's minus one."""
    # video .* mask (with repmat on mask)
    motion_net = nn.Sequential().add(nn.ConcatTable().add(nn.SelectTable(0))
                                     .add(nn.Sequential().add(nn.SelectTable(1))
                                          .add(nn.Squeeze())
                                          .add(nn.Replicate(3, 1)))).add(nn.CMulTable())  # for color chan

    # static .* (1-mask) (then repmatted)
    sta_part = nn.Sequential().add(nn.ConcatTable().add(nn.Sequential().add(nn.SelectTable(2))
                                                        .add(nn.Replicate(opt['frameSize'], 2)))  # for time
                                   .add(nn.Sequential().add(nn.SelectTable(1))
                                        .add(nn.Squeeze())
                                        .add(nn.MulConstant(-1))
                                        .add(nn.AddConstant(1))
                                        .add(nn.Replicate(3, 1)))).add(nn.CMulTable())  # for color chan
    return motion_net, sta_part


def main(opt, data, checkpoints):
    """main.lua lines 39-41 and 151-333, with ``data`` the loader of line 51 and checkpoints written under
    ``checkpoints``; returns the parts and the per-iteration (err, errD, L1 loss)."""
    lg.manualSeed(0)
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    parts = build(opt)
    net, netD, penalty_net = parts['net'], parts['netD'], parts['penalty_net']

    # define the loss
    criterion = nn.CrossEntropyCriterion()
    real_label = 0      # the Lua's 1 and 2: class labels are 0-based
    fake_label = 1

    # create the data placeholders
    noise = lg.Tensor(opt['batchSize'], 100)
    target = lg.Tensor(opt['batchSize'], 3, opt['frameSize'], opt['fineSize'], opt['fineSize'])
    label = lg.Tensor(opt['batchSize'])
    state = {'err': None, 'errD': None}

    # ship everything to GPU if needed
    if opt['gpu'] > 0:
        cutorch.setDevice(opt['gpu'] - 1)       # line 46: devices are 0-based
        noise = noise.cuda()
        target = target.cuda()
        label = label.cuda()
        net.cuda()
        netD.cuda()
        criterion.cuda()

    # conver to cudnn if needed
    if opt['gpu'] > 0 and opt['cudnn'] > 0:
        net = cudnn.convert(net, cudnn)
        netD = cudnn.convert(netD, cudnn)

    # get a vector of parameters
    parameters, gradParameters = net.getParameters()
    parametersD, gradParametersD = netD.getParameters()

    def fDx(x):
        gradParametersD.zero()

        # fetch data
        data_im = data.getBatch()[0]

        noise.normal()
        target.copy(data_im)
        label.fill(real_label)

        # forward/backwards real examples
        output = netD.forward(target)
        errD = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(target, df_do)

        # generate fake examples
        fake = net.forward(noise)
        target.copy(fake)
        label.fill(fake_label)

        # forward/backwards fake examples
        output = netD.forward(target)
        errD = errD + criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        netD.backward(target, df_do)

        errD = errD / 2
        state['errD'] = errD
        return errD, gradParametersD

    def fx(x):
        gradParameters.zero()

        label.fill(real_label)
        output = netD.output
        err = criterion.forward(output, label)
        df_do = criterion.backward(output, label)
        df_dg = netD.updateGradInput(target, df_do)

        net.backward(noise, df_dg)
        state['err'] = err
        return err, gradParameters

    counter = 0
    history = []
    log = []

    optimState = {'learningRate': opt['lr'], 'beta1': opt['beta1']}
    optimStateD = {'learningRate': opt['lr'], 'beta1': opt['beta1']}

    for epoch in range(1, opt['niter'] + 1):    # epoch counts from 1: the decay below tests epoch % lr_decay
        for i in range(0, min(data.size(), opt['ntrain']), opt['batchSize']):
            optim.adam(fDx, parametersD, optimStateD)
            optim.adam(fx, parameters, optimState)

            if counter % 10 == 0:
                history.append([counter, state['err'], state['errD']])
            counter = counter + 1
            log.append((state['err'], state['errD'], penalty_net.loss))

            if counter % opt['saveIter'] == 0:
                os.makedirs(os.path.join(checkpoints, opt['name']), exist_ok=True)
                prefix = os.path.join(checkpoints, opt['name'], 'iter%d' % counter)
                lg.save(prefix + '_net.t7', net.clearState())
                lg.save(prefix + '_netD.t7', netD.clearState())
                lg.save(prefix + '_history.t7', history)

        # decay the learning rate, if requested
        if opt['lr_decay'] > 0 and epoch % opt['lr_decay'] == 0:
            opt['lr'] = opt['lr'] / 10
            # create new optimState to reset momentum (G's only, as the Lua: optimStateD keeps its lr)
            optimState = {'learningRate': opt['lr'], 'beta1': opt['beta1']}

    parts.update(log=log, history=history, optimState=optimState, optimStateD=optimStateD, target=target,
                 noise=noise)
    return parts


# --- generate.lua -------------------------------------------------------------------------------------------------

def generate(opt, folder):
    """generate.lua from line 18 on, on the GPU with cudnn when ``opt['gpu']`` is 1 (lines 23-28); returns the
    generated parts and the files."""
    lg.manualSeed(0)
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    net = lg.load(opt['model'])
    net.evaluate()
    if opt['gpu'] > 0:
        cutorch.setDevice(opt['gpu'] - 1)
        net.cuda()
        net = cudnn.convert(net, cudnn)

    noise = lg.Tensor(opt['batchSize'], 100).normal()
    if opt['gpu'] > 0:
        noise = noise.cuda()

    gen = net.forward(noise)
    video = net.modules[1].output[0].float()
    mask = net.modules[1].output[1].float()
    static = net.modules[1].output[2].float()
    mask = mask.repeatTensor(1, 3, 1, 1, 1)

    written = []

    def WriteGif(filename, movie):
        for fr in range(movie.size(2)):
            frame = filename + '.' + '%08d' % (fr + 1) + '.png'   # the Lua's frame numbers start at 1
            image.save(frame, image.toDisplayTensor(movie.select(2, fr)))
            written.append(frame)
        # stand-in: the ffmpeg call that joins the frames, and the removal of the frames, are left out

    os.makedirs(os.path.join(folder, 'vis'), exist_ok=True)
    WriteGif(os.path.join(folder, 'vis/gen.gif'), gen)
    WriteGif(os.path.join(folder, 'vis/video.gif'), video)
    WriteGif(os.path.join(folder, 'vis/videomask.gif'), lg.cmul(video, mask))
    WriteGif(os.path.join(folder, 'vis/mask.gif'), mask)
    image.save(os.path.join(folder, 'vis/static.jpg'), image.toDisplayTensor(static))
    return dict(gen=gen, video=video, mask=mask, static=static, written=written)


# --- tests --------------------------------------------------------------------------------------------------------

FRAME_COUNTS = (5, 32, 40, 12)      # fewer frames than frameSize (the last one repeats), exactly, more


@pytest.fixture
def videos(tmp_path):
    """Tall PNG videos (frames stacked vertically, loadSize rows each) and the list file donkey_video2.lua reads."""
    rng = np.random.RandomState(3)
    names = []
    for k, frames in enumerate(FRAME_COUNTS):
        name = 'v%d.png' % k
        img = rng.randint(0, 256, size=(3, frames * 8, 8)).astype(np.uint8)
        image.save(str(tmp_path / name), lg.from_numpy(img))
        names.append('%s %d' % (name, frames))
    (tmp_path / 'list.txt').write_text('\n'.join(names) + '\n')
    return options(data_root=str(tmp_path), data_list=str(tmp_path / 'list.txt'))


def test_donkey_cuts_frames_and_repeats_the_last(videos):
    loader = dataLoader(videos)
    out = loader.trainHook(videos['data_root'] + '/v0.png')
    assert tuple(out.size()) == (3, 32, 64, 64)
    tall = image.load(videos['data_root'] + '/v0.png', 3, 'float')
    for fr in (0, 4):
        expect = image.scale(tall[:, fr * 8:fr * 8 + 8, :], 64, 64).mul(2).add(-1)
        np.testing.assert_allclose(out[:, fr].numpy(), expect.numpy(), atol=1e-6)
    # frames past the fifth repeat the fifth (line 115's ``count + t1 - 2``)
    for fr in (5, 31):
        np.testing.assert_array_equal(out[:, fr].numpy(), out[:, 4].numpy())
    assert out.min() >= -1 and out.max() <= 1


def test_loader_threads_seed_each_donkey_from_its_id(videos):
    data = DataLoader(2, 'video2', videos, DONKEYS)
    try:
        assert data.size() == len(FRAME_COUNTS)
        batch, names = data.getBatch()
    finally:
        data.threads.terminate()
    assert tuple(batch.size()) == (2, 3, 32, 64, 64)
    # whichever donkey ran the job, its first draws are those of a generator seeded with 0 + id + 1 (data.lua
    # line 36 with Torch7's ids 1 and 2)
    candidates = []
    for seed in (1, 2):
        lg.manualSeed(seed)
        candidates.append([dataLoader(videos).data[lg.random(0, len(FRAME_COUNTS))] for _ in range(2)])
    assert names in candidates


def test_composition_gradients(double_default):
    lg.manualSeed(5)
    motion_net, sta_part = composition({'frameSize': 2})
    comp = nn.Sequential().add(nn.ConcatTable().add(motion_net).add(sta_part)).add(nn.CAddTable())
    video, mask, static = lg.randn(2, 3, 2, 3, 3), lg.rand(2, 1, 2, 3, 3), lg.randn(2, 3, 3, 3)
    out = comp.forward([video, mask, static]).numpy()
    v, m, s = video.numpy(), mask.numpy(), static.numpy()
    np.testing.assert_allclose(out, v * m + s[:, :, None] * (1 - m), rtol=1e-12)
    assert nn.Jacobian.testJacobian(comp, [video, mask, static]) < 1e-6


def run_main(opt, folder):
    data = DataLoader(opt['nThreads'], opt['dataset'], opt, DONKEYS)
    try:
        return main(opt, data, folder)
    finally:
        data.threads.terminate()


def test_main_trains(videos, tmp_path):
    opt = dict(videos)
    out = run_main(opt, str(tmp_path / 'checkpoints'))
    net, log = out['net'], out['log']
    assert len(log) == 2                           # 4 videos, batches of 2, one epoch
    for err, errD, l1 in log:
        assert math.isfinite(err) and math.isfinite(errD)
    # the discriminator starts near chance: each cross-entropy is about log 2
    assert abs(log[0][1] - math.log(2)) < 0.05
    # the mask's L1 penalty is lambda times its mean (sizeAverage); sigmoid outputs are positive
    mask = out['mask_net'].output
    assert tuple(mask.size()) == (2, 1, 32, 64, 64)
    assert log[-1][2] == pytest.approx(0.1 * float(mask.numpy().mean()), rel=1e-5)
    # the generated video is video .* mask + static .* (1 - mask), frame by frame
    video, mask, static = [t.numpy() for t in net.modules[1].output]
    gen = net.output.numpy()
    assert gen.shape == (2, 3, 32, 64, 64)
    np.testing.assert_allclose(gen, video * mask + static[:, :, None] * (1 - mask), atol=1e-6)
    # fx's netD.output is the fake batch's, as fDx left it: D saw what G made
    assert tuple(out['netD'].output.size()) == (2, 2)
    assert out['optimState']['t'] == 2 and out['optimStateD']['t'] == 2



def test_checkpoint_then_generate(videos, tmp_path):
    out = run_main(dict(videos, saveIter=2), str(tmp_path / 'checkpoints'))
    # clearState at the checkpoint (line 316) empties the outputs main.lua's display reads, as in Torch7
    assert out['net'].output.nElement() == 0 and out['mask_net'].output.nElement() == 0
    model = tmp_path / 'checkpoints' / 'beach100' / 'iter2_net.t7'
    assert model.exists() and (tmp_path / 'checkpoints' / 'beach100' / 'iter2_history.t7').exists()
    res = generate({'model': str(model), 'batchSize': 3, 'gpu': 0}, str(tmp_path))
    assert tuple(res['gen'].size()) == (3, 3, 32, 64, 64)
    assert tuple(res['mask'].size()) == (3, 3, 32, 64, 64)      # repeatTensor(1, 3, 1, 1, 1) of the 1-channel mask
    np.testing.assert_allclose(res['gen'].numpy(),
                               (res['video'] * res['mask']).numpy()
                               + res['static'].numpy()[:, :, None] * (1 - res['mask'].numpy()), atol=1e-6)
    assert len(res['written']) == 4 * 32
    frame = image.load(res['written'][0], 3, 'float')
    assert frame.size(0) == 3 and frame.size(2) == 3 * 64       # toDisplayTensor's grid of the 3 samples


def test_learning_rate_decay_resets_only_the_generator_state(videos, tmp_path):
    # lines 323-332: every lr_decay epochs G's optimState is rebuilt with lr / 10 (its Adam moments and t go);
    # optimStateD keeps its lr and moments, as the Lua writes it
    opt = dict(videos, lr_decay=1, niter=2)
    out = run_main(opt, str(tmp_path / 'checkpoints'))
    assert opt['lr'] == pytest.approx(0.0002 / 100)
    assert out['optimState'] == {'learningRate': pytest.approx(0.0002 / 100), 'beta1': 0.5}
    assert out['optimStateD']['t'] == 4 and out['optimStateD']['learningRate'] == 0.0002


@pytest.mark.gpu
def test_gpu_cudnn_training_and_generation(videos, tmp_path):
    # main.lua lines 172-187 and generate.lua lines 23-28: nets and placeholders shipped to the GPU, converted to
    # cudnn, flattened after the conversion; the host batches are copied into the CUDA target
    out = run_main(dict(videos, gpu=1, saveIter=2), str(tmp_path / 'checkpoints'))
    assert lg.type(out['netD'].modules[0]) == 'cudnn.VolumetricConvolution'
    assert out['target'].is_cuda and all(math.isfinite(e) for _, e, _ in out['log'])
    assert out['optimStateD']['t'] == 2
    model = str(tmp_path / 'checkpoints' / 'beach100' / 'iter2_net.t7')
    res = generate({'model': model, 'batchSize': 2, 'gpu': 1}, str(tmp_path))
    assert res['gen'].is_cuda and tuple(res['gen'].size()) == (2, 3, 32, 64, 64)
    np.testing.assert_allclose(res['gen'].float().numpy(),
                               (res['video'] * res['mask']).numpy()
                               + res['static'].numpy()[:, :, None] * (1 - res['mask'].numpy()), atol=1e-5)
