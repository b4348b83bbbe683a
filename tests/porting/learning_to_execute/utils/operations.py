"""utils/operations.lua: the program pieces data.lua composes (``*_opr``): each returns (code lines, expression,
its value) and takes its operands from data.lua's stack or fresh random numbers.

Edits beyond Lua syntax: a strategy (``hardness``) returns two values, length and nesting; Lua keeps the first
where the call is an operand (``4 * hardness()``, ``local r_small = hardness()``): ``hardness()[0]``
(docs/porting.md's row on a call returning several values; ``4 * (a, b)`` would repeat the tuple).
``random`` is utils.lua's ``torch.random``, which draws 1 .. n for ``random(n)``; legonn's draws 0 .. n - 1
(docs/porting.md's row on ``random(b)``): ``random(1, n + 1)``.
"""
from . import utils
from .. import data


def random(*args):
    return utils.random(*args)


def pair_opr(hardness):
    a, b = data.get_operands(hardness, 2)
    if random(1, 3) == 1:
        eval = a['eval'] + b['eval']
        expr = "(%s+%s)" % (a['expr'], b['expr'])
    else:
        eval = a['eval'] - b['eval']
        expr = "(%s-%s)" % (a['expr'], b['expr'])
    return [], expr, eval


def smallmul_opr(hardness):
    expr, eval = data.get_operand(hardness)
    b = random(1, 4 * hardness()[0] + 1)
    eval = eval * b
    if random(1, 3) == 1:
        expr = "(%s*%d)" % (expr, b)
    else:
        expr = "(%d*%s)" % (b, expr)
    return [], expr, eval


def equality_opr(hardness):
    expr, eval = data.get_operand(hardness)
    return [], expr, eval


def vars_opr(hardness):
    var = data.variablesManager.get_unused_variables(1)
    a, b = data.get_operands(hardness, 2)
    if random(1, 3) == 1:
        eval = a['eval'] + b['eval']
        code = ["%s=%s;" % (var, a['expr'])]
        expr = "(%s+%s)" % (var, b['expr'])
    else:
        eval = a['eval'] - b['eval']
        code = ["%s=%s;" % (var, a['expr'])]
        expr = "(%s-%s)" % (var, b['expr'])
    return code, expr, eval


def small_loop_opr(hardness):
    r_small = hardness()[0]     # noqa: F841  (unused in the Lua too)
    var = data.variablesManager.get_unused_variables(1)
    a, b = data.get_operands(hardness, 2)
    loop = random(1, 4 * hardness()[0] + 1)
    op = ""
    if random(1, 3) == 2:
        op = "+"
        eval = a['eval'] + loop * b['eval']
    else:
        op = "-"
        eval = a['eval'] - loop * b['eval']
    code = ["%s=%s" % (var, a['expr']),
            "for x in range(%d):%s%s=%s" % (loop, var, op, b['expr'])]
    expr = var
    return code, expr, eval


def ifstat_opr(hardness):
    r_small = hardness()[0]     # noqa: F841
    a, b, c, d = data.get_operands(hardness, 4)
    if random(1, 3) == 1:
        name = ">"
        if a['eval'] > b['eval']:
            output = c['eval']
        else:
            output = d['eval']
    else:
        name = "<"
        if a['eval'] < b['eval']:
            output = c['eval']
        else:
            output = d['eval']
    expr = "(%s if %s%s%s else %s)" % (c['expr'], a['expr'], name, b['expr'], d['expr'])
    return [], expr, output
