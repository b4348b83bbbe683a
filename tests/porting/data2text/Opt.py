"""onmt/utils/Opt.lua of harvardnlp/data2text: -config files and required options."""
import legonn as lg


def luaType(val):
    """Lua's type() of an option's value: integers and floats are both numbers."""
    if isinstance(val, bool):
        return 'boolean'
    if isinstance(val, (int, float)):
        return 'number'
    return 'string'


def isSet(opt, name):
    return len(opt[name]) > 0


def requireOption(opt, name):
    """Check that option ``name`` is set in ``opt``. Throw an error if not set."""
    if not isSet(opt, name):
        raise ValueError("option -" + name + " is required")


def requireOptions(opt, names):
    for i in range(len(names)):
        requireOption(opt, names[i])


def convert(val):
    """Convert ``val`` string to its actual type (boolean, number or string)."""
    if val == 'true':
        return True
    elif val == 'false':
        return False
    for number in (int, float):   # tonumber(val) or val
        try:
            return number(val)
        except ValueError:
            pass
    return val


def loadFile(filename):
    """Return options set in the file ``filename``."""
    opt = {}
    with open(filename) as file:
        for line in file.read().splitlines():
            # Ignore empty or commented out lines.
            if len(line) > 0 and line[0] != '#':
                field = line.split('=')
                assert len(field) == 2, 'badly formatted config file'
                key = field[0].strip()
                val = field[1].strip()
                opt[key] = convert(val)
    return opt


def loadConfig(filename, opt):
    """Override ``opt`` with option values set in file ``filename``."""
    config = loadFile(filename)
    for key, val in config.items():
        assert opt.get(key) is not None, 'unkown option ' + key
        assert luaType(val) == luaType(opt[key]), ('option ' + key + ' expects a ' + luaType(opt[key])
                                                       + ' value but a ' + luaType(val) + ' was given')
        opt[key] = val
    return opt


def init(opt, requiredOptions):
    if len(opt['config']) > 0:
        opt = loadConfig(opt['config'], opt)
    requireOptions(opt, requiredOptions)
    if opt.get('seed'):
        lg.manualSeed(opt['seed'])
