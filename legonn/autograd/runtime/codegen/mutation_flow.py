"""Assignments into traced tensors (``x[k] = v``) in the order they happened (torch-autograd's
runtime/codegen/MutationFlow.lua): each one makes a new value x' standing for x, and every later use of x is
remapped to x' so the generated code keeps the order of operations."""


class MutationFlow:
    """``history``: the (from, to) aliases in order; ``map``: id(value) -> its latest alias (keyed by identity,
    as Lua tables are; ``history`` keeps every keyed value alive, so no id is reused while it is a key)."""

    def __init__(self):
        self.clear()

    def alias(self, from_, to):
        self.history.append((from_, to))
        reverse = self.reverseMap.get(id(from_))
        if reverse is not None:
            self.map[id(reverse)] = to
        self.map[id(from_)] = to
        self.reverseMap[id(to)] = from_

    def remap(self, a):
        """The latest alias of ``a``, or ``a``."""
        return self.map.get(id(a), a)

    def clear(self):
        self.history = []
        self.map = {}
        self.reverseMap = {}
