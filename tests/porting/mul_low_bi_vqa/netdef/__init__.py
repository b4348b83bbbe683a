"""netdef/ of jnhwkim/MulLowBiVQA: ``require('netdef.'..opt.model_name)`` then ``netdef[opt.model_name](...)``:
each Lua file adds its functions to the global ``netdef`` table; here this package's ``netdef`` namespace gets
them when a module is imported (``load(name)``)."""
import importlib
import types

netdef = types.SimpleNamespace()


def load(name):
    """``require('netdef.' .. name)``: the module's functions join ``netdef``."""
    module = importlib.import_module(__name__ + '.' + name)
    for key in (name, name + '_updateBatchSize'):
        setattr(netdef, key, getattr(module, key))
    return netdef
