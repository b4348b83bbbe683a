"""MultiImageSequence (MultiImageSequence.lua): sequences of image frames with an image target per frame (video
frames and their masks), laid in ``batchsize`` columns as MultiSequence lays sequences, read through an image
package (``legonn.image`` unless another is given)."""
import math
import os
import re

from ..serialization import load, save
from ..tensor import FloatTensor
from ..tensor.random import SCALAR_DRAWS
from .dataloader import check_count
from .imageclass import crop, load_scaled, sample_function, scale_into
from .sequences import SequenceColumns

_INPUT_FRAME = re.compile(r'^input(\d*)\.[^/]+$')


def _round(x):
    """torch.round of a non-negative number: half away from zero."""
    return math.floor(x + 0.5)


class MultiImageSequence(SequenceColumns):
    """``MultiImageSequence(datapath, batchsize, loadsize, samplesize=None, samplefunc='sampleDefault',
    verbose=True, image=None)``.

    ``datapath`` holds a folder per sequence, each with frames ``input1.jpg, input2.jpg, ...`` and their targets
    ``target1.jpg, ...`` (``inputpattern``/``targetpattern``, ``%d`` the frame number from 1, as the files are
    named). ``loadsize`` is ``[input sizes, target sizes]`` (each channels x height x width); ``samplesize`` the
    input's sample size (default: its load size), the target's being scaled in proportion. ``sub`` gives
    ``seqlen x batchsize x c x h x w`` inputs and targets, a zero frame in both before each sequence; each frame
    is made by ``samplefunc``: ``'sampleDefault'`` (scaled to the sample size) or ``'sampleTrain'`` (a random
    crop, at one place for a whole sequence unless ``cropeverystep``), or a function
    ``f(loader, input, target, inputpath, targetpath, tracker)``. ``varyloadsize`` loads each sequence at a
    random size between the sample and load sizes (``scaleeverystep``: each frame); ``randseq`` picks the
    sequences at random. ``buildIndex()`` (run by the first ``size``/``sub``) finds the sequences, sorted by
    folder name; ``buildIndex(cachepath)`` saves the index with legonn.save and reads it back next time."""

    def __init__(self, datapath, batchsize, loadsize, samplesize=None, samplefunc='sampleDefault', verbose=True,
                 image=None):
        where = 'MultiImageSequence'
        self.cropeverystep = self.varyloadsize = self.scaleeverystep = self.randseq = False
        self.inputpattern, self.targetpattern = 'input%d.jpg', 'target%d.jpg'
        if not isinstance(datapath, (str, os.PathLike)):
            raise TypeError(f"{where}: datapath must be a path, got {type(datapath).__name__}")
        self.datapath = os.fspath(datapath)
        self.batchsize = check_count(where, 'batchsize', batchsize)
        if (not isinstance(loadsize, (list, tuple)) or len(loadsize) != 2
                or not all(isinstance(s, (list, tuple)) and len(s) == 3 for s in loadsize)):
            raise TypeError(f"{where}: loadsize must be [input sizes, target sizes], each [c, h, w], got {loadsize!r}")
        self.loadsize = [[check_count(where, 'loadsize', v) for v in s] for s in loadsize]
        insize = list(self.loadsize[0] if samplesize is None else samplesize)
        if len(insize) != 3 or isinstance(insize[0], (list, tuple)):
            raise TypeError(f"{where}: samplesize must be the input's [c, h, w] only (the target's follows), got "
                            f"{samplesize!r}")
        if insize[1] > self.loadsize[0][1] or insize[2] > self.loadsize[0][2]:
            raise ValueError(f"{where}: samplesize {insize} is larger than the input loadsize {self.loadsize[0]}")
        (_, ih, iw), (tc, th, tw) = self.loadsize
        self.samplesize = [insize, [tc, min(th, max(1, _round(insize[1] * th / ih))),
                                    min(tw, max(1, _round(insize[2] * tw / iw)))]]
        self.samplefunc = 'sampleDefault' if samplefunc is None else samplefunc
        self.verbose = True if verbose is None else verbose
        self.image = image
        self.seqdirs = None
        self.reset()

    def buildIndex(self, cachepath=None, overwrite=False):
        """Find the sequences: ``seqdirs`` lists ``[folder, number of frames]`` (frames numbered 1, 2, ... with no
        gap), ``nframe`` counts them and ``seqlen`` is ``ceil((nframe + sequences) / batchsize)``."""
        if cachepath and not overwrite and os.path.isfile(cachepath):
            if self.verbose:
                print('loading cached index')
            cache = load(cachepath)
            self.seqdirs, self.nframe, self.seqlen = cache['seqdirs'], cache['nframe'], cache['seqlen']
        else:
            frames = {}
            for dirpath, _, names in os.walk(self.datapath):
                for name in names:
                    found = _INPUT_FRAME.match(name)
                    if found and found.group(1):
                        frames.setdefault(os.path.basename(dirpath), set()).add(int(found.group(1)))
            self.seqdirs = []
            for seqdir in sorted(frames):
                n = 0
                while n + 1 in frames[seqdir]:
                    n += 1
                if n > 0:
                    self.seqdirs.append([seqdir, n])
            if not self.seqdirs:
                raise ValueError(f"MultiImageSequence: no sequence folder with input1... frames in {self.datapath}")
            self.nframe = sum(n for _, n in self.seqdirs)
            self.seqlen = math.ceil((self.nframe + len(self.seqdirs)) / self.batchsize)
            if cachepath:
                save(cachepath, {'seqdirs': self.seqdirs, 'nframe': self.nframe, 'seqlen': self.seqlen})
        if self.verbose:
            print(f'Found {len(self.seqdirs)} sequences with a total of {self.nframe} frames')

    def _nsequence(self):
        return len(self.seqdirs)

    def size(self):
        """The steps of an epoch: ``ceil((frames + sequences) / batchsize)``."""
        if self.seqdirs is None:
            self.buildIndex()
        return self.seqlen

    def _sizes_of(self, which, excludedim):
        if excludedim not in (0, None) or excludedim is False:
            raise ValueError(f"MultiImageSequence: only excludedim 0 (the time dimension) is supported, got "
                             f"{excludedim!r}")
        return list(self.samplesize[which])

    def isize(self, excludedim=0):
        """The input frames' sample size ``[c, h, w]``."""
        return self._sizes_of(0, excludedim)

    def tsize(self, excludedim=0):
        """The target frames' sample size ``[c, h, w]``."""
        return self._sizes_of(1, excludedim)

    def sub(self, start, stop, inputs=None, targets=None, samplefunc=None):
        """``(inputs, targets)`` of ``stop - start + 1`` steps x ``batchsize`` frames (resized FloatTensors):
        each column goes on from where its previous ``sub`` stopped, whatever ``start`` is."""
        if self.seqdirs is None:
            self.buildIndex()
        inputs, targets, seqlen = self._buffers('MultiImageSequence.sub', start, stop, inputs, targets, FloatTensor)
        self._sampler = sample_function(self, samplefunc)
        self._fill(inputs, targets, seqlen)
        self.collectgarbage()
        return inputs, targets

    def _separate(self, input, target, step):
        """The separator step: zero frames in both."""
        input[step].fill(0)
        target[step].fill(0)

    def _continue(self, input, target, step, seqlen, tracker):
        """Make the column's frames on from ``tracker['idx']`` (0-based: file number ``idx + 1``)."""
        seqdir, nframe = self.seqdirs[tracker['seqid']]
        seqpath = os.path.join(self.datapath, seqdir)
        n = 0
        while tracker['idx'] < nframe and step + n < seqlen:
            number = tracker['idx'] + 1
            if number == nframe:
                tracker['seqid'] = None
            self._sampler(self, input[step + n], target[step + n], os.path.join(seqpath, self.inputpattern % number),
                          os.path.join(seqpath, self.targetpattern % number), tracker)
            tracker['idx'] += 1
            n += 1
        return n

    def loadImage(self, path, idx, tracker):
        """The frame at ``path`` (``idx`` 0: an input, 1: a target) scaled so that its smaller side is the
        smaller of its load height and width; with ``varyloadsize`` those are drawn, at the first frame of a
        sequence (every frame with ``scaleeverystep``), between the sample and load sizes, at one scale for
        input and target."""
        if self.varyloadsize:
            if self.scaleeverystep or tracker['idx'] == 0:
                if idx == 0:
                    tracker['scale'] = SCALAR_DRAWS['uniform']()
                (_, lh, lw), (_, sh, sw) = self.loadsize[idx], self.samplesize[idx]
                tracker.setdefault('lH', {})[idx] = _round(sh + tracker['scale'] * (lh - sh))
                tracker.setdefault('lW', {})[idx] = _round(sw + tracker['scale'] * (lw - sw))
            lh, lw = tracker['lH'][idx], tracker['lW'][idx]
        else:
            lh, lw = self.loadsize[idx][1], self.loadsize[idx][2]
        return load_scaled('MultiImageSequence', self.image, path, self.samplesize[idx][0], lh, lw)

    def sampleDefault(self, input, target, inputpath, targetpath, tracker):
        """Both frames scaled to their sample sizes."""
        for dst, path, idx in ((input, inputpath, 0), (target, targetpath, 1)):
            scale_into('MultiImageSequence', self.image, dst, self.loadImage(path, idx, tracker),
                       self.samplesize[idx][1], self.samplesize[idx][2])
        return input, target

    def sampleTrain(self, input, target, inputpath, targetpath, tracker):
        """Crops of both frames at the same relative place, drawn at a sequence's first frame (each frame with
        ``cropeverystep``): ``ceil(cH * free rows)`` from the top, ``ceil(cW * free columns)`` from the left."""
        images = [self.loadImage(inputpath, 0, tracker), self.loadImage(targetpath, 1, tracker)]
        if tracker['idx'] == 0 or self.cropeverystep:
            tracker['cH'], tracker['cW'] = SCALAR_DRAWS['uniform'](), SCALAR_DRAWS['uniform']()
        for dst, img, (_, oh, ow) in zip((input, target), images, self.samplesize):
            top = math.ceil(tracker['cH'] * (img.size(1) - oh))
            left = math.ceil(tracker['cW'] * (img.size(2) - ow))
            dst.copy(crop('MultiImageSequence', img, top, left, oh, ow))
        return input, target
