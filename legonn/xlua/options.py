"""``xlua.OptionParser``: xlua's command-line parser (David Manura's, after Python's optparse).

``op = xlua.OptionParser('%prog [options]')``, ``op.option('-s', '--save', action='store', dest='save',
help='...', default='out')`` (Lua's ``op:option{'-s', '--save', action=..., dest=..., help=...}``: the
flags positional, the fields by keyword), then ``options, args = op.parse()``. Values are the words
given (strings; ``store_true``/``store_false`` give booleans); bad input writes the message and the help
and exits with status 1, ``-h``/``--help`` writes the help and exits with 0, as xlua's."""
import os
import re
import sys

from ..tensor.introspection import tostring

_INLINE = re.compile(r'(--[A-Za-z0-9]+)=(.*)', re.DOTALL)   # "--input=file": Lua's ^(%-%-%w+)=(.*)


def _lua_true(value):
    """Lua's truth: everything but nil and false (0 and '' are true)."""
    return value is not None and value is not False


def _program():
    """What xlua puts for %prog: the interpreter and the script (Lua's ``arg[-1] .. ' ' .. arg[0]``)."""
    if not sys.argv or not sys.argv[0]:
        return 'THISPROG'
    return os.path.basename(sys.executable) + ' ' + sys.argv[0]


class OptionParser:
    """Options declared with ``option``, parsed from the command line with ``parse``."""

    def __init__(self, usage):
        self.usage = usage
        self.option_descriptions = []
        self.option_of = {}
        self.option('-h', '--help', action='store_true', dest='help', help='show this help message and exit')

    def fail(self, message):
        """Write ``message`` to stderr, then the help, and exit with status 1."""
        sys.stderr.write(message + '\n')
        self.help()
        sys.exit(1)

    def option(self, *flags, **fields):
        """Declare an option: its ``flags`` (``'-s'``, ``'--save'``, or one list of them) and the fields
        ``dest`` (the key it is stored under, required), ``action`` (``'store'``, the default: takes the next
        word; ``'store_true'``, ``'store_false'``), ``help``, ``default``, ``req``, ``metavar``."""
        if len(flags) == 1 and isinstance(flags[0], (list, tuple)):
            flags = tuple(flags[0])
        if not flags or not all(isinstance(flag, str) for flag in flags):
            raise TypeError(f"xlua.OptionParser.option: expected one or more flag strings, got {flags!r}")
        if not isinstance(fields.get('dest'), str):
            raise ValueError(f"xlua.OptionParser.option: option {flags[0]} needs dest='name' (where its value "
                             f"goes), got {fields.get('dest')!r}")
        description = dict(fields, flags=list(flags))
        self.option_descriptions.append(description)
        for flag in flags:
            self.option_of[flag] = description

    def parse(self, options=None, arg=None):
        """``(options, args)`` from the words ``arg`` (default ``sys.argv[1:]``, Lua's global ``arg``):
        ``options`` (a dict, ``options`` given or a new one) holds each option's value under its ``dest``,
        defaults first and ``'__main__'`` True; ``args`` the words that are no option. ``--name=value`` is
        ``--name value``."""
        options = {} if options is None else options
        args = []
        for description in self.option_descriptions:
            if description.get('default') is not None and options.get(description['dest']) is None:
                options[description['dest']] = description['default']
        options['__main__'] = True
        words = []
        for word in (sys.argv[1:] if arg is None else list(arg)):
            inline = _INLINE.fullmatch(word)
            words.extend(inline.groups() if inline else [word])
        i = 0
        while i < len(words):
            word = words[i]
            description = self.option_of.get(word)
            if description is not None:
                action = description.get('action')
                value = description.get('default')
                if action in (None, 'store'):
                    i += 1
                    if i < len(words):
                        value = words[i]
                    if not _lua_true(value):
                        self.fail('option requires an argument ' + word)
                elif action == 'store_true':
                    value = True
                elif action == 'store_false':
                    value = False
                options[description['dest']] = value
            else:
                if word.startswith('-'):
                    self.fail('invalid option ' + word)
                args.append(word)
            i += 1
        for flag, description in self.option_of.items():
            if description.get('req') and not _lua_true(options.get(description['dest'])):
                self.fail('option ' + flag + ' requires an argument ')
        if _lua_true(options.get('help')):
            self.help()
            sys.exit(0)
        self.options = options
        return options, args

    def flags(self, description):
        """An option's flags as the help lists them: ``-s SAVE, --save=SAVE`` for a valued option."""
        parts = []
        for flag in description['flags']:
            end = ''
            if description.get('action') in (None, 'store'):
                metavar = description.get('metavar') or description['dest'].upper()
                end = (' ' if len(flag) == 2 else '=') + metavar
            parts.append(flag + end)
        return ', '.join(parts)

    def help(self):
        """Write the usage line (``%prog`` replaced) and every option with its help and default to stdout."""
        out = sys.stdout
        out.write('Usage: ' + self.usage.replace('%prog', _program()) + '\n')
        out.write('\nOptions:\n')
        pad = max(len(self.flags(d)) for d in self.option_descriptions)
        for description in self.option_descriptions:
            if description.get('req'):
                default = ' [REQUIRED]'
            elif _lua_true(description.get('default')):
                default = ' [default = ' + tostring(description['default']) + ']'
            else:
                default = ''
            out.write('  ' + self.flags(description).ljust(pad) + '  ' + description.get('help', '') + default
                      + '\n')

    def tostring(self, generatefilename=False, params=None):
        """After ``parse``: ``'<script> configuration:'`` and one `` + key = value`` line per option; or,
        with ``generatefilename``, ``flag=value`` of the set options (those whose first flag is in ``params``
        when given) joined by ',', '/' written '|' and ' ' '_', for a file name."""
        if not hasattr(self, 'options'):
            raise ValueError("xlua.OptionParser.tostring: nothing parsed yet; call parse() first")
        if not generatefilename:
            script = (sys.argv[0] if sys.argv and sys.argv[0] else 'interpreted.py').removesuffix('.py')
            return f"<{script}> configuration:\n" + ''.join(
                f" + {key} = {tostring(value)}\n" for key, value in self.options.items())
        chosen = []
        for description in self.option_descriptions:
            key = description['flags'][0]
            value = self.options.get(description['dest'])
            if _lua_true(value) and (not params or key in params):
                chosen.append(key + '=' + tostring(value))
        return ','.join(chosen).replace('/', '|').replace(' ', '_')

    def summarize(self, compact=False):
        """Write ``tostring(compact)`` to stdout."""
        sys.stdout.write(self.tostring(compact))
