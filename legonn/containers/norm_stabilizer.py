"""NormStabilizer: the rnn package's norm-stabilisation regulariser between recurrent layers (NormStabilizer.lua)."""
from ..modules.base.errors import input_error
from ..modules.identity import CopyGrad
from .abstract_recurrent import AbstractRecurrent


class NormStabilizer(AbstractRecurrent):
    """``NormStabilizer(beta=1)``: the identity on a ``(batch, size)`` hidden state, one step per forward, whose
    backward adds the gradient of Krueger and Memisevic's norm-stabiliser cost::

        beta / batch * sum over steps t >= 1 and rows b of (||h[t][b]|| - ||h[t-1][b]||) ** 2

    to the gradOutput of each step, over the steps forwarded since ``forget()``. Each step runs on its own
    CopyGrad clone, which keeps that step's row norms in ``norm`` (``(batch, 1)``; training only: in
    ``evaluate()`` it is the plain identity). ``updateLoss()`` returns that cost (with each step's sum over
    rows averaged instead of divided by the batch, which is the same) divided by the number of steps, as
    NormStabilizer.lua reports it; the Lua sums ``||h[t]|| + ||h[t-1]||`` there, a slip its gradient does not
    make, so legonn's ``loss`` is the cost whose gradient the backward adds.
    """

    def __init__(self, beta=1):
        super().__init__(99999)
        self.beta = beta
        self.recurrentModule = CopyGrad()
        self.modules.append(self.recurrentModule)
        self.sharedClones[0] = self.recurrentModule

    def _label(self, step):
        return f"NormStabilizer[step {step}]"

    def updateOutput(self, input):
        self.checkTensor(input, ranks=(2,), floating=True)
        module = self._step_module()
        output = self.run_module(module, self._label(self.step), 'updateOutput', input)
        if self.train:
            out = output.array
            module.bufferLike('norm', output, (output.size(0), 1))[...] = \
                output.xp.sqrt((out * out).sum(axis=1, keepdims=True))
        return self._record_step(output)

    def updateLoss(self):
        """The norm-stabiliser cost of the steps forwarded since forget() (see the class docstring), as
        ``loss``; 0 for one step."""
        self.loss = 0.0
        for step in range(1, self.step):
            gap = self.getStepModule(step).norm.array - self.getStepModule(step - 1).norm.array
            self.loss += float((gap * gap).mean())
        self.loss = self.beta * self.loss / self.step if self.step else 0.0
        return self.loss

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        module = self.getStepModule(step)
        if module.__dict__.get('norm') is None:
            raise input_error(self, "a training forward of each step it back-propagates (the norms it keeps)",
                              f"step {step} forwarded in evaluation")
        self.checkTensor(gradOutput, what='gradOutput')
        self.checkSize(gradOutput, tuple(module.output.size()))
        gradInput = self.run_module(module, self._label(step), 'updateGradInput', input, gradOutput)
        h, norm = module.output.array, module.norm.array
        batch = h.shape[0]
        # d/dh[t] of (||h[t]|| - ||h[s]||)^2 for the neighbouring steps s: 2 (||h[t]|| - ||h[s]||) h[t] / ||h[t]||
        for other in (step - 1, step + 1):
            if 0 <= other < self.step:
                gap = norm - self.getStepModule(other).norm.array
                gradInput.array += h * (2 * self.beta * gap / norm / batch)
        return gradInput

    def _accGradParameters(self, input, gradOutput, scale):
        pass   # no parameters

    def __repr__(self):
        return "nn.NormStabilizer"
