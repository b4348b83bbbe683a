"""The gnuplot program, as gnuplot.lua finds and drives it: the executable on PATH (version 4 or later;
before 4.4 no ``refresh``, so no titles, labels or file figures), its terminals (``set terminal``'s list),
the screen terminal of this system, the torch plot style and the pipe a figure writes to."""
import platform
import re
import shutil
import subprocess

# torch/gnuplot's style (sent to each figure when there is no ~/.gnuplot): 17 line styles in its palette,
# 7-point markers for the first four, points joined by lines for data
_PALETTE = [('#1D4599', 7), ('#11AD34', 7), ('#E62B17', 7), ('#E69F17', 7), ('#7297E6', 5), ('#67EB84', 5),
            ('#F97A6D', 5), ('#F9C96D', 5), ('#2F3F60', 9), ('#2F6C3D', 9), ('#8F463F', 9), ('#8F743F', 9),
            ('#031A49', 13), ('#025214', 13), ('#6D0D03', 13), ('#6D4903', 13), ('#224499', 11)]
STYLE = '\n'.join(
    ['set macro', 'set style data linespoints', 'set style function lines', 'set pointsize 1']
    + [f'set style line {k} linecolor rgbcolor "{colour}" linewidth 2 pt {pt}'
       for k, (colour, pt) in enumerate(_PALETTE, 1)]
    + ['set style increment user', 'set style arrow 1 filled', 'set size noratio', 'set samples 300',
       'set border 31 lw 1 lc rgb "#222222"']) + '\n'

_SCREEN_TERMINALS = {'Windows': ('windows',), 'Linux': ('wxt', 'qt', 'x11'), 'FreeBSD': ('wxt', 'qt', 'x11'),
                     'Darwin': ('aqua', 'wxt', 'qt', 'x11')}


def version(exe):
    """``(major, minor)`` of ``exe --version`` (its first two digits, as gnuplot.lua reads them)."""
    out = subprocess.run([exe, '--version'], capture_output=True, text=True).stdout
    found = re.search(r'(\d).(\d)', out)
    if not found:
        raise RuntimeError(f"gnuplot: expected a version from '{exe} --version', got {out!r}")
    return int(found.group(1)), int(found.group(2))


def find():
    """``(executable or None, has refresh)``: gnuplot on PATH; an error before version 4."""
    exe = shutil.which('gnuplot')
    if not exe:
        return None, True
    major, minor = version(exe)
    if major < 4:
        raise RuntimeError(f"gnuplot: version 4 is required, {exe} is {major}.{minor}")
    if major == 4 and minor < 4:
        print('Gnuplot package working with reduced functionality.')
        print('Please install gnuplot version >= 4.4.')
        return exe, False
    return exe, True


def has_terminal(exe, term):
    """Whether ``set terminal`` of ``exe`` lists ``term`` (a line with spaces, two more, then the name)."""
    if not exe:
        return False
    out = subprocess.run([exe], input='set terminal\n\n', capture_output=True, text=True)
    line = re.compile(r'^.*\s+  ' + re.escape(term) + ' ')
    return any(line.match(s) for s in (out.stdout + out.stderr).splitlines())


def screen_terminal(exe):
    """The first screen terminal of this system that ``exe`` has, or None (said once, as gnuplot.lua)."""
    system = platform.system()
    for term in _SCREEN_TERMINALS.get(system, ()):
        if term == 'windows' or has_terminal(exe, term):
            return term
    print(f'Can not find any of the default terminals for {system}. '
          'You can manually set terminal by gnuplot.setterm("terminal-name")')
    return None


class Pipe:
    """``exe -persist`` reading commands on its standard input, its output discarded (gnuplot.lua's PipeFile)."""

    def __init__(self, exe):
        self.process = subprocess.Popen([exe, '-persist'], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, text=True)

    def write(self, text):
        """Send ``text`` followed by blank lines, at once (gnuplot.lua's writeToPlot)."""
        self.process.stdin.write(text + '\n\n\n')
        self.process.stdin.flush()

    def close(self):
        # not waited for: with -persist a screen window outlives the pipe, as in gnuplot.lua
        self.process.stdin.close()
