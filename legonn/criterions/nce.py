"""NCECriterion: the noise-contrastive estimation loss over an NCEModule's output (dpnn's NCECriterion.lua)."""
from ..modules.base.errors import input_error
from ..modules.base.table_buffers import slot
from .criterion import Criterion, loss_scalar

# keeps the divisions and logarithms finite, as dpnn's
EPS = 1e-7


class NCECriterion(Criterion):
    """-sum log(Pmt / (Pmt + k Pnt)) - sum log(k Pns / (Pms + k Pns)), divided by the batch size with
    ``sizeAverage`` (default), each denominator plus 1e-7.

    Input ``[Pmt, Pms, Pnt, Pns]`` as NCEModule makes it: ``(batch,)``, ``(batch, k)``, ``(batch,)``,
    ``(batch, k)``; the target is not used (may be None). ``gradInput`` is a list of four: the gradients
    dpnn writes for ``Pmt`` and ``Pms`` (``-k Pnt / ((Pmt + k Pnt + eps)(Pmt + eps))`` and
    ``Pms / ((Pms + k Pns + eps)(Pms + eps))``), zeros for the noise probabilities.
    """

    input_kind = 'table'

    def __init__(self):
        super().__init__()
        self.sizeAverage = True
        self.gradInput = [self.gradInput.new() for _ in range(4)]

    def _parts(self, input):
        self.checkTable(input, length=4)
        for i, rank in enumerate((1, 2, 1, 2)):
            self.checkTensor(input[i], (rank,), f'input[{i}]', floating=True)
            self.checkSameType(input[i], input[0], f'input[{i}]', "input[0]'s")
        Pmt, Pms, Pnt, Pns = input
        batch, k = Pmt.size(0), Pms.size(1)
        for i, (t, size) in enumerate(zip(input, ((batch,), (batch, k), (batch,), (batch, k)))):
            if t._size != size:
                raise input_error(self, f"input[{i}] of size {size} (batch {batch}, k {k})", tuple(t.size()))
        return Pmt.array, Pms.array, Pnt.array, Pns.array, k

    def updateOutput(self, input, target=None):
        Pmt, Pms, Pnt, Pns, k = self._parts(input)
        xp = input[0].xp
        Pom = Pmt / (Pmt + k * Pnt + EPS)           # P(origin = model | target)
        Pon = k * Pns / (Pms + k * Pns + EPS)       # P(origin = noise | sample)
        total = xp.log(Pom).sum() + xp.log(Pon).sum()
        self.output = loss_scalar(total, input[0].size(0) if self.sizeAverage else 1, -1)
        return self.output

    def updateGradInput(self, input, target=None):
        Pmt, Pms, Pnt, Pns, k = self._parts(input)
        count = input[0].size(0) if self.sizeAverage else 1
        dPmt = -k * Pnt / (Pmt + k * Pnt + EPS) / (Pmt + EPS) / count
        dPms = Pms / (Pms + k * Pns + EPS) / (Pms + EPS) / count
        for i, value in ((0, dPmt), (1, dPms)):
            slot(self, 'gradInput', i, input[i]).array[...] = value
        for i in (2, 3):
            if self.gradInput[i].nElement() != input[i].nElement() or type(self.gradInput[i]) is not type(input[0]):
                self.gradInput[i] = input[i].new(*input[i].size()).zero()
        return self.gradInput
