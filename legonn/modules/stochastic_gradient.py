"""StochasticGradient: Torch7's simple trainer, one example at a time (nn.StochasticGradient)."""
from ..tensor import as_tensor_tree, randperm
from ..tensor.introspection import tostring as lua_tostring


class StochasticGradient:
    """Trains ``module`` against ``criterion`` by plain SGD over a dataset, example by example.

    ``StochasticGradient(module, criterion)``, then set the fields (Torch7's defaults):
    ``learningRate`` 0.01, ``learningRateDecay`` 0, ``maxIteration`` 25 (epochs; 0 or less:
    no limit), ``shuffleIndices`` True, and optional hooks ``hookExample(trainer, example)``
    after each example and ``hookIteration(trainer, iteration, currentError)`` after each epoch.
    ``train(dataset)`` needs ``dataset.size()`` and ``dataset[i] -> (input, target)`` for
    0-based ``i``. Each example does forward, criterion backward, ``updateGradInput`` and
    ``accUpdateGradParameters`` (so no ``gradWeight`` is kept). The order is one random
    permutation drawn once per ``train`` call (as Torch7); epoch ``e`` (counted from 1)
    uses ``learningRate / (1 + e * learningRateDecay)`` from the second epoch on.
    ``train`` prints Torch7's progress lines (numbers as Lua's ``..`` writes them; the per-epoch
    ``# current error`` only while ``verbose``, True by default) and returns the last epoch's mean error.
    """

    def __init__(self, module, criterion):
        self.learningRate = 0.01
        self.learningRateDecay = 0
        self.maxIteration = 25
        self.shuffleIndices = True
        self.verbose = True
        self.module = module
        self.criterion = criterion
        self.hookExample = None
        self.hookIteration = None

    def _check(self, dataset):
        if not callable(getattr(dataset, 'size', None)) or not hasattr(dataset, '__getitem__'):
            raise TypeError(f"StochasticGradient.train: expected a dataset with size() and dataset[i] -> "
                            f"(input, target), got a {type(dataset).__name__}")
        n = dataset.size()
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"StochasticGradient.train: expected dataset.size() to be a positive integer, got {n!r}")
        for name in ('learningRate', 'learningRateDecay', 'maxIteration'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"StochasticGradient: {name} must be a number, got {value!r}")
        return n

    def train(self, dataset):
        n = self._check(dataset)
        module, criterion = self.module, self.criterion
        order = randperm(n).tolist() if self.shuffleIndices else list(range(n))
        rate = self.learningRate
        iteration = 1
        print("# StochasticGradient: training")
        while True:
            total = 0.0
            for t in range(n):
                example = dataset[order[t]]
                input, target = as_tensor_tree(example[0]), example[1]
                total += criterion.forward(module.forward(input), target)
                grad = criterion.backward(module.output, target)
                module.updateGradInput(input, grad)
                module.accUpdateGradParameters(input, grad, rate)
                if self.hookExample is not None:
                    self.hookExample(self, example)
            error = total / n
            if self.hookIteration is not None:
                self.hookIteration(self, iteration, error)
            if self.verbose:
                print(f"# current error = {lua_tostring(error)}")
            iteration += 1
            rate = self.learningRate / (1 + iteration * self.learningRateDecay)
            if self.maxIteration > 0 and iteration > self.maxIteration:
                print("# StochasticGradient: you have reached the maximum number of iterations")
                print(f"# training error = {lua_tostring(error)}")
                return error
