"""SuperCriterion: nnx's weighted sum of criterions over a table input (nnx's SuperCriterion.lua)."""
from .composite import ParallelCriterion


class SuperCriterion(ParallelCriterion):
    """loss = sum_i w_i criterion_i(input[i], target[i]), or with ``target[i]`` replaced by ``target`` itself
    when the target is not a table (a list): nnx's older ParallelCriterion, which chooses per call.

    ``SuperCriterion()``, then ``add(criterion, weight=1)``; ``gradInput`` is the list of each criterion's
    gradInput times its weight (input entries past the criterions get zeros: the Lua file leaves them out)."""

    def __init__(self):
        super().__init__(repeatTarget=False)

    def _pairs(self, input, target):
        # SuperCriterion.lua tests type(target) == 'table' at every call
        self.repeatTarget = not isinstance(target, list)
        return super()._pairs(input, target)
