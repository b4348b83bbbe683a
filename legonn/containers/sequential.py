"""Sequential: feeds each child's output to the next child."""
from .container import Container


class Sequential(Container):
    """output = m[n-1](...m[1](m[0](input))); any input/output the children accept."""

    def insert(self, module, index=None):
        """Insert ``module`` at position ``index`` (0-based; default: the end)."""
        self.add(module) if index is None else self.modules.insert(index, module)
        return self

    def remove(self, index=None):
        """Remove and return the child at ``index`` (default: the last)."""
        return self.modules.pop(len(self.modules) - 1 if index is None else index)

    def updateOutput(self, input):
        current = input
        for i in range(len(self.modules)):
            current = self.run_child(i, 'updateOutput', current)
        self.output = current
        return current

    def _input_of(self, i, input):
        return self.modules[i - 1].output if i > 0 else input

    def updateGradInput(self, input, gradOutput):
        current = gradOutput
        for i in range(len(self.modules) - 1, -1, -1):
            current = self.run_child(i, 'updateGradInput', self._input_of(i, input), current)
        self.gradInput = current
        return current

    def accGradParameters(self, input, gradOutput, scale=1):
        current = gradOutput
        for i in range(len(self.modules) - 1, -1, -1):
            self.run_child(i, 'accGradParameters', self._input_of(i, input), current, scale)
            current = self.modules[i].gradInput

    def backward(self, input, gradOutput, scale=1):
        current = gradOutput
        for i in range(len(self.modules) - 1, -1, -1):
            current = self.run_child(i, 'backward', self._input_of(i, input), current, scale)
        self.gradInput = current
        return current

    def __repr__(self):
        if not self.modules:
            return 'nn.Sequential {}'
        chain = ' -> '.join(f'({i})' for i in range(len(self.modules)))
        lines = ['nn.Sequential {', f'  [input -> {chain} -> output]']
        for i, m in enumerate(self.modules):
            lines.append(f"  ({i}): " + repr(m).replace('\n', '\n  '))
        lines.append('}')
        return '\n'.join(lines)
