"""``CmdLine``: Torch7's ``torch.CmdLine``, the option parser neural-style and imagenet-multiGPU start with.

``cmd.option('-lr', 0.1, 'help')`` declares an option whose type is its default's (number, string or
boolean: a boolean option takes no value and flips its default); ``cmd.argument('-data', 'help')`` a
positional one; ``cmd.parse(sys.argv[1:])`` returns a dict of values keyed by the names without their
dashes (Lua's ``params.lr`` is ``params['lr']``). ``cmd.string(prefix, params, ignore)`` names an
experiment by the options that differ from their defaults. Bad input prints the message and the help and
exits with status 1, as Torch7's does. ``cmd.log(file, params)`` replaces Python's ``print`` (builtins.print,
as CmdLine.lua replaces Lua's global ``print``) by one that also writes every line to ``file``; ``silent()``
keeps those lines off the terminal and ``addTime(name, format)`` starts them with the date.
"""
import builtins
import re
import sys
import time

from .introspection import LUA_SPACE, torch_type
from .tester import tostring


def _strip(key):
    return key.lstrip('-')


# Lua's tonumber reads C's strtod syntax: ASCII only, Lua's white space around it, hexadecimal with 0x
_HEX = re.compile(r'[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?')


def _number(text):
    """Lua's tonumber of a command-line word: an int when it is one, else a float, else None. Python's own
    readings that Lua refuses (``'1_000'``, non-ASCII digits or white space) are None."""
    text = text.strip(LUA_SPACE)
    if not text.isascii() or '_' in text:
        return None
    if _HEX.fullmatch(text):
        value = float.fromhex(text)
        return int(value) if value.is_integer() else value
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return None


# the print that log's replacement echoes to, taken at the first log (CmdLine.lua's lazy oprint), so a second
# log replaces the first rather than printing through it
_original_print = None


def _name_part(value):
    """A value as CmdLine:string writes it into a name: booleans as t / f, the rest as tostring."""
    if isinstance(value, bool):
        return 't' if value else 'f'
    return tostring(value)


class CmdLine:
    """Options, positional arguments and help text, parsed from a list of words (``sys.argv[1:]``)."""

    def __init__(self, argseparator=',', keyseparator='='):
        self.argseparator = argseparator
        self.keyseparator = keyseparator
        self.options = {}
        self.arguments = []
        self.helplines = []
        self.dateformat = None
        self.silentio = False

    def silent(self):
        """After ``log``, write the printed lines to the log file only, not to the terminal."""
        self.silentio = True

    def addTime(self, name=None, format='%Y-%m-%d %H:%M:%S'):
        """Start each logged line with the date in ``format`` (os.date's strftime codes), then ``[name]: ``."""
        if not isinstance(format, str):
            raise TypeError(f"CmdLine.addTime: Argument has to be string, got {torch_type(format)}")
        self.dateformat = format + ('' if name is None else '[' + name + ']: ')

    def option(self, key, default, help=None, type=None):
        """Declare ``key`` (e.g. ``'-lr'``) with its default; its type is the default's unless given."""
        if default is None:
            raise ValueError(f"CmdLine.option: option {key} has no default value")
        type = type or torch_type(default)
        if torch_type(default) != type:
            raise ValueError(f"CmdLine.option: option {key} has wrong default type value")
        self.options[key] = {'key': key, 'default': default, 'help': help, 'type': type}
        self.helplines.append(self.options[key])

    def argument(self, key, help=None, type=None):
        """Declare the next positional argument, stored under ``key`` without its dashes."""
        self.arguments.append({'key': key, 'help': help, 'type': type})
        self.helplines.append(self.arguments[-1])

    def text(self, txt=''):
        """A line of help text, printed in its place among the options."""
        if not isinstance(txt, str):
            raise TypeError(f"CmdLine.text: expected a string, got {torch_type(txt)}")
        self.helplines.append(txt)

    def default(self):
        """The dict of every option's default."""
        return {_strip(key): option['default'] for key, option in self.options.items()}

    def parse(self, arg):
        """The dict of values from the words ``arg``: defaults, then the options and arguments given."""
        params = self.default()
        i, n_argument = 0, 0
        while i < len(arg):
            if arg[i] in ('-help', '-h', '--help'):
                self.help(arg)
                sys.exit(0)
            if arg[i] in self.options:
                i += self._read_option(params, arg, i)
            else:
                n_argument += 1
                i += self._read_argument(params, arg, i, n_argument)
        if n_argument != len(self.arguments):
            self.error('not enough arguments')
        return params

    def _read_option(self, params, arg, i):
        option = self.options[arg[i]]
        if option['type'] == 'boolean':
            params[_strip(arg[i])] = not option['default']
            return 1
        if i + 1 >= len(arg):
            self.error(f"missing argument for option {arg[i]}")
        value = arg[i + 1]
        if option['type'] == 'number':
            value = _number(value)
        elif option['type'] != 'string':
            self.error(f"unknown required option type {option['type']}")
        if value is None:
            self.error(f"invalid type for option {arg[i]} (should be {option['type']})")
        params[_strip(arg[i])] = value
        return 2

    def _read_argument(self, params, arg, i, n_argument):
        if n_argument > len(self.arguments):
            self.error(f"invalid argument: {arg[i]}")
        argument = self.arguments[n_argument - 1]
        if argument['type'] and torch_type(arg[i]) != argument['type']:
            self.error(f"invalid argument type for argument {argument['key']} (should be {argument['type']})")
        params[_strip(argument['key'])] = arg[i]
        return 1

    def string(self, prefix, params, ignore):
        """``prefix`` joined with ``key=value`` for the arguments and for the options that differ from their
        defaults (or that ``ignore`` maps to False), options sorted; keys ``ignore`` maps to True are left out."""
        arguments, options = {}, []
        prefix = prefix or ''
        for k, v in params.items():
            option = self.options.get('-' + k)
            if ignore.get(k):
                print('-- ignore option ' + k)
            elif option is not None:
                if v != option['default'] or ignore.get(k) is False:
                    options.append(k + self.keyseparator + _name_part(v))
                    print(k, _name_part(v), tostring(option['default']), sep='\t')
            else:
                narg = None
                for i, argument in enumerate(self.arguments):
                    if _strip(argument['key']) == k:
                        narg = i
                if narg is not None:
                    arguments[narg] = k + self.keyseparator + _name_part(v)
                else:
                    print('WARNING: unknown option/argument: ' + k + ' IGNORING for DIRECTORY NAME')
        options.sort()
        # Lua's table.concat stops at the first missing positional entry
        positional = []
        while len(positional) in arguments:
            positional.append(arguments[len(positional)])
        text = self.argseparator.join(positional)
        text = self.argseparator.join(options) if text == '' else \
            text + self.argseparator + self.argseparator.join(options)
        return prefix if text == '' else prefix + self.argseparator + text

    def log(self, file, params=None):
        """Replace ``builtins.print`` by one that prints (unless ``silent``) and writes the line to ``file`` (a
        path, opened for writing, or an open file): the date when ``addTime`` set one, then each value as Lua's
        tostring writes it, joined by single spaces with a space before the newline, as CmdLine.lua joins
        them; the file is flushed each line. Then logs the start time and each of ``params``' entries. A
        print to another stream (``file=sys.stderr``) passes through, unlogged."""
        global _original_print
        f = file if hasattr(file, 'write') else open(file, 'w')
        _original_print = _original_print or builtins.print
        echo = _original_print

        def logged(*values, **kwargs):
            if kwargs.get('file') not in (None, sys.stdout):
                echo(*values, **kwargs)
                return
            if not self.silentio:
                echo(*values, **kwargs)
            words = ([time.strftime(self.dateformat)] if self.dateformat else []) + [tostring(v) for v in values]
            f.write(' '.join(words + ['\n']))
            f.flush()

        builtins.print = logged
        print('[program started on ' + time.strftime('%c') + ']')
        print('[command line arguments]')
        for k, v in (params or {}).items():
            # CmdLine.lua's print(k,v) reaches the screen through Lua's print: tab-separated, each value as
            # tostring shows it (booloption\tfalse, as torch7/doc/cmdline.md's output)
            print(k, tostring(v), sep='\t')
        print('[----------------------]')

    def error(self, msg):
        """Print ``msg`` and the help, then exit with status 1."""
        print('')
        sys.stderr.write(msg)
        print('')
        self.help()
        sys.exit(1)

    def help(self, arg=None):
        """Write the usage line and every option, argument and text line, options with their defaults."""
        out = sys.stdout
        out.write('Usage: ')
        if arg is not None:
            out.write(sys.argv[0] + ' ')
        out.write('[options]')
        for argument in self.arguments:
            out.write(' <' + _strip(argument['key']) + '>')
        out.write('\n')
        width = 0
        for line in self.helplines:
            if isinstance(line, dict):
                width = max(width, len(line['key']) if 'default' in line else len(_strip(line['key'])) + 2)
        for line in self.helplines:
            if isinstance(line, dict):
                out.write('  ')
                if 'default' in line:
                    out.write(line['key'].ljust(width))
                    if line['help'] is not None:   # Lua's `if option.help`: an empty help still writes its space
                        out.write(' ' + line['help'])
                    out.write(' [' + tostring(line['default']) + ']')
                else:
                    out.write(('<' + _strip(line['key']) + '>').ljust(width))
                    if line['help'] is not None:
                        out.write(' ' + line['help'])
            else:
                out.write(line)
            out.write('\n')
