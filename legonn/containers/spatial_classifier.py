"""SpatialClassifier: nnx's classifier applied at every pixel of a feature map (nnx's SpatialClassifier.lua)."""
from ..modules.base.errors import input_error
from .container import Container
from .sequential import Sequential
from ..tensor.introspection import typename as lua_typename


class SpatialClassifier(Container):
    """Runs ``classifier`` (a module taking ``(batch, K)`` rows) on the ``H * W`` pixels of a ``(K, H, W)``
    input as one batch of rows ``(H * W, K)``, pixel ``(y, x)`` being row ``y * W + x``; its ``(H * W, N)``
    output comes back as ``(N, H, W)``, or stays ``(H * W, N)`` when ``spatialOutput`` is False.

    ``SpatialClassifier(classifier=nn.Sequential())``; ``add(module)`` adds to the classifier. Parameters and
    gradients are the classifier's.
    """

    # it makes the transposed copies itself, so it checks, as a layer does, what it is given
    input_dtypes = 'floating'
    any_device = False

    def __init__(self, classifier=None):
        super().__init__()
        super().add(Sequential() if classifier is None else classifier)
        self.spatialOutput = True

    @property
    def classifier(self):
        return self.modules[0]

    def add(self, module):
        if not hasattr(self.classifier, 'add'):
            raise TypeError(f"{self.shortName()}.add: the classifier {self.classifier!r} is no container to add to")
        self.classifier.add(module)
        return self

    def _rows(self, input):
        """input (K, H, W) copied into the (H * W, K) buffer ``inputT``."""
        self.checkTensor(input, (3,))
        k, h, w = input.size()
        self.bufferLike('inputT', input, (h * w, k))[...] = input.array.reshape(k, h * w).T
        return self.inputT

    def _grad_rows(self, input, gradOutput):
        """gradOutput in the classifier's (H * W, N) layout."""
        if not self.spatialOutput:
            return gradOutput
        self.checkTensor(gradOutput, (3,), 'gradOutput')
        n, h, w = gradOutput.size()
        if (h, w) != tuple(input.size())[1:]:
            raise input_error(self, f"gradOutput of {input.size(1)}x{input.size(2)} pixels (the input's)",
                              f"size {tuple(gradOutput.size())}")
        self.bufferLike('gradOutputT', gradOutput, (h * w, n))[...] = gradOutput.array.reshape(n, h * w).T
        return self.gradOutputT

    def updateOutput(self, input):
        rows = self.run_child(0, 'updateOutput', self._rows(input))
        if not self.spatialOutput:
            self.output = rows
            return self.output
        if not hasattr(rows, 'dim') or rows.dim() != 2:
            raise input_error(self, "a classifier output of (H * W, N) rows", f"{getattr(rows, 'size', type)()}")
        h, w = input.size(1), input.size(2)
        n = rows.size(1)
        self.bufferLike('_outputF', rows, (n, h, w))[...] = rows.array.T.reshape(n, h, w)
        self.output = self._outputF
        return self.output

    def updateGradInput(self, input, gradOutput):
        grad_rows = self.run_child(0, 'updateGradInput', self._rows(input), self._grad_rows(input, gradOutput))
        k, h, w = input.size()
        self.bufferLike('_gradInputF', grad_rows, (k, h, w))[...] = grad_rows.array.T.reshape(k, h, w)
        self.gradInput = self._gradInputF
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.run_child(0, 'accGradParameters', self._rows(input), self._grad_rows(input, gradOutput), scale)

    def clearState(self, *names):
        return super().clearState('inputT', 'gradOutputT', '_outputF', '_gradInputF', *names)

    def __repr__(self):
        return lua_typename(self) + ' @ ' + repr(self.classifier).replace('\n', '\n  ')
