"""data.lua: the program generator. compose stacks ``nest`` random pieces of utils/operations.lua into a
Python-like program, to_data turns it into input and target symbols (``print(v)@`` then the value and ``.``),
get_data fills a (len x batch_size) tensor pair column by column with the programs whose hash falls in the
split's ``kind`` (train 0, validation 1, test 2).

Edits beyond Lua syntax and 0-based indices:

* Symbols count from 0 (symbolsManager.py), so the "no target" mark of ``y``, 0 in the Lua, is -1: ``y`` starts
  as ``lg.zeros(...).fill(-1)`` and to_data inserts -1; ``x`` starts at the first symbol, ``lg.zeros`` (Lua's
  ``torch.ones``, symbol 1).
* compose finds the operations by scanning ``_G`` for names holding ``_opr``; Lua's ``pairs`` walks the
  table in its hash order, so which operation ``random(#funcs)`` picks for a draw is not fixed by the seed
  alone there; the port scans utils/operations.py's names in their definition order.
* ``torch.random(n)`` draws 1 .. n, legonn's ``random(n)`` 0 .. n - 1 (docs/porting.md's row on ``random(b)``):
  an index keeps ``random(n)``, a number drawn is ``random(1, n + 1)``.
* get_operands's ``torch.randperm(nr)`` is 0-based here: ``ret[perm[i]]`` indexes from 0.
* compose's ``hard, nest = hardness()`` and ``random(math.pow(10, hardness()))`` (the first value kept):
  ``hardness()[0]`` (docs/porting.md's row on a call returning several values). ``to_data(compose(...))``
  passes compose's three results: ``to_data(*compose(...))``.
* get_data's loop variables, ``data``, ``input``, ``target`` and ``orig``, are globals in the Lua, unused
  elsewhere: locals. Its ``io.write`` of three samples goes through ``log``.
* The ``if script_path() == "data.lua"`` check (1000 programs run through ``python2.7 -c``) is left out; the test
  runs generated programs through Python's ``exec`` instead.
"""
import math

import legonn as lg

from .utils import operations
from .utils.stack import Stack
from .utils.symbolsManager import SymbolsManager
from .utils.utils import make_deterministic, random, str_hash
from .utils.variablesManager import VariablesManager

stack = Stack()
variablesManager = VariablesManager()
symbolsManager = SymbolsManager()

log = print


def to_data(code, var, output):
    x = []
    y = []
    output = "%d." % output
    input = ""
    for i in range(len(code)):
        input = "%s%s#" % (input, code[i])
    input = "%sprint(%s)@" % (input, var)
    for j in range(len(input)):
        y.append(-1)
        x.append(symbolsManager.get_symbol_idx(ord(input[j])))
    for j in range(len(output)):
        x.append(symbolsManager.get_symbol_idx(ord(output[j])))
        y.append(symbolsManager.get_symbol_idx(ord(output[j])))
    orig = "%s%s" % (input, output)
    return [x, y, orig]


def compose(hardness):
    stack.clean()
    variablesManager.clean()
    funcs = []
    names = []
    for i, v in vars(operations).items():
        if i.find("_opr") != -1:
            funcs.append(v)
            names.append(i)
    code = []
    hard, nest = hardness()
    for h in range(nest):
        f_idx = random(len(funcs))
        f = funcs[f_idx]
        code_tmp, var_tmp, output_tmp = f(hardness)
        for i in range(len(code_tmp)):
            code.append(code_tmp[i])
        stack.push([var_tmp, output_tmp])
    var, output = stack.pop()
    return code, var, output


def get_operand(hardness):
    if stack.is_empty():
        eval = random(1, math.pow(10, hardness()[0]) + 1)
        expr = "%d" % eval
        return expr, eval
    else:
        return tuple(stack.pop())


def get_operands(hardness, nr):
    ret = [None] * nr
    perm = lg.randperm(nr)
    for i in range(nr):
        expr, eval = get_operand(hardness)
        ret[perm[i]] = {'expr': expr, 'eval': eval}
    return tuple(ret)


def get_data(state):
    make_deterministic(state['seed'])
    len_ = state['len']
    batch_size = state['batch_size']
    if state.get('data') is None:
        state['data'] = {}
        state['data']['x'] = lg.zeros(len_, batch_size)
        state['data']['y'] = lg.zeros(len_, batch_size).fill(-1)
    x = state['data']['x']
    y = state['data']['y']
    count = 0
    log("Few exemplary newly generated samples from the %s dataset:" % state['name'])
    idx = 0
    batch_idx = 0
    i = 0
    while True:
        data = to_data(*compose(state['hardness']))
        input, target, orig = data
        if str_hash(orig) % 3 == state['kind']:
            count = count + len(orig)
            if idx + 1 + len(input) > x.size(0):      # Lua's 1-based idx + #input > size
                idx = 0
                batch_idx = batch_idx + 1
                if batch_idx >= batch_size:
                    break

            for j in range(len(input)):
                x[idx][batch_idx] = input[j]
                y[idx][batch_idx] = target[j]
                idx = idx + 1
                # Added to take care of smaller state lens
                if idx >= x.size(0):
                    idx = 0
                    batch_idx = batch_idx + 1
                    if batch_idx >= batch_size:
                        break

            if batch_idx >= batch_size:
                break

            if i <= 2:
                orig = "     %s" % orig
                orig = orig.replace("#", "\n\t\t     ")
                orig = orig.replace("@", "\n\tTarget:      ")
                log("\tInput:\t" + orig + "\n\t-----------------------------")
                i = i + 1
    log("")


def load_data(state):
    if state.get('currently_loaded_seed') == state['seed']:
        return
    else:
        state['currently_loaded_seed'] = state['seed']
        get_data(state)


def hardness_fun():
    return 8, 4
