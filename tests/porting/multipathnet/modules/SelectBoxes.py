"""modules/SelectBoxes.lua: ``{class scores (B x C), box regressions (B x 4C)}`` -> each row's four values of its
best-scoring class (B x 4), renormalised by ``std``/``mean`` when set. The Lua's commented-out ``test()`` is
tests/porting/test_multipathnet.py's SelectBoxes test."""
import legonn as lg
from legonn import nn


class SelectBoxes(nn.Module):

    def __init__(self):
        super().__init__()
        self.gradInput_classes = lg.Tensor()
        self.gradInput_boxes = lg.Tensor()

    def updateOutput(self, input):
        classes = input[0]
        ys = input[1]

        B = classes.size(0)
        if getattr(self, 'maxvals', None) is None:
            self.maxvals = classes.new()
        if getattr(self, 'maxids', None) is None:
            self.maxids = classes.new()
        if getattr(self, 'ids', None) is None:
            self.ids = classes.new()

        maxvals = self.maxvals.resize(B, 1)
        maxids = self.maxids.resize(B, 1)
        ids = self.ids.resize(B, 4)

        lg.max(maxvals, maxids, classes, 1)

        maxids.mul(4)
        for i in range(4):
            ids.select(1, i).fill(i)
        ids.add(maxids.expand(B, 4))
        self.output.resize(B, 4).gather(ys, 1, ids)

        if getattr(self, 'std', None) is None:
            pass  # print'dry run, using 0-1 mean-sigma in nn.SelectBoxes'
        else:
            # renormalize output
            mu = self.mean.expandAs(self.output)
            sigma = self.std.expandAs(self.output)
            self.output.cmul(sigma).add(mu)

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput_classes.resizeAs(input[0]).zero()
        self.gradInput_boxes.resizeAs(input[1]).zero()
        self.gradInput = [self.gradInput_classes, getattr(self, 'gradInput2', None)]
        return self.gradInput


lg.register(SelectBoxes, 'nn.SelectBoxes')
