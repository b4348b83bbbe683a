"""utils/stack.lua: a stack of (expression, value) pairs for data.lua's composition."""


class Stack:
    typename = 'Stack'

    def __init__(self):
        self.stack = []

    def push(self, val):
        self.stack.append(val)         # self.stack[#self.stack + 1] = val

    def pop(self):
        ret = self.stack[-1]
        del self.stack[-1]             # self.stack[#self.stack] = nil
        return ret

    def is_empty(self):
        return len(self.stack) == 0

    def clean(self):
        self.stack = []
