"""code/module/LinearO.lua (``torch.class('nn.LinearO', 'nn.Linear')``): nn.Linear whose weight starts as a
scaled (1.1) orthogonal matrix (Q factors of two Gaussian matrices) and whose bias starts at zero.
The matrix product ``Q1:narrow(...) * Q2:narrow(...)`` is ``@`` (docs/porting.md's ``A * B`` row)."""
import legonn as lg
from legonn import nn


class LinearO(nn.Linear):
    def __init__(self, inputSize, outputSize):
        super().__init__(inputSize, outputSize)
        self.reset()

    def reset(self, *_):
        initScale = 1.1     # math.sqrt(2)

        M1 = lg.randn(self.weight.size(0), self.weight.size(0))
        M2 = lg.randn(self.weight.size(1), self.weight.size(1))

        n_min = min(self.weight.size(0), self.weight.size(1))

        # QR decomposition of random matrices ~ N(0, 1)
        Q1, R1 = lg.qr(M1)
        Q2, R2 = lg.qr(M2)

        self.weight.copy(Q1.narrow(1, 0, n_min) @ Q2.narrow(0, 0, n_min)).mul(initScale)

        self.bias.zero()


lg.register(LinearO)
