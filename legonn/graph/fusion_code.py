"""The code of a fused gModule region (see fusion.py): its forward and backward as element-wise programs, and
a program as a CuPy ElementwiseKernel.

A program reads arrays of one shape element by element, computes named values from expressions (the CUDA
twins' formulas, with their ``x``, ``y``, ``go`` and parameters renamed; sums and products for the table
modules) and writes some of them to output arrays.
"""
import re
from dataclasses import dataclass

from ..modules.base.elementwise import Elementwise
from ..modules.table_arithmetic import CAddTable


@dataclass(frozen=True)
class Program:
    """``inputs`` (array names) and ``scalars`` read, ``lets`` ((name, expression) in order) computed and
    ``outputs`` ((array name, value name)) written, at every element."""
    inputs: tuple
    scalars: tuple
    lets: tuple
    outputs: tuple


def twin_formula(body, target):
    """The expression of a twin ``body`` ``'<target> = <expression>'``, or None for any other form (a second
    statement or assignment). Comparisons (``<=``, ``>=``, ``==``, ``!=``) are part of an expression: Threshold's
    ``x <= threshold ? val : x``."""
    match = re.fullmatch(rf'\s*{target}\s*=\s*((?:[^;=<>!]|[<>!=]=|[<>!])+?)\s*;?\s*', body)
    return match.group(1) if match else None


def _renamed(expression, names):
    return re.sub(r'\b[A-Za-z_]\w*\b', lambda m: names.get(m.group(0), m.group(0)), expression)


def _scalar_names(region, lets):
    """The twins' parameters (``s<k>_<name>``) that the expressions of ``lets`` read."""
    used = ' '.join(e for _, e in lets)
    return tuple(name for k, t in enumerate(region.types) if issubclass(t, Elementwise)
                 for name in (f's{k}_{p}' for p in t.cuda_params) if re.search(rf'\b{name}\b', used))


def _operand(source):
    kind, i = source
    return f'v{i}' if kind == 'v' else f'e{i}'


def _twin(cls, k, which, names):
    target = 'y' if which == 'forward' else 'gi'
    formula = twin_formula(getattr(cls, f'cuda_{which}'), target)
    return _renamed(formula, dict(names, **{p: f's{k}_{p}' for p in cls.cuda_params}))


def forward_program(region):
    """The region's forward: outside inputs ``e<j>`` to every member's output ``o<k>``."""
    lets, outputs = [], []
    for k, (cls, sources) in enumerate(zip(region.types, region.sources)):
        operands = [_operand(s) for s in sources]
        if issubclass(cls, Elementwise):
            lets.append((f'v{k}', _twin(cls, k, 'forward', {'x': operands[0]})))
        else:
            lets.append((f'v{k}', (' + ' if cls is CAddTable else ' * ').join(operands)))
        outputs.append((f'o{k}', f'v{k}'))
    return Program(tuple(f'e{j}' for j in range(len(region.outside))), _scalar_names(region, lets), tuple(lets),
                   tuple(outputs))


def backward_program(region, counts):
    """The region's backward for ``counts[k]`` gradients reaching member ``k`` from outside (``c<k>_<i>``):
    from those, the members' outputs ``y<k>``, the outside inputs ``e<j>`` and the parameters it reads, to each
    member's gradInput entries ``d<k>_<slot>`` and, where several gradients meet, its gradBuffer ``b<k>``."""
    lets, outputs = [], []
    for k in reversed(range(len(region.members))):
        cls, sources = region.types[k], region.sources[k]
        terms = [f'c{k}_{i}' for i in range(counts[k])] + [f'g{m}_{slot}' for m, slot in region.uses[k]]
        lets.append((f'g{k}', ' + '.join(terms)))
        if len(terms) > 1:
            outputs.append((f'b{k}', f'g{k}'))
        operands = [_operand(s) for s in sources]
        if issubclass(cls, Elementwise):
            lets.append((f'g{k}_0', _twin(cls, k, 'backward', {'x': operands[0], 'y': f'v{k}', 'go': f'g{k}'})))
        else:
            for slot in range(len(sources)):
                others = [o for i, o in enumerate(operands) if i != slot]
                lets.append((f'g{k}_{slot}', f'g{k}' if cls is CAddTable else ' * '.join([f'g{k}'] + others)))
        outputs.extend((f'd{k}_{slot}', f'g{k}_{slot}') for slot in range(len(sources)))
    used = ' '.join(e for _, e in lets)
    values = [k for k in range(len(region.members)) if re.search(rf'\bv{k}\b', used)]
    lets = [(f'v{k}', f'y{k}') for k in values] + lets
    inputs = ([f'e{j}' for j in range(len(region.outside)) if re.search(rf'\be{j}\b', used)] +
              [f'y{k}' for k in values] + [f'c{k}_{i}' for k in range(len(counts)) for i in range(counts[k])])
    return Program(tuple(inputs), _scalar_names(region, lets), tuple(lets), tuple(outputs))


def cuda_source(program):
    """(in_params, out_params, body) of the program's ElementwiseKernel (T: the arrays' element type)."""
    ins = ', '.join(f'T {name}' for name in program.inputs + program.scalars)
    outs = ', '.join(f'T {name}' for name, _ in program.outputs)
    body = '\n'.join([f'const T {name} = {expression};' for name, expression in program.lets] +
                     [f'{name} = {value};' for name, value in program.outputs])
    return ins, outs, body
