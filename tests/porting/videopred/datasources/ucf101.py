"""datasources/ucf101.lua: UCF101Datasource, random clips of nInputFrames frames of UCF-101 videos (split 1),
scaled to [-1, 1].

Edits beyond Lua syntax and 0-based indices: the videos are decoded by thffmpeg.py's stand-in for THFFmpeg
(``.npy`` files, no FFmpeg binding in legonn); the class numbers of trainlist01.txt stay 1-based in the file
and ``self.classes[classidx - 1]`` holds them, so labels are 0-based; ``torch.random(n)`` is ``lg.random(n)``
(0..n-1) and ``seek(istart-1)`` of the 1-based ``istart`` is ``seek(istart)``. ``f:lines()`` keeps a ``\\r``, as
``open(..., newline='')`` does. ``threadid_t`` is the donkey's global (``threads.local``).
"""
import math
import os

import legonn as lg
from legonn import paths, threads
from tests.porting.videopred.datasources.classdatasource import ClassDatasource
from tests.porting.videopred.datasources.thffmpeg import THFFmpeg


class UCF101Datasource(ClassDatasource):

    def __init__(self, params):
        super().__init__()
        assert params.get('nInputFrames') is not None, "UCF101Dataset: must specify nInputFrames"
        self.datapath = params.get('datapath') or 'datasources/ucf101/'
        setfiles = {'train': 'trainlist01.txt', 'test': 'testlist01.txt'}
        assert paths.dirp(self.datapath), 'Path ' + self.datapath + ' does not exist'
        classes = paths.dir(self.datapath)
        self.classes = [None] * 101
        self.sets = {'train': {}, 'test': {}}
        for set in ['train', 'test']:
            f = open(paths.concat(self.datapath, setfiles[set]), 'r', newline='')
            assert f is not None, 'File ' + paths.concat(self.datapath, setfiles[set]) + ' not found.'
            for line in f.read().split("\n")[:-1]:
                if ord(line[-1]) == 13:
                    # remove the windows carriage return
                    line = line[:-1]
                if set == 'train':
                    filename = line[:line.find(' ')]
                    classidx = int(line[line.find(' ') + 1:])
                    class_ = filename[:filename.find('/')]
                    self.classes[classidx - 1] = class_
                else:
                    filename = line
                    class_ = filename[:filename.find('/')]
                avifile = filename[filename.find('/') + 1:]
                if self.sets[set].get(class_) is None:
                    self.sets[set][class_] = []
                self.sets[set][class_].append(avifile)
            f.close()
            n = 0
            for _ in self.sets[set]:
                n = n + 1
            assert n == 101
        self.nbframes = {}
        assert len([c for c in self.classes if c is not None]) == 101
        self.nInputFrames = params['nInputFrames']
        self.minimumMotion = params.get('minimumMotion')
        assert (self.minimumMotion is None) or (self.minimumMotion > 0)
        self.nChannels, self.nClasses = 3, 101
        self.h, self.w = 240, 320
        self.thffmpeg = THFFmpeg()

    def testEnoughMotion(self, frame1, frame2):
        if self.minimumMotion is None:
            return True
        else:
            return (frame1 - frame2).norm() > math.sqrt(self.minimumMotion * frame1.nElement())

    def nextBatch(self, batchSize, set):
        assert batchSize is not None, 'nextBatch: must specify batchSize'
        assert self.sets.get(set) is not None, 'Unknown set ' + set
        self.output_cpu.resize(batchSize, self.nInputFrames, self.nChannels, self.h, self.w)
        self.labels_cpu.resize(batchSize)
        for i in range(batchSize):
            done = False
            while not done:
                iclass = lg.random(self.nClasses)
                class_ = self.classes[iclass]
                idx = lg.random(len(self.sets[set][class_]))
                filepath = paths.concat(self.datapath, class_, self.sets[set][class_][idx])
                result = self.thffmpeg.open(filepath)
                if result:
                    if self.nbframes.get(filepath) is None:
                        self.nbframes[filepath] = self.thffmpeg.length()
                    nframes = self.nbframes[filepath]
                    if nframes >= self.nInputFrames:
                        self.labels_cpu[i] = iclass
                        istart = lg.random(nframes - self.nInputFrames + 1)
                        self.thffmpeg.seek(istart)
                        for j in range(self.nInputFrames):
                            self.thffmpeg.next_frame(self.output_cpu[i][j])
                        done = self.testEnoughMotion(self.output_cpu[i][-2], self.output_cpu[i][-1])
                else:
                    print("can't open", i, getattr(threads.local, 'threadid_t', None), filepath)
        self.thffmpeg.close()
        self.output_cpu.mul(2 / 255).add(-1)
        return self.typeResults(self.output_cpu, self.labels_cpu)
