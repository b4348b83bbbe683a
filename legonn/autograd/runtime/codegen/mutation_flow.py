"""Assignments into traced tensors (``x[k] = v``) in the order they happened (torch-autograd's
runtime/codegen/MutationFlow.lua): each one makes a new value x' standing for x, and every later use of x is
remapped to x' so the generated code keeps the order of operations."""


class MutationFlow:
    """``history``: the (from, to) aliases in order; ``map``: id(value) -> its latest alias (keyed by identity,
    as Lua tables are; ``history`` keeps every keyed value alive, so no id is reused while it is a key)."""

    def __init__(self):
        self.clear()

    def alias(self, from_, to):
        """``to`` now stands for ``from_`` (already remapped: an earlier alias) and for the value the user's
        variable names, ``from_``'s root: a third assignment into one tensor must remap its first value too (the
        Lua's reverseMap went back one alias, and uses of x after x[i] = ..., x[j] = ..., x[k] = ... met the
        second)."""
        self.history.append((from_, to))
        root = self.reverseMap.get(id(from_), from_)
        self.map[id(root)] = to
        self.map[id(from_)] = to
        self.reverseMap[id(to)] = root

    def remap(self, a):
        """The latest alias of ``a``, or ``a``."""
        return self.map.get(id(a), a)

    def clear(self):
        self.history = []
        self.map = {}
        self.reverseMap = {}
