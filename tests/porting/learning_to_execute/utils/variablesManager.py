"""utils/variablesManager.lua: hands out unused one-letter variable names, in a random order of a..j.

``torch.randperm(10):add(string.byte("a") - 1)``: Lua's permutation holds 1..10, legonn's 0..9, so the offset is
``ord('a')``.
"""
import legonn as lg


class VariablesManager:
    typename = 'VariablesManager'

    def __init__(self):
        self.vars = []
        self.last_var_idx = 0

    def get_unused_variables(self, number):
        ret = []
        if len(self.vars) == 0:
            self.vars = lg.randperm(10).add(ord("a"))
        for i in range(number):
            ret.append(chr(self.vars[i + self.last_var_idx]))
        self.last_var_idx = self.last_var_idx + number
        return ret[0] if number == 1 else tuple(ret)       # unpack(ret)

    def clean(self):
        self.vars = []
        self.last_var_idx = 0
