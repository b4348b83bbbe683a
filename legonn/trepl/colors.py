"""trepl's colors.lua: ANSI escape codes by name (``colors.red``, ``colors.none`` resets); a capitalised name
is the bold colour, a name after ``_`` the background. ``CODES`` holds them all."""

CODES = {
    'none': '\x1b[0m',
    'bright': '\x1b[1m',
    'dim': '\x1b[2m',
    'underline': '\x1b[4m',
    'blink': '\x1b[5m',
    'reverse': '\x1b[7m',
    'hidden': '\x1b[8m',
    'black': '\x1b[0;30m',
    'red': '\x1b[0;31m',
    'green': '\x1b[0;32m',
    'yellow': '\x1b[0;33m',
    'blue': '\x1b[0;34m',
    'magenta': '\x1b[0;35m',
    'cyan': '\x1b[0;36m',
    'white': '\x1b[0;37m',
    'Black': '\x1b[1;30m',
    'Red': '\x1b[1;31m',
    'Green': '\x1b[1;32m',
    'Yellow': '\x1b[1;33m',
    'Blue': '\x1b[1;34m',
    'Magenta': '\x1b[1;35m',
    'Cyan': '\x1b[1;36m',
    'White': '\x1b[1;37m',
    '_black': '\x1b[40m',
    '_red': '\x1b[41m',
    '_green': '\x1b[42m',
    '_yellow': '\x1b[43m',
    '_blue': '\x1b[44m',
    '_magenta': '\x1b[45m',
    '_cyan': '\x1b[46m',
    '_white': '\x1b[47m',
}



def table_attributes(where, table, module_globals):
    """``__getattr__`` and ``__dir__`` of a module (``where``, its trepl name, and its ``globals()``) whose attributes
    are ``table``'s entries, a colour by name; an unknown name is an AttributeError listing the colours."""
    def attribute(name):
        if name in table:
            return table[name]
        raise AttributeError(f"{where} has no colour {name!r}; the colours are {', '.join(CODES)}")

    def names():
        return sorted(set(module_globals) | set(table))
    return attribute, names


__getattr__, __dir__ = table_attributes('trepl.colors', CODES, globals())
