"""The optimized mode's debugger (torch-autograd's runtime/codegen/Debugger.lua), on with ``debugHook``: the
generated code checks every input and every node output for NaN or infinity and calls
``debugHook(debugger, msg, gen)`` on each one found, ``msg`` naming the value and the user's lines that
computed it, ``gen`` the generated source (``gen['source']``) and the 0-based index of its offending line
(``gen['line']``); ``debugger.generateDot(path)`` writes the graph around the bad value (red) as DOT.
``dotFile`` writes the whole graph the same way, without the checks."""
import json
import math
import re
import sys
import traceback

from legonn.tensor import Tensor
from legonn.tensor.tensor import Size

from .source import Source
from .string_builder import StringBuilder
from .value import Value


def _isNanOrInf(x):
    return x is not None and not math.isfinite(x)


class Debugger:
    def __init__(self, opt=None):
        opt = opt or {}
        self.debugHook = opt.get('debugHook')
        self.newlineChar = opt.get('newlineChar', '\n')
        self.debugNodes = []
        self.debugValues = []
        self.main = None

    def _debugNode(self, node):
        if node.debug is None:
            self.debugNodes.append(node)
            node.debug = {'index': len(self.debugNodes) - 1}

    def _debugValue(self, value):
        if value.debug is None:
            self.debugValues.append(value)
            value.debug = {'index': len(self.debugValues) - 1}

    def captureCallStack(self, node):
        """Remembers the user's frames that made a forward node (the frames between the traced function's
        call and legonn's, innermost last); a gradient function's node keeps none."""
        self._debugNode(node)
        stack = traceback.extract_stack(sys._getframe(1))
        if any(frame.name == 'evaluateBackward' for frame in stack):
            return
        node.debug['isForward'] = True
        # the user's frames: after Graph.record's call of the function, before the overload machinery
        start = max((i for i, f in enumerate(stack) if f.name == 'record'), default=-1) + 1
        frames = [f for f in stack[start:] if '/legonn/autograd/' not in f.filename.replace('\\', '/')]
        node.debug['callStack'] = frames

    def setMain(self, gen, grads, answers):
        self.main = {'gen': gen, 'grads': grads, 'answers': answers}

    def setCode(self, code):
        self.main['code'] = code

    def _path(self, source):
        return self.main['gen'].path(source)

    @staticmethod
    def _findCallStack(node):
        while node is not None:
            if node.debug is not None and node.debug.get('callStack'):
                return node
            if not node.inputs or node.inputs[0].source.type != Source.COMPUTED:
                return None
            node = node.inputs[0].source.node
        return None

    def _valueKey(self, value):
        return 'x' + re.sub(r'[^a-zA-Z0-9]+', '_', self._path(value.source))

    def _valueName(self, value):
        for param, grad in self.main['grads']:
            if grad is value:
                return f'grad({self._path(param.source)})', 'trapezium'
        for i, answer in enumerate(self.main['answers']):
            if answer is value:
                return f'answer[{i}]', 'octagon'
        shape = 'ellipse' if value.source.type == Source.COMPUTED else 'invtrapezium'
        return self._path(value.source), shape

    def _dotValue(self, out, value):
        label, shape = self._valueName(value)
        parts = [label]
        if isinstance(value.raw, Tensor):
            parts.append(f"{value.raw.type().rpartition('.')[2]}({', '.join(map(str, value.raw.size()))})")
        elif isinstance(value.raw, Size):
            parts.append(f'Size({len(value.raw)})')
        color = 'black'
        if value.debug is not None and value.debug.get('min') is not None:
            parts.append(f"[{value.debug['min']}, {value.debug['max']}]")
            if _isNanOrInf(value.debug['min']) or _isNanOrInf(value.debug['max']):
                color = 'red'
        out.write(f'\t{self._valueKey(value)} [label="<{self.newlineChar.join(parts)}>" color="{color}" '
                  f'shape="{shape}"];\n')

    def _dotNode(self, out, node):
        self._debugNode(node)
        label = node.forwardFn.name
        color = 'black'
        for output in node.outputs:
            d = output.debug
            if d is not None and (_isNanOrInf(d.get('min')) or _isNanOrInf(d.get('max'))):
                color = 'red'
                forwardNode = self._findCallStack(node)
                if forwardNode is not None:
                    for i, f in enumerate(forwardNode.debug['callStack']):
                        label += f'{self.newlineChar}{i}: {f.name} {f.filename}:{f.lineno}'
        out.write(f"\tnode{node.debug['index']} [label=\"<{label}>\" color=\"{color}\" shape=\"box\"];\n")

    def _edge(self, out, node, value, reverse=False):
        color = 'green' if node.debug.get('isForward') else 'blue'
        if reverse:
            out.write(f"\t{self._valueKey(value)} -> node{node.debug['index']} [color=\"{color}\"];\n")
        else:
            out.write(f"\tnode{node.debug['index']} -> {self._valueKey(value)} [color=\"{color}\"];\n")

    def dot(self, value=None, node=None):
        """The DOT text of the graph: around ``value`` (computed by ``node``), or whole."""
        out = StringBuilder()
        out.write('digraph graphname {\n')
        seen = set()
        seenEdges = set()

        def visit(value, node, parentNode):
            stack = [(value, node, parentNode)]
            while stack:
                value, node, parentNode = stack.pop()
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    self._dotValue(out, value)
                if node is not None and id(node) not in seen:
                    seen.add(id(node))
                    self._dotNode(out, node)
                if node is not None and value is not None and (id(node), id(value)) not in seenEdges:
                    seenEdges.add((id(node), id(value)))
                    self._edge(out, node, value)
                if parentNode is not None and value is not None and (id(parentNode), id(value)) not in seenEdges:
                    seenEdges.add((id(parentNode), id(value)))
                    self._edge(out, parentNode, value, reverse=True)
                if node is not None and (id(node), 'walked') not in seenEdges:
                    seenEdges.add((id(node), 'walked'))
                    for input in reversed(node.inputs):
                        stack.append((input, _node(input), node))

        if value is not None:
            visit(value, node, None)
        else:
            for _, grad in self.main['grads']:
                visit(grad, _node(grad), None)
            for answer in self.main['answers']:
                if isinstance(answer, Value):
                    visit(answer, _node(answer), None)
        out.write('}\n')
        return out.finish()

    def generateDot(self, fileName, value=None, node=None):
        with open(fileName, 'w') as f:
            f.write(self.dot(value, node))

    def generateJson(self, fileName, value=None, node=None):
        """The DOT graph as JSON: {name, nodes: {name: {name, meta}}, edges: [{from, to, edge, meta}]}."""
        name, body = re.search(r'digraph\s*(\w*)\s*{(.*)}', self.dot(value, node), re.S).groups()
        nodes, edges = {}, []
        for elt in body.strip().split('\n'):
            content, meta = re.match(r'(.*?)\[(.*)\];$', elt.strip()).groups()
            meta = dict(re.findall(r'(\S+?)="(.*?)"', meta))
            if '-' in content:
                name1, edge, name2 = content.strip().split(' ', 2)
                edges.append({'from': name1, 'to': name2, 'edge': edge, 'meta': meta})
            else:
                nodes[content.strip()] = {'name': content.strip(), 'meta': meta}
        with open(fileName, 'w') as f:
            json.dump({'name': name, 'nodes': nodes, 'edges': edges}, f)

    def _valueCheck(self, value, lo, hi, node=None):
        d = value.debug if value.debug is not None else {}
        value.debug = d
        d['min'] = lo if d.get('min') is None else min(d['min'], lo)
        d['max'] = hi if d.get('max') is None else max(d['max'], hi)
        if _isNanOrInf(d['min']) or _isNanOrInf(d['max']):
            msg = f'autograd debugger detected a nan or inf value for {self._valueName(value)[0]}'
            forwardNode = self._findCallStack(node)
            if forwardNode is not None:
                for i, f in enumerate(forwardNode.debug['callStack']):
                    msg += f'\n\t\t{i}: {f.name} {f.filename}:{f.lineno}'
            # the generated function's frame: the check is the line after the one that computed the value
            frame = sys._getframe(2)
            self.debugHook(_Focus(self, value, node), msg,
                           {'source': self.main['code'], 'line': frame.f_lineno - 2})

    @staticmethod
    def _range(raw):
        lo, hi = raw.min(), raw.max()
        return float(lo), float(hi)

    def outputCheckTensor(self, nodeIndex, outputIndex, raw):
        node = self.debugNodes[nodeIndex]
        self._valueCheck(node.outputs[outputIndex], *self._range(raw), node)

    def outputCheckNumber(self, nodeIndex, outputIndex, raw):
        node = self.debugNodes[nodeIndex]
        self._valueCheck(node.outputs[outputIndex], raw, raw, node)

    def generateOutputCheck(self, node, outputIndex, symbol, out):
        """Writes the check of ``node``'s output ``outputIndex`` (bound to ``symbol``) into the code."""
        self._debugNode(node)
        if getattr(node.forwardFn, 'operator', None) is None and node.forwardFn.name.endswith('.new'):
            return   # new memory holds junk
        output = node.outputs[outputIndex]
        if output.kind == Value.TENSOR:
            out.write(f"        debugger.outputCheckTensor({node.debug['index']}, {outputIndex}, {symbol})\n")
        elif output.kind == Value.NUMBER:
            out.write(f"        debugger.outputCheckNumber({node.debug['index']}, {outputIndex}, {symbol})\n")

    def inputCheckTensor(self, valueIndex, raw):
        self._valueCheck(self.debugValues[valueIndex], *self._range(raw))

    def inputCheckNumber(self, valueIndex, raw):
        self._valueCheck(self.debugValues[valueIndex], raw, raw)

    def generateInputCheck(self, value, symbol, out):
        """Writes the checks of the argument ``value`` (bound to ``symbol``, a container's entries each)."""
        if isinstance(value, (dict, list, tuple)) or (isinstance(value, Value) and value.kind == Value.TABLE):
            raw = value.raw if isinstance(value, Value) else value
            for k, v in (raw.items() if isinstance(raw, dict) else enumerate(raw)):
                self.generateInputCheck(v, f'{symbol}[{k!r}]', out)
            return
        self._debugValue(value)
        if value.kind == Value.TENSOR:
            out.write(f"        debugger.inputCheckTensor({value.debug['index']}, {symbol})\n")
        elif value.kind == Value.NUMBER:
            out.write(f"        debugger.inputCheckNumber({value.debug['index']}, {symbol})\n")


def _node(value):
    return value.source.node if value.source.type == Source.COMPUTED else None


class _Focus:
    """What ``debugHook`` receives as ``debugger``: the DOT and JSON of the graph around the bad value."""

    def __init__(self, debugger, value, node):
        self._debugger, self._value, self._node = debugger, value, node

    def generateDot(self, fileName):
        self._debugger.generateDot(fileName, self._value, self._node)

    def generateJson(self, fileName):
        self._debugger.generateJson(fileName, self._value, self._node)
