"""``xlua.Profiler``: named wall-clock and CPU timers, reported as xlua writes them.

``p = xlua.Profiler()``; ``p.start('forward')`` ... ``p.lap('forward')`` (seconds of real and CPU time
since the start); ``p.printAll()`` writes ``$ real 0.012000 | cpu 0.011000 <forward>`` per event, in the
order the events were first started. ``displayAll`` (drawing on a Qt painter) is not ported."""
import sys
import time

_real_clock = time.time            # torch/sys's sys.clock: wall time
_cpu_clock = time.process_time     # Lua's os.clock: the process's CPU time


class Profiler:
    """Events by name; ``mode='off'`` silences ``print``/``printAll``, ``verbose`` writes each start and lap."""

    def __init__(self, mode=None, verbose=False):
        self.events = {}
        self.list = []
        self.off = mode == 'off'
        self.verbose = bool(verbose)

    def start(self, name, fps=None):
        """(Re)start event ``name``'s clocks; ``fps='fps'`` makes the reports add frames per second."""
        if name in self.events:
            self.events[name].update(cpu=_cpu_clock(), real=_real_clock())
        else:
            self.events[name] = {'cpu': _cpu_clock(), 'real': _real_clock(), 'name': name}
            self.list.append(self.events[name])
        if fps == 'fps':
            self.events[name]['fps'] = True
        if self.verbose:
            sys.stdout.write(f"<{name}>")
            sys.stdout.flush()

    def _event(self, where, name):
        """Event ``name``, or a ValueError naming the method ``where`` (Profiler.lua's setColor error)."""
        try:
            return self.events[name]
        except KeyError:
            raise ValueError(f"xlua.Profiler.{where}: There is no such profiler - {name}, create it first "
                             f"(start({name!r}))") from None

    def setColor(self, name, color):
        """The colour ``displayAll`` would draw event ``name`` in."""
        self._event('setColor', name)['color'] = color

    def cpu(self, name, divider=None):
        """CPU seconds since ``name`` started (divided by ``divider``), kept for the reports."""
        event = self._event('cpu', name)
        delta = _cpu_clock() - event['cpu']
        event['cpud'] = delta / divider if divider is not None else delta
        return event['cpud']

    def real(self, name, divider=None):
        """Wall-clock seconds since ``name`` started (divided by ``divider``), kept for the reports."""
        event = self._event('real', name)
        delta = _real_clock() - event['real']
        event['reald'] = delta / divider if divider is not None else delta
        return event['reald']

    def lap(self, name, divider=None):
        """``(real, cpu)`` seconds since ``name`` started; with ``verbose``, its line is written too."""
        r = self.real(name, divider)
        c = self.cpu(name, divider)
        if self.verbose:
            sys.stdout.write('\r')
            self.print(name)
        return r, c

    def format(self, name):
        """``'$ real | cpu: <real> | <cpu> <name>'`` of the last lap (-1 for a time not measured yet)."""
        event = self._event('format', name)
        return '$ real | cpu: %f | %f <%s>' % (event.get('reald', -1), event.get('cpud', -1), name)

    def print(self, name):
        """Write ``format(name)`` and a newline, unless the profiler is off."""
        if not self.off:
            print(self.format(name))

    def formatAll(self):
        """``'$ profiler report:'`` then one ``$ real <s> | cpu <s> <name>`` line per event (and ``= <n> fps``
        for an fps event: 1 / its real time)."""
        lines = ['$ profiler report:']
        for event in self.list:
            line = '$ real %f | cpu %f <%s>' % (event.get('reald', -1), event.get('cpud', -1), event['name'])
            if event.get('fps'):
                real = event.get('reald')
                if real is None:
                    raise ValueError(f"xlua.Profiler.formatAll: event {event['name']!r} has no real time yet "
                                     "for its fps (call lap or real first)")
                line += ' = %f fps' % (1 / real if real else float('inf'))
            lines.append(line)
        return '\n'.join(lines)

    def printAll(self):
        """Write ``formatAll()`` and a newline, unless the profiler is off."""
        if not self.off:
            print(self.formatAll())
