"""SpatialPyramid: nnx's multi-scale processing of an image (nnx's SpatialPyramid.lua), a simpler fovea."""
import math

from ..modules.base.errors import input_error
from ..modules.spatial_padding_constant import SpatialPadding
from ..modules.spatial_resampling_ex import SpatialReSamplingEx
from .container import Container
from .sequential import Sequential
from .tables import ConcatTable, ParallelTable
from ..tensor.introspection import typename as lua_typename


class SpatialPyramid(Container):
    """Runs ``processors[i]`` on the image down-scaled by ``ratios[i]`` and returns the table of their outputs.

    ``SpatialPyramid(ratios, processors, kW, kH, dW, dH, xDimIn=2, yDimIn=1, xDimOut=2, yDimOut=1,
    prescaled_input=False)``: image axes 0-based (nnx's nil defaults are the 1-based 3 and 2); ``kW, kH, dW,
    dH`` are the processors' overall kernel and step. Unfocused (the default): each scale is the
    ``ratios[i]`` block average of the input, padded by ``kW - dW`` and ``kH - dH`` pixels (floor before, ceil
    after), processed, then up-sampled back by ``ratios[i]`` (nearest neighbour), so every output has the
    input's size; with ``prescaled_input`` the input is the table of already scaled images. The input's
    height and width must be multiples of every ratio.

    ``focus(x, y, w=1, h=1)`` (0-based pixel, where nnx's is 1-based) switches to focused mode: each scale
    crops (by negative padding) the window around ``(x, y)`` that gives ``w x h`` processor outputs, before the
    down-scaling, and no up-sampling follows; ``focus()`` goes back. Holds ``focused_pipeline`` (a ConcatTable)
    and ``unfocused_pipeline`` (a ConcatTable, or a ParallelTable for prescaled input); they share the
    processors, so parameters are the processors' whatever the mode.
    """

    def __init__(self, ratios, processors, kW, kH, dW, dH, xDimIn=None, yDimIn=None, xDimOut=None, yDimOut=None,
                 prescaled_input=False):
        super().__init__()
        if len(ratios) != len(processors) or not ratios:
            raise ValueError(f"SpatialPyramid: expected as many processors as ratios (at least one), got "
                             f"{len(ratios)} ratios and {len(processors)} processors")
        xIn, yIn = 2 if xDimIn is None else xDimIn, 1 if yDimIn is None else yDimIn
        xOut, yOut = 2 if xDimOut is None else xDimOut, 1 if yDimOut is None else yDimOut
        self.ratios, self.processors = list(ratios), list(processors)
        self.kW, self.kH, self.dW, self.dH = kW, kH, dW, dH
        self.prescaled_input = bool(prescaled_input)
        self.focused = False
        self.x = self.y = self.wFocus = self.hFocus = 0
        pad_w, pad_h = kW - dW, kH - dH
        focused = ConcatTable()
        unfocused = ParallelTable() if prescaled_input else ConcatTable()
        for ratio, processor in zip(self.ratios, self.processors):
            focused.add(Sequential().add(SpatialPadding(0, 0, 0, 0, yIn, xIn))
                        .add(SpatialReSamplingEx(rwidth=1.0 / ratio, rheight=1.0 / ratio, xDim=xIn, yDim=yIn,
                                                 mode='average'))
                        .add(processor))
            seq = Sequential()
            if not prescaled_input:
                seq.add(SpatialReSamplingEx(rwidth=1.0 / ratio, rheight=1.0 / ratio, xDim=xIn, yDim=yIn,
                                            mode='average'))
                seq.add(SpatialPadding(pad_w // 2, -(-pad_w // 2), pad_h // 2, -(-pad_h // 2), yIn, xIn))
            seq.add(processor)
            seq.add(SpatialReSamplingEx(rwidth=ratio, rheight=ratio, xDim=xOut, yDim=yOut, mode='simple'))
            unfocused.add(seq)
        self.add(focused)
        self.add(unfocused)
        self._yIn, self._xIn = yIn, xIn

    @property
    def focused_pipeline(self):
        return self.modules[0]

    @property
    def unfocused_pipeline(self):
        return self.modules[1]

    def focus(self, x=None, y=None, w=1, h=1):
        """Focus on pixel ``(x, y)`` (0-based) for ``w x h`` outputs; ``focus()`` unfocuses."""
        if x is None or y is None:
            self.focused = False
            return
        self.x, self.y, self.focused = x, y, True
        self.winWidth = [r * ((w - 1) * self.dW + self.kW) for r in self.ratios]
        self.winHeight = [r * ((h - 1) * self.dH + self.kH) for r in self.ratios]

    def _configure_focus(self, width, height):
        # nnx's pads, written for its 1-based focus point
        x, y = self.x + 1, self.y + 1
        for seq, ww, wh in zip(self.focused_pipeline.modules, self.winWidth, self.winHeight):
            padder = seq.modules[0]
            padder.pad_l = int(-x + math.ceil(ww / 2))
            padder.pad_r = int(x + math.floor(ww / 2) - width)
            padder.pad_t = int(-y + math.ceil(wh / 2))
            padder.pad_b = int(y + math.floor(wh / 2) - height)

    def _active(self, input):
        if not self.prescaled_input:
            self.checkTensor(input)
            axes = max(self._yIn, self._xIn) + 1
            if input.dim() < axes:
                raise input_error(self, f"an input with image axes {self._yIn} and {self._xIn} (at least {axes}-D)",
                                  f"{input.dim()}-D of size {tuple(input.size())}")
            h, w = input.size(self._yIn), input.size(self._xIn)
            for r in self.ratios:
                if math.fmod(h, r) or math.fmod(w, r):
                    raise input_error(self, f"an input height and width that are multiples of the ratios "
                                      f"{self.ratios}", f"{h}x{w}")
        if self.focused:
            self._configure_focus(input.size(self._xIn), input.size(self._yIn))
            return 0
        return 1

    def updateOutput(self, input):
        self.output = self.run_child(self._active(input), 'updateOutput', input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.run_child(0 if self.focused else 1, 'updateGradInput', input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.run_child(0 if self.focused else 1, 'accGradParameters', input, gradOutput, scale)

    # the pipelines share the processors: parameters and updates go through the active one only, as nnx's
    def parameters(self):
        return self.modules[0 if self.focused else 1].parameters()

    def zeroGradParameters(self):
        self.modules[0 if self.focused else 1].zeroGradParameters()

    def updateParameters(self, learningRate):
        self.modules[0 if self.focused else 1].updateParameters(learningRate)

    def __repr__(self):
        mode = 'focused' if self.focused else 'unfocused'
        inner = repr(self.modules[0 if self.focused else 1]).replace('\n', '\n    |    ')
        return f"{lua_typename(self)} ({mode})\n{inner}"
