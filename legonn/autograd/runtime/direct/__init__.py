"""The direct runtime (torch-autograd's runtime/direct): each call of ``df`` traces ``fn`` on a fresh tape and walks
it backwards."""
from . import tape as DirectTape
from .node import DirectNode
from .profiler import Profiler

__all__ = ['create', 'DirectNode', 'DirectTape', 'Profiler']


def create(fn, opt):
    """``df`` for ``fn`` with grad()'s options ``opt`` (a dict, defaults filled in): ``df(*args)`` returns
    ``(gradients, loss, *other answers)``; with ``withForward=False`` the last argument is the gradient of the
    answer (``partialGrad``); with ``withGradients=False`` only ``fn(*args)``. ``protected``: each gradient's sizes
    are checked against its argument's (the Lua's protected mode guards the codegen trace with pcall; here every
    trace ends cleanly whatever happens, so the direct runtime uses the option for this check)."""
    argnum = opt['argnum']
    profiler = Profiler() if opt['profile'] != 'off' else None

    def df(*args):
        if profiler is not None and (profiler.times + 1) % opt['profileReportFrequency'] == 0:
            profiler.printReport(opt['profile'])
        if opt['withForward'] and opt['withGradients']:
            return DirectTape.grad(fn, argnum, None, profiler, *args, protected=opt['protected'])
        if opt['withForward']:
            return fn(*args)
        if opt['withGradients']:
            if not args:
                raise TypeError("autograd: withForward=false: df(params, ..., partialGrad) needs the gradient of the "
                                "answer as its last argument")
            return DirectTape.grad(fn, argnum, args[-1], None, *args[:-1], protected=opt['protected'])
        raise ValueError("autograd: withForward and withGradients are both false: df would compute nothing")
    return df
