"""Stand-in for MichaelMathieu/THFFmpeg (a C binding of FFmpeg that ucf101.lua decodes its .avi videos with):
the same calls (``open``, ``length``, ``seek``, ``next_frame``, ``close``) over a video stored as a NumPy
``.npy`` array of ``T x 3 x H x W`` bytes, since legonn has no FFmpeg binding. ``next_frame(t)`` writes the next
frame's bytes (0..255, as THFFmpeg does) into ``t`` and answers whether there was one."""
import numpy as np

import legonn as lg


class THFFmpeg:

    def __init__(self):
        self.frames, self.pos = None, 0

    def open(self, filepath):
        try:
            self.frames = np.load(filepath)
        except OSError:
            return False
        self.pos = 0
        return True

    def length(self):
        return self.frames.shape[0]

    def seek(self, i):
        self.pos = i

    def next_frame(self, t):
        if self.pos >= self.frames.shape[0]:
            return False
        t.resize(*self.frames.shape[1:]).copy(lg.from_numpy(self.frames[self.pos].astype(np.float64)))
        self.pos += 1
        return True

    def close(self):
        self.frames = None
