"""modules/ConvertFrom.lua: ``{rois (n x 5), deltas (n x 4)}`` -> the rois moved by Fast R-CNN's box deltas
(centre offsets in units of the box, log width and height ratios). No gradient (gradInput left unset)."""
import legonn as lg
from legonn import nn


class ConvertFrom(nn.Module):

    def __init__(self):
        super().__init__()
        self.gradInput1 = lg.Tensor()
        self.gradInput2 = lg.Tensor()

    def updateOutput(self, input):
        roi_boxes = input[0]
        y = input[1]

        bbox = roi_boxes.narrow(1, 1, 4)

        self.output.resizeAs(roi_boxes).copy(roi_boxes)
        out = self.output.narrow(1, 1, 4)

        assert bbox.size(1) == y.size(1)
        assert bbox.size(1) == out.size(1)
        assert bbox.size(0) == y.size(0)
        assert bbox.size(0) == out.size(0)

        xc = (bbox[:, 0] + bbox[:, 2]) * 0.5
        yc = (bbox[:, 1] + bbox[:, 3]) * 0.5
        w = bbox[:, 2] - bbox[:, 0]
        h = bbox[:, 3] - bbox[:, 1]

        xtc = lg.addcmul(xc, y[:, 0], w)
        ytc = lg.addcmul(yc, y[:, 1], h)
        wt = lg.exp(y[:, 2]).cmul(w)
        ht = lg.exp(y[:, 3]).cmul(h)

        out[:, 0] = xtc - wt * 0.5
        out[:, 1] = ytc - ht * 0.5
        out[:, 2] = xtc + wt * 0.5
        out[:, 3] = ytc + ht * 0.5

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput1.resizeAs(input[0])
        self.gradInput2.resizeAs(input[1])
        self.gradInput = [self.gradInput1, self.gradInput2]
        return self.gradInput


lg.register(ConvertFrom, 'nn.ConvertFrom')
