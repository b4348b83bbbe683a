"""Jacobian: finite-difference checks of a module's gradients (Torch7's nn.Jacobian).

``Jacobian.testJacobian(module, input)`` returns the largest absolute
difference between the Jacobian d output / d input estimated by central
differences and the one assembled from ``updateGradInput`` calls;
``testJacobianParameters`` does the same for parameters through
``accGradParameters``. Inputs and outputs may be tensors or nested lists of
tensors (tables). Use float64 modules and inputs. ``Jacobian.forward`` and
``Jacobian.backward`` return the matrices themselves (rows: input or parameter
elements, columns: outputs) as DoubleTensors, as Jacobian.lua returns tensors.

``Jacobian.testCriterion(criterion, input, target)`` is the same check for a
loss: the gradient of ``criterion.forward(input, target)`` by central
differences against ``criterion.backward(input, target)``; criterion tests
use it the way module tests use ``testJacobian``.

``Jacobian.testIO(module, input)`` saves and reloads the module (clearState
first, which must return the module) and returns the largest absolute
differences of its output and gradInput from the original's, for the same
input and a random gradOutput. ``Jacobian.testAllUpdate(module, input,
'weight', 'gradWeight')`` returns a dict of errors (norms) between the
parameter after ``accGradParameters`` + ``updateParameters(lr)`` and after
``accUpdateGradParameters(lr)``, alone and with two clones sharing the
parameter, as Jacobian.lua's do.

``Jacobian.testDiagHessianInput/Weight/Bias(module, input)`` check torch/nn's hessian.lua on a module linear in
its input and parameters: the diagonal Hessian of sum_k y_k^2 / 2 by ``updateDiagHessianInput`` /
``accDiagHessianParameters`` against the sum of squared first derivatives from one backward per output.
"""
import numpy as np

from ...tensor import as_tensor_tree, tensor_class
from ...tensor.random import SCALAR_DRAWS


def _leaves(x):
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _leaves(v)]
    return [] if x is None else [x]


def _flat(x):
    """All values of a tensor tree as one float64 NumPy vector (a copy)."""
    parts = [np.asarray(t.array.get() if t.is_cuda else t.array, dtype=np.float64).reshape(-1) for t in _leaves(x)]
    return np.concatenate(parts) if parts else np.zeros(0)


def _clone_tree(x):
    if isinstance(x, (list, tuple)):
        return [_clone_tree(v) for v in x]
    return x.clone()


def _zeros_like(x):
    if isinstance(x, (list, tuple)):
        return [_zeros_like(v) for v in x]
    return x.new().resizeAs(x).zero()


def _elements(tensors):
    """Yield (tensor array, index) for every element of every leaf tensor."""
    for t in tensors:
        arr = t.array
        for idx in np.ndindex(*arr.shape):
            yield arr, idx


def _as_double_tensor(matrix):
    """A Jacobian matrix as Jacobian.lua returns it: a tensor (a DoubleTensor, Torch7's default type)."""
    return tensor_class('legonn.DoubleTensor')._from_array(np.ascontiguousarray(matrix, dtype=np.float64))


def _unit_grads(output):
    """Yield gradOutput trees with a single 1 at each output element in turn."""
    grad = _zeros_like(output)
    for arr, idx in _elements(_leaves(grad)):
        arr[idx] = 1
        yield grad
        arr[idx] = 0


class Jacobian:
    """Finite-difference gradient checks; every method is static, as in Torch7."""

    @staticmethod
    def forward(module, input, param=None, perturbation=1e-6):
        """Central-difference Jacobian (a DoubleTensor), rows: elements of ``param`` (default: the input),
        columns: outputs."""
        return _as_double_tensor(Jacobian._forward(module, input, param, perturbation))

    @staticmethod
    def backward(module, input, param=None, dparam=None):
        """The same Jacobian (a DoubleTensor) assembled from backprop with one-hot gradOutputs."""
        return _as_double_tensor(Jacobian._backward(module, input, param, dparam))

    @staticmethod
    def _forward(module, input, param=None, perturbation=1e-6):
        input = as_tensor_tree(input)
        target = _leaves(param if param is not None else input)
        n_out = _flat(module.forward(input)).size
        rows = []
        for arr, idx in _elements(target):
            orig = arr[idx].item()
            arr[idx] = orig - perturbation
            below = _flat(module.forward(input))
            arr[idx] = orig + perturbation
            above = _flat(module.forward(input))
            arr[idx] = orig
            rows.append((above - below) / (2 * perturbation))
        return np.array(rows).reshape(len(rows), n_out)

    @staticmethod
    def _backward(module, input, param=None, dparam=None):
        input = as_tensor_tree(input)
        output = module.forward(input)
        columns = []
        for grad in _unit_grads(output):
            if dparam is None:
                columns.append(_flat(module.updateGradInput(input, grad)))
            else:
                for d in _leaves(dparam):
                    d.zero()
                # containers read their children's gradInputs in accGradParameters, as in Torch7
                module.updateGradInput(input, grad)
                module.accGradParameters(input, grad, 1)
                columns.append(_flat(dparam))
        return np.array(columns).T

    @staticmethod
    def _randomize(tree, minval, maxval):
        """Refill with uniform values in [minval, maxval). A lone integer tensor (LookupTable indices) is
        refilled too, truncated as Jacobian.lua's ``input:copy(torch.rand(n):mul(range):add(minval))``
        truncates; the integer leaves of a table (indices beside values) are kept."""
        if not isinstance(tree, (list, tuple)) and tree is not None and tree.dtype.kind != 'f':
            tree.copy(tensor_class('legonn.DoubleTensor')(tree.nElement()).uniform(minval, maxval))
            return
        for t in _leaves(tree):
            if t.dtype.kind == 'f':
                t.uniform(minval, maxval)

    @staticmethod
    def testJacobian(module, input, minval=-2, maxval=2, perturbation=1e-6):
        """max |finite-difference - backprop| of d output / d input; the input is refilled in [minval, maxval]."""
        input = as_tensor_tree(input)
        Jacobian._randomize(input, minval, maxval)
        estimate = Jacobian._forward(module, input, perturbation=perturbation)
        exact = Jacobian._backward(module, input)
        return float(np.abs(estimate - exact).max()) if estimate.size else 0.0

    @staticmethod
    def testJacobianParameters(module, input, param, dparam, minval=-2, maxval=2, perturbation=1e-6):
        """max |finite-difference - backprop| of d output / d param, with ``dparam`` its gradient tensor(s)."""
        input = as_tensor_tree(input)
        Jacobian._randomize(input, minval, maxval)
        Jacobian._randomize(param, minval, maxval)
        estimate = Jacobian._forward(module, input, param=param, perturbation=perturbation)
        exact = Jacobian._backward(module, input, param=param, dparam=dparam)
        return float(np.abs(estimate - exact).max()) if estimate.size else 0.0

    @staticmethod
    def testJacobianUpdateParameters(module, input, param, minval=-2, maxval=2, perturbation=1e-6):
        """As testJacobianParameters, but reads the gradient from ``accUpdateGradParameters``' change of ``param``."""
        input = as_tensor_tree(input)
        Jacobian._randomize(input, minval, maxval)
        Jacobian._randomize(param, minval, maxval)
        return Jacobian._update_error(module, input, param, perturbation)

    @staticmethod
    def _update_error(module, input, param, perturbation):
        """max |finite-difference Jacobian of ``param`` - its change by accUpdateGradParameters per one-hot
        gradOutput|, at the current input and parameters."""
        estimate = Jacobian._forward(module, input, param=param, perturbation=perturbation)
        output = module.forward(input)
        columns = []
        before = _flat(param)
        # every parameter of the tree moves in an update: all are restored before the next column
        everything = module.parameters()[0]
        saved = [t.clone() for t in everything]
        for grad in _unit_grads(output):
            module.forward(input)
            module.updateGradInput(input, grad)
            module.accUpdateGradParameters(input, grad, 1)
            columns.append(before - _flat(param))
            for t, s in zip(everything, saved):
                t.copy(s)
        exact = np.array(columns).T
        return float(np.abs(estimate - exact).max()) if estimate.size else 0.0

    @staticmethod
    def backwardDiagHessian(module, input, diagHessianParamName):
        """The diagonal Hessian of F = sum_k y_k^2 / 2 (y = module(input)) w.r.t. the input or a parameter, by
        hessian.lua's backprop: updateDiagHessianInput and accDiagHessianParameters with a diagHessianOutput of
        ones (d^2F/dy_k^2 = 1). Returns ``module[diagHessianParamName]`` (zeroed first for the parameters)."""
        output = module.forward(input)
        diagHessianOutput = output.new().resizeAs(output).fill(1)
        for name in ('diagHessianWeight', 'diagHessianBias'):
            if getattr(module, name, None) is not None:
                getattr(module, name).zero()
        module.updateDiagHessianInput(input, diagHessianOutput)
        module.accDiagHessianParameters(input, diagHessianOutput)
        return getattr(module, diagHessianParamName)

    @staticmethod
    def linearModuleDiagHessian(module, input, gradParamName):
        """The same diagonal Hessian without hessian.lua, for a module linear in its input and parameters
        (d^2y_k/dx_i^2 = 0): d^2F/dx_i^2 = sum_k (dy_k/dx_i)^2, from one backward per output element. Returns
        a 1-D tensor of the gradient's type, one entry per element of ``module[gradParamName]``."""
        output = module.forward(input)
        total = None
        for grad in _unit_grads(output):
            module.gradWeight.zero()
            if getattr(module, 'bias', None) is not None:
                module.gradBias.zero()
            module.updateGradInput(input, grad)
            module.accGradParameters(input, grad)
            # read after the backward: a module may put its gradInput in a new tensor
            g = getattr(module, gradParamName).array.reshape(-1)
            total = g * g if total is None else total + g * g
        gradParam = getattr(module, gradParamName)
        diagHessian = gradParam.new().resize(gradParam.nElement()).zero()
        if total is not None:
            diagHessian.array[...] = total
        return diagHessian

    @staticmethod
    def testDiagHessian(module, input, gradParamName, diagHessianParamName, minval=-2, maxval=2):
        """max |backwardDiagHessian - linearModuleDiagHessian| after refilling the input in [minval, maxval)."""
        input = as_tensor_tree(input)
        Jacobian._randomize(input, minval, maxval)
        module.initDiagHessianParameters()
        by_bprop = _flat(Jacobian.backwardDiagHessian(module, input, diagHessianParamName))
        by_linear_module = _flat(Jacobian.linearModuleDiagHessian(module, input, gradParamName))
        return float(np.abs(by_bprop - by_linear_module).max()) if by_bprop.size else 0.0

    @staticmethod
    def testDiagHessianInput(module, input, minval=-2, maxval=2):
        """testDiagHessian of the input (diagHessianInput against gradInput)."""
        return Jacobian.testDiagHessian(module, input, 'gradInput', 'diagHessianInput', minval, maxval)

    @staticmethod
    def testDiagHessianWeight(module, input, minval=-2, maxval=2):
        """testDiagHessian of the weight (diagHessianWeight against gradWeight)."""
        return Jacobian.testDiagHessian(module, input, 'gradWeight', 'diagHessianWeight', minval, maxval)

    @staticmethod
    def testDiagHessianBias(module, input, minval=-2, maxval=2):
        """testDiagHessian of the bias (diagHessianBias against gradBias)."""
        return Jacobian.testDiagHessian(module, input, 'gradBias', 'diagHessianBias', minval, maxval)

    @staticmethod
    def testIO(module, input, minval=-2, maxval=2):
        """(forward error, backward error): max |difference| of output and gradInput between ``module`` and
        its copy written and read back after ``clearState()``, both run on the same input and a gradOutput
        drawn in [minval, maxval] (Jacobian.lua's testIO, which writes the module to a file)."""
        # serialization sits below modules.base in the import graph and imports the base itself: at call time
        from ...serialization import deserialize, serialize
        input = as_tensor_tree(input)
        inputclone = _clone_tree(input)
        module.forward(input)
        go = _clone_tree(module.output)
        Jacobian._randomize(go, minval, maxval)
        goclone = _clone_tree(go)
        module.zeroGradParameters()
        module.updateGradInput(input, go)
        module.accGradParameters(input, go)
        fo, bo = _flat(module.output), _flat(module.gradInput)
        if module.clearState() is not module:
            raise AssertionError(f"testIO: {module!r}: clearState did not return self")
        # as Jacobian.lua's writeObject: the module as its own clearState left it, buffers its clearState keeps
        # included (SpatialMaxUnpooling's pooling module keeps its indices), read back onto the module's device
        # (readObject keeps CUDA tensors CUDA tensors)
        m = deserialize(serialize(module, buffers=True), device='cuda' if 'Cuda' in module.type() else 'cpu')
        m.forward(inputclone)
        m.zeroGradParameters()
        m.updateGradInput(inputclone, goclone)
        m.accGradParameters(inputclone, goclone)
        fo2, bo2 = _flat(m.output), _flat(m.gradInput)
        errf = float(np.abs(fo - fo2).max()) if fo.size else 0.0
        return errf, float(np.abs(bo - bo2).max()) if bo.size else 0.0

    @staticmethod
    def testAllUpdate(module, input, weight, gradWeight):
        """A dict of errors (norms) of the parameter named ``weight`` after one step of a random learning rate
        in [0.1, 1] (Jacobian.lua's testAllUpdate), taking accGradParameters + updateParameters on a clone
        as the reference: 'accGradParameters', 'accUpdateGradParameters', and the same two on a pair of
        clones sharing ``weight`` (each then moves by twice the step), '... [shared]'."""
        input = as_tensor_tree(input)
        lr = SCALAR_DRAWS['uniform'](0.1, 1)
        errors = {}

        maccgp = module.clone()
        weightc = getattr(maccgp, weight).clone()
        maccgp.forward(input)
        gradOutput = _clone_tree(maccgp.output)
        Jacobian._randomize(gradOutput, 0, 1)
        maccgp.zeroGradParameters()
        maccgp.updateGradInput(input, gradOutput)
        maccgp.accGradParameters(input, gradOutput)
        maccgp.updateParameters(lr)
        step = getattr(maccgp, gradWeight) * lr
        errors['accGradParameters'] = (weightc - step - getattr(maccgp, weight)).norm()

        maccugp = module.clone()
        maccugp.forward(input)
        maccugp.updateGradInput(input, gradOutput)
        maccugp.accUpdateGradParameters(input, gradOutput, lr)
        errors['accUpdateGradParameters'] = (getattr(maccugp, weight) - getattr(maccgp, weight)).norm()

        expected = weightc - step * 2
        for name, accumulate in (('accGradParameters [shared]', False), ('accUpdateGradParameters [shared]', True)):
            first, second = module.clone(), module.clone()
            second.share(first, weight)
            pair = (first, second)
            for m in pair:
                m.forward(input)
            if not accumulate:
                for m in pair:
                    m.zeroGradParameters()
            for m in pair:
                m.updateGradInput(input, gradOutput)
            for m in pair:
                if accumulate:
                    m.accUpdateGradParameters(input, gradOutput, lr)
                else:
                    m.accGradParameters(input, gradOutput)
            if not accumulate:
                for m in pair:
                    m.updateParameters(lr)
            errors[name] = sum((expected - getattr(m, weight)).norm() for m in pair)
        return errors

    @staticmethod
    def testCriterion(criterion, input, target, perturbation=1e-6):
        """max |finite-difference - backward| of d loss / d input for a criterion (input kept as given).

        ``input`` and ``target`` may be tensors, arrays or tables; use float64 inputs
        and ``criterion.double()``. The input is not refilled: criterions often need
        inputs in a range (probabilities for BCECriterion), so the caller picks it.
        """
        input = as_tensor_tree(input)
        exact = _flat(criterion.backward(input, target))
        estimate = []
        for arr, idx in _elements(_leaves(input)):
            orig = arr[idx].item()
            arr[idx] = orig - perturbation
            below = criterion.forward(input, target)
            arr[idx] = orig + perturbation
            above = criterion.forward(input, target)
            arr[idx] = orig
            estimate.append((above - below) / (2 * perturbation))
        if len(estimate) != exact.size:
            raise ValueError(f"testCriterion: gradInput has {exact.size} elements, the input {len(estimate)}")
        return float(np.abs(np.array(estimate) - exact).max()) if estimate else 0.0
