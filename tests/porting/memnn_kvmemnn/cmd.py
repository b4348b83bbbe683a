"""KVmemnn/library/cmd.lua of facebookarchive/MemNN, ported line by line: command line parameters for models.

The Lua table ``cmd`` (``cmdline:new()`` sets it as the metatable of the new object) is the class ``cmd``;
``cmd:new(useDefaults)`` is a classmethod. Options are a dict name -> [default, description, type,
hideDefault] (the Lua's ``{...}``, its ``[1]`` is ``[0]``). Lua's ``tonumber(value)`` of an argument is this
module's ``tonumber`` (a decimal or 0x number, else None; an integer literal gives an int, so a count option
can bound a ``range``). ``os.exit(1)`` is ``sys.exit(1)``; Lua's ``print(a, b)`` (tab between, ``tostring`` of each) is
``print(lg.tostring(a), lg.tostring(b), sep='\\t')``. ``require(opt.modelClass)`` of ``parse_mlp`` is
``importlib.import_module`` of the name with ``library.`` read as this package. ``pairs`` over a table is the
dict's order (Lua's is unspecified; ``print`` sorts as the Lua does).
"""
import importlib
import re
import sys

import legonn as lg

_DECIMAL = re.compile(r'[ \t\n\r\f\v]*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[ \t\n\r\f\v]*')
_HEX = re.compile(r'[ \t\n\r\f\v]*-?0[xX][0-9a-fA-F]+[ \t\n\r\f\v]*')


def tonumber(value):
    """Lua's ``tonumber(s)`` of a string: its number, or None when it is not one."""
    if _HEX.fullmatch(value):
        return int(value.strip(), 16)
    m = _DECIMAL.fullmatch(value)
    if m is None:
        return None
    return int(value) if m.group(1).isdigit() and m.group(2) is None else float(value)


class cmd:

    def reset(self):
        self.opt = {}

    def option(self, name, default_value, description=None, option_type=None, hideDefault=None):
        """Create new option."""
        if getattr(self, 'opt', None) is None:
            self.opt = {}
        if self.opt.get(name) is not None:
            print("[WARNING - creating option that already exists:" + name + ']')
        if option_type is None:
            option_type = "xtra"
        if hideDefault is None:
            hideDefault = False
        self.opt[name] = [default_value, description, option_type, hideDefault]

    def reset_default(self, name, default_value):
        """Reset default of existing option."""
        if self.opt.get(name) is None:
            raise ValueError(name + " does not exist as an option yet")
        self.opt[name][0] = default_value

    def error(self, s):
        print("Failure to parse argument: " + s)
        print("Options:")
        for i, k in self.opt.items():
            print("-" + i + " : ", lg.tostring(k[1]), " [default:", lg.tostring(k[0]), "]", sep='\t')
        sys.exit(1)

    def set_defaults_from_table(self, t):
        """Iterate through a table, creating options and setting defaults."""
        if getattr(self, 'opt', None) is None:
            self.opt = {}
        for name, value in t.items():
            if self.opt.get(name) is not None:
                self.reset_default(name, value)
            else:
                self.option(name, value, name)

    def print(self, opt, hideDefaults=None):
        """Print the options for each type (data, model, logs), each
        in sorted order. If hideDefaults is true, values that are
        set to defaults (that are labeled as hidden) are not shown,
        this makes the output more readable."""
        opt_type = {}
        for i, k in opt.items():
            ot = "xtra"
            if self.opt.get(i) is not None:
                ot = self.opt[i][2]
            hide = False
            if self.opt[i][3] and k == self.opt[i][0]:
                # Hide option that is not changed from the default.
                if hideDefaults is not False:
                    hide = True
            if not hide:
                if opt_type.get(ot) is None:
                    opt_type[ot] = []
                t = opt_type[ot]
                t.append(i)
        sorted_types = []
        for i, k in opt_type.items():
            sorted_types.append(i)
        sorted_types.sort()
        for i in range(len(sorted_types)):
            name = sorted_types[i]
            print('--- ' + name + ' options ---')
            opt_type[name].sort()
            print('{')
            for j in range(len(opt_type[name])):
                key = opt_type[name][j]
                print("  " + key, lg.tostring(opt[key]), sep='\t')
            print('}')

    def parse(self, arg0, ignoreErrors=None):
        opt = {}
        # First, fill in the defaults.
        if getattr(self, 'opt', None):
            for i, k in self.opt.items():
                opt[i] = k[0]
        arg = []
        pos = 0
        while pos <= len(arg0) - 1:
            if arg0[pos].find('=') == -1:
                arg.append(arg0[pos] + '=' + arg0[pos + 1])
                pos = pos + 2
            else:
                arg.append(arg0[pos])
                pos = pos + 1
        for i in range(len(arg)):
            s = arg[i]
            if s != '-i':
                i1 = s.find('=')
                if i1 == -1 and not ignoreErrors:
                    self.error(s)
                key = s[:i1]
                value = s[i1 + 1:]
                # Strip the key of leading hyphens.
                while key[0:1] == '-':
                    key = key[1:]
                # Possibly convert the value to a number or bool
                if tonumber(value) is not None:
                    value = tonumber(value)
                if value == "true":
                    value = True
                if value == "false":
                    value = False
                if value == "nil":
                    value = None
                if self.opt.get(key) is None and not ignoreErrors:
                    self.error(s)
                opt[key] = value
        return opt

    def parse_mlp(self, arg):
        """Parser specific to loading a model and a data class."""
        # Get the model and data choices.
        opt = self.parse(arg, True)
        # Define the data and model and add their command line options.
        mlp = _require(opt['modelClass'])
        cmd.option(cmd, 'modelClass', opt['modelClass'], 'model')   # Lua: cmd:option, on the class table
        mlp.add_cmdline_options(self)
        data = _require(opt['dataClass'])
        cmd.option(cmd, 'dataClass', opt['dataClass'], 'data')
        data.add_cmdline_options(self)
        # Now reparse now we know the specific options for the model choice.
        return self.parse(arg)

    def parse_from_modelfile_and_override_with_args(self, arg):
        # Find the modelFilename in the arguments.
        opt1 = self.parse(arg, True)
        # Load the options of that model.
        fopt = lg.load(opt1['modelFilename'] + '.opt')

        # Set up the default arguments for that model/data pair.
        farg = []
        if opt1.get('modelClass'):
            farg.append('modelClass=' + opt1['modelClass'])
        else:
            farg.append('modelClass=' + fopt['modelClass'])
        farg.append('dataClass=' + fopt['dataClass'])
        self.parse_mlp(farg)
        # Set params from the file.
        self.set_defaults_from_table(fopt)
        # Reparse arguments, possibly overriding defaults from the model file.
        opt = self.parse(arg)
        return opt

    @classmethod
    def new(cls, useDefaults=None):
        # Set standard default options.
        # Set useDefaults to false to not set any defaults at all.
        opt = cls()
        if useDefaults is False:
            return opt
        opt.option('modelClass', 'library.base_model', 'model class to use', 'model')
        opt.option('dataClass', 'library.data', 'data class to use', 'data')
        return opt


def _require(name):
    """``require('library.x')``: this package's module x."""
    return importlib.import_module(name.replace('library.', __package__ + '.', 1))
