"""torch/nn's hessian.lua: the diagonal-Hessian pass of LeCun's stochastic diagonal Levenberg-Marquardt.

``m.updateDiagHessianInput(input, diagHessianOutput)`` sets and returns ``m.diagHessianInput`` (the Gauss-Newton
estimate of d^2E/dx^2, input-shaped); ``m.accDiagHessianParameters(input, diagHessianOutput)`` adds the estimate
for the weights into ``diagHessianWeight``/``diagHessianBias`` (gradWeight/gradBias-shaped);
``m.initDiagHessianParameters()`` allocates them. Torch7 patches these onto its classes in
``nn.hessian.enable()``; here the classes define them and ``nn.hessian.enable()`` does nothing. The functions
below are hessian.lua's helpers (``nn.hessian.updateDiagHessianInput`` ...): they rerun a module's own backward
with squared weights or squared inputs, so every backend the backward runs on runs them.
"""
from .errors import input_error


def _swap(module, a, b):
    va, vb = getattr(module, a), getattr(module, b)
    setattr(module, a, vb)
    setattr(module, b, va)


def _check_names(module, method, names, others, what):
    if len(names) != len(others):
        raise input_error(module, f"as many {what} names in {method} ({len(names)})", len(others))


def _zeros_unless_set(module, name, like):
    """``module[name]`` made a zero tensor shaped and typed as ``like`` unless the module has one already
    (Torch7's resizeAs leaves the memory as it was; zeros keep a first accumulation well defined)."""
    if module.__dict__.get(name) is None:
        setattr(module, name, like.new().resizeAs(like).zero())


def diag_hessian_input_buffer(module, input):
    """``module.diagHessianInput`` resized as ``input`` (created of the input's type on first use; contents
    left as they were)."""
    dhi = module.__dict__.get('diagHessianInput')
    module.diagHessianInput = (dhi if dhi is not None else input.new()).resizeAs(input)
    return module.diagHessianInput


def updateDiagHessianInput(module, input, diagHessianOutput, w, wsq):
    """``module.diagHessianInput`` = ``updateGradInput(input, diagHessianOutput)`` computed with each weight
    ``module[w[i]]`` replaced by its element-wise square (kept in ``module[wsq[i]]``): sum_j W_ji^2 h_j for a
    linear map. Returns nothing (as in hessian.lua); the caller returns ``module.diagHessianInput``."""
    _check_names(module, 'updateDiagHessianInput', w, wsq, 'squared-weight')
    diag_hessian_input_buffer(module, input).zero()
    gi = module.gradInput
    module.gradInput = module.diagHessianInput
    swapped = []
    try:
        for wname, wsqname in zip(w, wsq):
            wval = getattr(module, wname)
            wsqval = module.__dict__.get(wsqname)
            if wsqval is None:
                wsqval = wval.new()
            wsqval.resizeAs(wval).cmul(wval, wval)
            setattr(module, wsqname, wsqval)
            _swap(module, wname, wsqname)
            swapped.append((wname, wsqname))
        module.updateGradInput(input, diagHessianOutput)
    finally:
        # the weights go back even when the backward raised: a failed call changes no parameters
        for wname, wsqname in swapped:
            _swap(module, wname, wsqname)
        module.gradInput = gi


def accDiagHessianParameters(module, input, diagHessianOutput, gw, hw):
    """Adds ``accGradParameters(input^2, diagHessianOutput, 1)`` into the tensors named ``hw`` (in place of the
    gradients named ``gw``): sum_j h_j x_i^2 for a linear map's weight W_ji. The forward on ``input^2`` that
    the backward needs writes into a scratch output; ``module.output`` is kept."""
    _check_names(module, 'accDiagHessianParameters', gw, hw, 'diag-Hessian')
    inputSq = module.__dict__.get('inputSq')
    module.inputSq = (inputSq if inputSq is not None else input.new()).resizeAs(input).cmul(input, input)
    swapped = []
    oldOutput = module.output
    try:
        for gwname, hwname in zip(gw, hw):
            gwval = getattr(module, gwname)
            if gwval is None:   # a module without a bias (noBias()) has nothing to swap
                continue
            _zeros_unless_set(module, hwname, gwval)
            _swap(module, gwname, hwname)
            swapped.append((gwname, hwname))
        module.output = oldOutput.new().resizeAs(oldOutput)
        module.forward(module.inputSq)
        module.accGradParameters(module.inputSq, diagHessianOutput, 1)
    finally:
        for gwname, hwname in swapped:
            _swap(module, gwname, hwname)
        module.output = oldOutput


def updateDiagHessianInputPointWise(module, input, diagHessianOutput):
    """For y = f(x) element-wise: diagHessianInput = f'(x)^2 * diagHessianOutput (f' from the module's backward
    on a gradOutput of ones)."""
    ones = diagHessianOutput.new().resizeAs(diagHessianOutput).fill(1)
    updateDiagHessianInput(module, input, ones, (), ())
    module.diagHessianInput.cmul(module.diagHessianInput)
    module.diagHessianInput.cmul(diagHessianOutput)


def initDiagHessianParameters(module, gw, hw):
    """Allocates ``diagHessianInput`` and each ``module[hw[i]]`` (sized as ``module[gw[i]]``) not yet there."""
    if module.__dict__.get('diagHessianInput') is None:
        module.diagHessianInput = module.gradInput.new()
    for gwname, hwname in zip(gw, hw):
        gwval = getattr(module, gwname)
        if gwval is not None:
            _zeros_unless_set(module, hwname, gwval)


def enable():
    """A no-op: the diagonal-Hessian methods are always defined (Torch7 patched them in here)."""


class DiagHessianMethods:
    """Module's defaults from hessian.lua: no input rule (an error naming the module), no parameters."""

    def updateDiagHessianInput(self, input, diagHessianOutput):
        raise NotImplementedError(f"{self.shortName()}: updateDiagHessianInput() is undefined")

    def accDiagHessianParameters(self, input, diagHessianOutput):
        pass

    def initDiagHessianParameters(self):
        pass


class LinearDiagHessian:
    """hessian.lua's rules for a module linear in its input and in ``weight``/``bias`` (Linear and the
    convolutions): the input rule squares ``weight`` only, the parameter rule squares the input."""

    # SpatialConvolutionMap squares its bias too (hessian.lua passes {'weight','bias'} for it alone)
    diag_hessian_squared = ('weight',)

    def updateDiagHessianInput(self, input, diagHessianOutput):
        names = self.diag_hessian_squared
        updateDiagHessianInput(self, input, diagHessianOutput, names, tuple(n + 'Sq' for n in names))
        return self.diagHessianInput

    def accDiagHessianParameters(self, input, diagHessianOutput):
        accDiagHessianParameters(self, input, diagHessianOutput, ('gradWeight', 'gradBias'),
                                 ('diagHessianWeight', 'diagHessianBias'))

    def initDiagHessianParameters(self):
        initDiagHessianParameters(self, ('gradWeight', 'gradBias'), ('diagHessianWeight', 'diagHessianBias'))


class PointWiseDiagHessian:
    """hessian.lua's rule for an element-wise y = f(x) (Tanh, Square, Sqrt): f'(x)^2 * diagHessianOutput."""

    def updateDiagHessianInput(self, input, diagHessianOutput):
        updateDiagHessianInputPointWise(self, input, diagHessianOutput)
        return self.diagHessianInput
