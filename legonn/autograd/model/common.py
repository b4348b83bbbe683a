"""What the models share: the sequence of layers (torch-autograd's model/common.lua) and Lua's reading of an
option, ``opt.x or default``."""


def options(opt, where):
    """A model's options table: ``{}`` for None (the Lua's ``opt or {}``); anything but a dict is a TypeError
    naming the model ``where``, which would otherwise fail at its first option."""
    if opt is None:
        return {}
    if not isinstance(opt, dict):
        raise TypeError(f"{where}: expected a dict of options, got {type(opt).__name__}")
    return opt


def option(opt, name, default):
    """``opt.name or default`` as Lua reads it: the default when the option is missing, None or False (0 and
    empty values are kept, as Lua's are true)."""
    value = opt.get(name)
    return default if value is None or value is False else value


def sequence(layers, layer2params):
    """``f(params, input)`` running ``layers`` in order: layer ``i`` is called as ``layer(params[j], input)``
    when ``layer2params`` maps ``i`` to ``j`` (0-based positions), else as ``layer(input)``."""
    def run(params, input):
        for i, layer in enumerate(layers):
            paramsi = layer2params.get(i)
            if paramsi is not None:
                input = layer(params[paramsi], input)
            else:
                input = layer(input)
        return input
    return run
