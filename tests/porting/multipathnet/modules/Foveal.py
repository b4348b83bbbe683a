"""modules/Foveal.lua: each roi (n x 5) -> 4 rois (4n x 5): itself and the regions 1.5, 2 and 4 times its size
about its centre (MultiPathNet's foveal regions)."""
import legonn as lg
from legonn import nn


class Foveal(nn.Module):

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        assert input.nDimension() == 2
        assert input.size(1) == 5
        N = 4
        self.output.resize(input.size(0) * N, input.size(1))

        cinput = input.float()
        coutput = self.output.float()

        output_split = coutput.split(N)

        def createRegion(id, x, y, w, h):
            return lg.FloatTensor([id, x, y, x + w, y + h])

        for i in range(input.size(0)):
            box = cinput[i]
            id, x, y, x2, y2 = box.totable()
            w = x2 - x
            h = y2 - y
            base = output_split[i]
            base[0].copy(box)
            base[1].copy(createRegion(id, x - w * .25, y - h * .25, w * 1.5, h * 1.5))
            base[2].copy(createRegion(id, x - w * 0.5, y - h * 0.5, w * 2.0, h * 2.0))
            base[3].copy(createRegion(id, x - w * 1.5, y - h * 1.5, w * 4.0, h * 4.0))

        self.output.copy(coutput)
        return self.output


lg.register(Foveal, 'nn.Foveal')
