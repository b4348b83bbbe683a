"""cvondrick/soundnet ported line by line: main_train.lua (the 1-D SoundNet written as SpatialConvolution and
SpatialMaxPooling over ``N x 1 x T x 1`` of lines 65-111, ``weights_init``, the ParallelCriterion of eight
DistKLDivCriterion of lines 134-137, the teacher-student closure ``fx`` of lines 180-206 stepped by optim.adam),
data/data.lua (tests/porting/cvondrick_data.py, shared with the videogan port) with data/donkey_audio.lua (the
frame list, the teachers' float32 label files read through DiskFile, the audio repeated to ``loadSize`` and the
labels to ``label_time_steps``) and extract_feat.lua (the network cut to ``opt.layer`` modules, a layer's output
written to HDF5).

Stand-ins and edits, each noted where it is made:
- the audio is seeded noise in WAV files written by ``audio.save`` (legonn's ``audio.load`` reads PCM WAV, not
  the MP3s libsox decodes): ``.wav`` replaces the Lua's ``.mp3``; the teachers' label files hold seeded random
  distributions;
- the layers fix the input to 20 seconds at 22050 Hz (441000 samples give the 4 time steps the labels have);
  ``batchSize`` is 2 and the training runs two iterations;
- ``display`` and the checkpoint are left out; main_train.lua's GPU/cudnn lines run in the test marked gpu, and
  extract_feat.lua (which always moves the net to the GPU) runs on the CPU.
"""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import audio, cudnn, cutorch, hdf5, nn, optim, threads
from tests.porting.cvondrick_data import DataLoader

pytestmark = pytest.mark.usefixtures('sharedserialize')

PREFIX = 'x' * 62       # donkey_audio.lua line 38 cuts a frame's name at characters 63 .. -14
SUFFIX = '/frame_0.jpgx'   # 13 characters


def options(**over):
    opt = {
        'dataset': 'audio', 'nThreads': 2, 'batchSize': 2, 'loadSize': 22050 * 20, 'fineSize': 22050 * 20,
        'lr': 0.001, 'lambda': 250, 'beta1': 0.9, 'meanIter': 0, 'saveIter': 5000, 'niter': 1, 'ntrain': math.inf,
        'gpu': 0, 'cudnn': 1, 'finetune': '', 'name': 'soundnet', 'randomize': 1, 'display_port': 8001,
        'display_id': 1, 'data_root': None, 'label_binary_file': None, 'label2_binary_file': None,
        'label_text_file': None, 'label_dim': 1000, 'label2_dim': 401, 'label_time_steps': 4,
        'video_frame_time': 5, 'sample_rate': 22050, 'mean': 0,
    }
    opt.update(over)
    return opt


# --- model (main_train.lua lines 65-124) --------------------------------------------------------------------------

def build():
    # SpatialConvolution is (nInputChannels, nOutputChannels, 1, kernelWidth, 1, stride, 0, padding)
    # the constants are for the other dimension (which is unused)
    net = nn.Sequential()

    net.add(nn.SpatialConvolution(1, 16, 1, 64, 1, 2, 0, 32))
    net.add(nn.SpatialBatchNormalization(16))
    net.add(nn.ReLU(True))
    net.add(nn.SpatialMaxPooling(1, 8, 1, 8))

    net.add(nn.SpatialConvolution(16, 32, 1, 32, 1, 2, 0, 16))
    net.add(nn.SpatialBatchNormalization(32))
    net.add(nn.ReLU(True))
    net.add(nn.SpatialMaxPooling(1, 8, 1, 8))

    net.add(nn.SpatialConvolution(32, 64, 1, 16, 1, 2, 0, 8))
    net.add(nn.SpatialBatchNormalization(64))
    net.add(nn.ReLU(True))

    net.add(nn.SpatialConvolution(64, 128, 1, 8, 1, 2, 0, 4))
    net.add(nn.SpatialBatchNormalization(128))
    net.add(nn.ReLU(True))

    net.add(nn.SpatialConvolution(128, 256, 1, 4, 1, 2, 0, 2))
    net.add(nn.SpatialBatchNormalization(256))
    net.add(nn.ReLU(True))

    net.add(nn.SpatialMaxPooling(1, 4, 1, 4))

    net.add(nn.SpatialConvolution(256, 512, 1, 4, 1, 2, 0, 2))
    net.add(nn.SpatialBatchNormalization(512))
    net.add(nn.ReLU(True))

    net.add(nn.SpatialConvolution(512, 1024, 1, 4, 1, 2, 0, 2))
    net.add(nn.SpatialBatchNormalization(1024))
    net.add(nn.ReLU(True))

    net.add(nn.ConcatTable().add(nn.SpatialConvolution(1024, 1000, 1, 8, 1, 2, 0, 0))
                            .add(nn.SpatialConvolution(1024, 401, 1, 8, 1, 2, 0, 0)))

    net.add(nn.ParallelTable().add(nn.SplitTable(2)).add(nn.SplitTable(2)))
    net.add(nn.FlattenTable())

    output_net = nn.ParallelTable()
    # 2 distributions (objects, scenes) for every 5 seconds of the 20: 8 outputs
    for i in range(8):
        output_net.add(nn.Sequential().add(nn.Contiguous()).add(nn.LogSoftMax()).add(nn.Squeeze()))
    net.add(output_net)

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
    net.apply(weights_init)
    return net


# --- data/donkey_audio.lua ----------------------------------------------------------------------------------------

class dataLoader:
    def __init__(self, args, tid):
        for k, v in args.items():
            setattr(self, k, v)
        self.frames, self.videos, self.video_position, self.video_lengths = [], [], [], []

        last_video = 'first'
        position = 0            # the Lua's 1: a 0-based row of self.labels
        lengths = 1
        # edit: Torch7's thread ids start at 1 and name the files (B0001 for the first donkey)
        with open(args['label_text_file'] % (tid + 1)) as lines:
            for line in lines:
                split = line.split()
                self.frames.append(split[0])

                cur_video = split[0][62:-13]            # split[1]:sub(63, -14)
                if cur_video != last_video:
                    self.videos.append(cur_video)
                    self.video_position.append(position)
                    if last_video != 'first':
                        self.video_lengths.append(lengths)
                        assert lengths <= self.label_time_steps
                    last_video = cur_video
                    lengths = 1
                else:
                    lengths = lengths + 1
                position = position + 1
        self.video_lengths.append(lengths)
        assert lengths <= self.label_time_steps
        assert len(self.video_position) == len(self.videos)
        assert len(self.video_lengths) == len(self.videos)

        self.labels = lg.Tensor(len(self.frames), self.label_dim)
        self.labels2 = lg.Tensor(len(self.frames), self.label2_dim)

        fd = lg.DiskFile(args['label_binary_file'] % (tid + 1), 'r').binary()
        self.labels.storage().copy(fd.readFloat(len(self.frames) * self.label_dim))
        fd.close()

        fd = lg.DiskFile(args['label2_binary_file'] % (tid + 1), 'r').binary()
        self.labels2.storage().copy(fd.readFloat(len(self.frames) * self.label2_dim))
        fd.close()

        # check the labels
        assert self.labels.ge(0).all()
        assert self.labels.le(1).all()
        assert abs(self.labels.sum(1).mean() - 1) < 0.001
        assert self.labels2.ge(0).all()
        assert self.labels2.le(1).all()
        assert abs(self.labels2.sum(1).mean() - 1) < 0.001

    def size(self):
        return len(self.videos)

    def tableToOutput(self, dataTable, labelTable, label2Table, extraTable):
        quantity = len(dataTable)
        assert dataTable[0].dim() == 1
        data = lg.Tensor(quantity, self.fineSize)
        scalarLabels = lg.Tensor(quantity, self.label_dim, self.label_time_steps).fill(-1111)
        scalarLabels2 = lg.Tensor(quantity, self.label2_dim, self.label_time_steps).fill(-1111)
        for i in range(len(dataTable)):
            data[i].copy(dataTable[i])
            scalarLabels[i].copy(labelTable[i])
            scalarLabels2[i].copy(label2Table[i])
        return data, scalarLabels, scalarLabels2, extraTable

    def sample(self, quantity):
        assert quantity
        dataTable, labelTable, label2Table, extraTable = [], [], [], []
        for i in range(quantity):
            idx = lg.random(0, len(self.videos))        # torch.random(1, #self.videos), 0-based
            out, data_label, data_label2 = self.trainHook(idx)
            dataTable.append(out)
            labelTable.append(data_label)
            label2Table.append(data_label2)
            extraTable.append(self.videos[idx])
        return self.tableToOutput(dataTable, labelTable, label2Table, extraTable)

    # dataset:get (lines 140-160) reads self.data, which this donkey never sets, and passes a path to trainHook,
    # which takes an index: it cannot run in Torch7 either, and randomize = 1 never calls it; not ported.

    def trainHook(self, idx):
        opt = getattr(threads.local, 'opt', None) or vars(self)
        video = self.videos[idx]
        video_pos = self.video_position[idx]
        video_length = self.video_lengths[idx]
        seconds_of_video = video_length * opt['video_frame_time']

        data_path = self.data_root + '/' + video + '.wav'   # stand-in: WAV files for the Lua's .mp3
        input = self.loadAudio(data_path)
        label = self.labels[video_pos:video_pos + video_length, :]
        label2 = self.labels2[video_pos:video_pos + video_length, :]

        if input.size(0) < seconds_of_video * opt['sample_rate']:
            orig_size = input.size(0)
            input = input.resize(seconds_of_video * opt['sample_rate'])
            # the Lua fills from orig_size (1-based), the last real sample too: orig_size - 1 here
            input[orig_size - 1:input.size(0)].fill(0)

        if video_length < opt['label_time_steps']:
            input = input[0:seconds_of_video * opt['sample_rate']]
            repeat_times = math.ceil(opt['loadSize'] / input.size(0))
            input = input.repeatTensor(repeat_times)
            input = input[0:opt['loadSize']]

            label = label.repeatTensor(opt['label_time_steps'], 1)
            label = label[0:opt['label_time_steps'], :]

            label2 = label2.repeatTensor(opt['label_time_steps'], 1)
            label2 = label2[0:opt['label_time_steps'], :]
        else:
            input = input[0:opt['loadSize']]
            assert video_length == opt['label_time_steps']

        label = label.t()
        label2 = label2.t()

        input.add(-self.mean)

        assert input.dim() == 1
        assert input.size(0) == opt['fineSize']
        assert label.dim() == 2
        assert label.size(0) == self.label_dim
        assert label.size(1) == self.label_time_steps
        assert label2.dim() == 2
        assert label2.size(0) == self.label2_dim
        assert label2.size(1) == self.label_time_steps
        return input, label, label2

    def loadAudio(self, path):
        opt = getattr(threads.local, 'opt', None) or vars(self)
        try:
            input = audio.load(path)[0]     # pcall(audio.load, path) keeps the first value; the rate goes
        except Exception:
            print('warning: failed loading: ' + path)
            input = lg.zeros(opt['loadSize'])
        else:
            if input.size(1) > 1:               # if two channels, pick the first channel
                input = input.select(1, 0)
            input = input.view(-1)
        input.mul(2 ** -23)
        assert input.max() <= 256
        assert input.min() >= -256
        assert input.dim() == 1
        return input


DONKEYS = {'audio': dataLoader}     # data.lua's dataset name -> donkey file


# --- main_train.lua -----------------------------------------------------------------------------------------------

def main_train(opt, data, iterations):
    lg.manualSeed(0)
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    net = build()

    criterion = nn.ParallelCriterion(False)
    for i in range(8):
        criterion.add(nn.DistKLDivCriterion())

    input = lg.Tensor(opt['batchSize'], 1, opt['fineSize'], 1)
    labels = [None] * (2 * opt['label_time_steps'])
    for i in range(opt['label_time_steps']):
        labels[i] = lg.Tensor(opt['batchSize'], 1000)
    for i in range(opt['label_time_steps']):
        labels[opt['label_time_steps'] + i] = lg.Tensor(opt['batchSize'], 401)
    state = {}

    # ship everything to GPU if needed
    if opt['gpu'] > 0:
        cutorch.setDevice(opt['gpu'] - 1)       # devices are 0-based
        input = input.cuda()
        for i in range(len(labels)):
            labels[i] = labels[i].cuda()
        net.cuda()
        criterion.cuda()

    # conver to cudnn if needed
    if opt['gpu'] > 0 and opt['cudnn'] > 0:
        net = cudnn.convert(net, cudnn)

    parameters, gradParameters = net.getParameters()

    def fx(x):
        gradParameters.zero()
        data_im, data_label, data_label2, data_extra = data.getBatch()

        input.copy(data_im.view(opt['batchSize'], 1, opt['fineSize'], 1))
        for i in range(opt['label_time_steps']):
            labels[i].copy(data_label.select(2, i))
        for i in range(opt['label_time_steps']):
            labels[opt['label_time_steps'] + i].copy(data_label2.select(2, i))

        output = net.forward(input)
        err = criterion.forward(output, labels) / len(labels) * opt['lambda']
        df_do = criterion.backward(output, labels)
        for i in range(len(labels)):
            df_do[i].mul(opt['lambda'] / len(labels))
        net.backward(input, df_do)
        state.update(err=err, labels=[l.clone() for l in labels], extra=data_extra)
        return err, gradParameters

    optimState = {'learningRate': opt['lr'], 'beta1': opt['beta1']}
    errs = []
    for counter in range(iterations):           # the epoch loop's first iterations
        optim.adam(fx, parameters, optimState)
        errs.append(state['err'])
    return net, criterion, errs, state, optimState


# --- extract_feat.lua ---------------------------------------------------------------------------------------------

def extract_feat(opt):
    lg.manualSeed(0)
    lg.setnumthreads(1)
    lg.setdefaulttensortype('torch.FloatTensor')

    net = lg.load(opt['model'])

    # remove unnecessary layers: opt.layer is a count of modules, the last kept one is modules[layer - 1]
    while len(net.modules) != opt['layer']:
        net.remove(len(net.modules) - 1)
    net.evaluate()

    written = []
    with open(opt['list']) as lines:
        for line in lines:
            line = line.strip()
            out_file = line + '.soundnet.h5'
            if os.path.exists(out_file) and opt['force'] != 1:
                print('Skip ' + out_file)
            else:
                sound = audio.load(line)[0]
                if sound.size(1) > 1:
                    sound = sound.select(1, 0).clone()      # select first channel (mono)
                sound.mul(2 ** -23)                          # make range [-256, 256]
                sound = sound.view(1, 1, -1, 1)              # shape to BatchSize x 1 x DIM x 1

                net.forward(sound)
                feat = net.modules[opt['layer'] - 1].output.float()

                fd = hdf5.open(out_file, 'w')
                fd.write('layer%d' % opt['layer'], feat.squeeze())
                fd.close()
                written.append(out_file)
            net.clearState()
    return net, written


# --- tests --------------------------------------------------------------------------------------------------------

RATE = 22050
# (video name, frames listed, seconds of audio): a full 20 s video; one of 2 frames (10 s) whose audio is 7 s long,
# padded with zeros and then repeated to 20 s
VIDEOS = (('a' * 10, 4, 20), ('b' * 10, 2, 7))


def write_wav(path, samples):
    """16-bit-like noise on libsox's 32-bit scale, one channel."""
    audio.save(path, lg.from_numpy((samples * 65536.0).reshape(-1, 1)), RATE)


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.RandomState(11)
    lines, n = [], 0
    for name, frames, seconds in VIDEOS:
        write_wav(str(tmp_path / (name + '.wav')), rng.randint(-3000, 3000, size=seconds * RATE))
        for k in range(frames):
            lines.append(PREFIX + name + SUFFIX + ' %d' % k)
        n += frames
    for tid in (1, 2):
        (tmp_path / ('list_%04d.txt' % tid)).write_text('\n'.join(lines) + '\n')
        for dim, kind in ((1000, 'imnet'), (401, 'places')):
            p = rng.rand(n, dim).astype(np.float32)
            (p / p.sum(1, keepdims=True)).astype('<f4').tofile(str(tmp_path / ('%s_B%04d' % (kind, tid))))
    return options(data_root=str(tmp_path), label_text_file=str(tmp_path / 'list_%04d.txt'),
                   label_binary_file=str(tmp_path / 'imnet_B%04d'), label2_binary_file=str(tmp_path / 'places_B%04d'))


def test_donkey_pads_and_repeats_a_short_video(corpus):
    loader = dataLoader(corpus, 0)
    assert loader.videos == ['a' * 10, 'b' * 10] and loader.video_lengths == [4, 2]
    assert loader.video_position == [0, 4]
    input, label, label2 = loader.trainHook(1)
    assert tuple(input.size()) == (441000,) and tuple(label.size()) == (1000, 4) and tuple(label2.size()) == (401, 4)
    raw = audio.load(corpus['data_root'] + '/' + 'b' * 10 + '.wav')[0].view(-1).mul(2 ** -23).numpy()
    ten = 10 * RATE
    got = input.numpy()
    # the Lua zeroes from its 1-based orig_size: the last real sample goes too
    np.testing.assert_array_equal(got[:7 * RATE - 1], raw[:-1])
    assert not got[7 * RATE - 1:ten].any()
    np.testing.assert_array_equal(got[ten:2 * ten], got[:ten])          # 10 s repeated twice to 20 s
    # the two frames' labels repeat to four time steps
    np.testing.assert_array_equal(label[:, 2].numpy(), label[:, 0].numpy())
    np.testing.assert_array_equal(label2[:, 3].numpy(), loader.labels2[5].numpy())


def test_train_extract(corpus, tmp_path):
    opt = corpus
    data = DataLoader(opt['nThreads'], opt['dataset'], opt, DONKEYS)
    try:
        assert data.size() == 2
        net, criterion, errs, state, optimState = main_train(opt, data, 2)
    finally:
        data.threads.terminate()
    assert optimState['t'] == 2 and all(math.isfinite(e) for e in errs)
    out = net.output
    assert len(out) == 8
    assert [tuple(o.size()) for o in out] == [(2, 1000)] * 4 + [(2, 401)] * 4
    # each output reaches its LogSoftMax 3-D, (batch, classes, 1), which nn (THNN's LogSoftMax.c) reads as
    # (channels, h, w): the distribution is over the batch, not the classes; legonn does the same (cudnn's
    # differs again: the gpu test below)
    for o in out:
        np.testing.assert_allclose(np.exp(o.numpy()).sum(0), 1, rtol=1e-4)
    # err is lambda times the mean of the eight KL divergences (each averaged over its elements)
    kl = [np.mean(np.where(t > 0, t * (np.log(np.maximum(t, 1e-30)) - o), 0))
          for o, t in zip((o.numpy().astype(np.float64) for o in out), (t.numpy() for t in state['labels']))]
    assert errs[-1] == pytest.approx(250 * np.mean(kl), rel=1e-4)
    # the gradient handed back is criterion's scaled by lambda / 8, in place in its gradInput
    g = criterion.gradInput[0].numpy()
    expect = -state['labels'][0].numpy() / state['labels'][0].nElement() * 250 / 8
    np.testing.assert_allclose(g, expect, rtol=1e-5)

    # extract_feat.lua on the trained net, saved as main_train.lua's checkpoint is (clearState)
    model = str(tmp_path / 'soundnet.t7')
    lg.save(model, net.clearState())
    wav = str(tmp_path / ('a' * 10 + '.wav'))
    (tmp_path / 'list.txt').write_text(wav + '\n')
    cut, written = extract_feat({'model': model, 'list': str(tmp_path / 'list.txt'), 'layer': 24, 'force': 0})
    assert len(cut.modules) == 24 and lg.type(cut.modules[23]) == 'nn.ReLU'
    assert written == [wav + '.soundnet.h5']
    feat = hdf5.open(written[0], 'r').read('layer24').all()
    assert tuple(feat.size()) == (1024, 15)   # 441000 samples: 15 steps of conv7 (floor arithmetic)
    assert feat.min() >= 0 and feat.max() > 0
    # run again without force: the file is skipped
    assert extract_feat({'model': model, 'list': str(tmp_path / 'list.txt'), 'layer': 24, 'force': 0})[1] == []


def test_stereo_audio_views_its_first_channel(corpus, tmp_path):
    # donkey_audio.lua lines 234-238: select(2, 1) then view(-1) of the nsamples x 2 tensor. Torch7's view asserts
    # a contiguous tensor there; legonn's views the strided channel (docs/porting.md's row)
    stereo = str(tmp_path / 'stereo.wav')
    audio.save(stereo, lg.FloatTensor([[65536, -65536], [131072, 0], [-196608, 7 * 65536]]), RATE)
    first = dataLoader(corpus, 0).loadAudio(stereo)
    assert first.tolist() == [2 ** -7, 2 ** -6, -3 * 2 ** -7]
    assert first.stride() == (2,)
    with pytest.raises(ValueError, match='contiguous'):
        audio.load(stereo)[0].t().view(-1)      # a view that would need a copy is still refused


@pytest.mark.gpu
def test_cudnn_log_softmax_normalises_each_output_over_the_whole_batch(corpus):
    # main_train.lua's defaults (gpu = 1, cudnn = 1): cudnn.convert makes each nn.LogSoftMax a cudnn.LogSoftMax,
    # whose INSTANCE mode takes the 3-D (batch, classes, 1) output as one sample (cudnn.torch's SpatialSoftMax.lua
    # views it as 1 x batch x classes x 1): one distribution over all batch * classes values, where nn's is over
    # the batch at each class
    opt = dict(corpus, gpu=1)
    data = DataLoader(opt['nThreads'], opt['dataset'], opt, DONKEYS)
    try:
        net, criterion, errs, state, optimState = main_train(opt, data, 1)
    finally:
        data.threads.terminate()
    assert lg.type(net.modules[-1].modules[0].modules[1]) == 'cudnn.LogSoftMax'
    assert math.isfinite(errs[0]) and optimState['t'] == 1
    for o in net.output:
        assert o.is_cuda
        assert float(np.exp(o.float().numpy().astype(np.float64)).sum()) == pytest.approx(1, rel=1e-4)
