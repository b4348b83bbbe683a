"""The direct runtime's profiler (torch-autograd's Profiler.lua): forward and backward time per traced function
and the line of user code that called it, reported every ``profileReportFrequency`` calls of ``df``
(``profile='summary'``: the average times; ``'detailed'``: the ten costliest operations too)."""
import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _caller_line():
    """``file:line`` of the nearest frame outside legonn.autograd: the user's line that made the call."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return "?" if frame is None else f"{frame.f_code.co_filename}:{frame.f_lineno}"


class Profiler:
    """Times per (calling line, function name); ``times`` counts the finished calls of ``df``."""

    def __init__(self):
        self.lineMap = {}
        self.entries = []
        self.times = 0

    def mark(self, fun, level=2):
        """The entry of ``fun`` called from the user's current line (created at its first call); ``level`` is
        the Lua's stack depth, kept for its signature: the user's frame is found by leaving the package."""
        name = fun.name
        if fun.raw is not None:    # an nn module called through autograd.nn: its class name
            name = getattr(fun.raw, '__typename', None) or type(fun.raw).__name__ or "(nn object)"
        line = _caller_line()
        fnMap = self.lineMap.setdefault(line, {})
        index = fnMap.get(name)
        if index is None:
            index = len(self.entries)
            self.entries.append({'name': name, 'line': line, 'forwardTime': 0.0, 'backwardTime': 0.0})
            fnMap[name] = index
        return index

    def markCycle(self):
        self.times += 1

    def measureForward(self, index, seconds):
        self.entries[index]['forwardTime'] += seconds

    def measureBackward(self, index, seconds):
        self.entries[index]['backwardTime'] += seconds

    def report(self, kind):
        """The report's text: average forward, backward and overall time per call of ``df``, and with
        ``kind == 'detailed'`` the ten operations that took longest (their shares of the time, and their lines)."""
        forward = sum(e['forwardTime'] for e in self.entries)
        backward = sum(e['backwardTime'] for e in self.entries)
        calls = self.times + 1
        lines = ["",
                 f"[autograd] average forward time: {forward / calls * 1000.0:.2f}ms",
                 f"[autograd] average backward time: {backward / calls * 1000.0:.2f}ms",
                 f"[autograd] average overall time: {(forward + backward) / calls * 1000.0:.2f}ms",
                 "[autograd] top operations:"]
        if kind == 'detailed':
            ranked = sorted(self.entries, key=lambda e: e['forwardTime'] + e['backwardTime'], reverse=True)
            lines += ["[autograd] " + "=" * 80,
                      "[autograd] " + "\t".join([f"{'name':<20}", "fwd", "bwd", "ovr", "line"]),
                      "[autograd] " + "=" * 80]
            for e in ranked[:10]:
                lines.append("[autograd] " + "\t".join([
                    f"{e['name']:<20}", _pct(e['forwardTime'], forward), _pct(e['backwardTime'], backward),
                    _pct(e['forwardTime'] + e['backwardTime'], forward + backward), e['line']]))
        lines.append("")
        return "\n".join(lines)

    def printReport(self, kind):
        print(self.report(kind))


def _pct(part, total):
    return f"{int(part / total * 100.0) if total else 0}%"
