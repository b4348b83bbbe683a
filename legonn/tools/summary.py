"""A model summary, what torchsummary prints for PyTorch: one row per leaf module with its path,
output size, parameter count, a forward FLOPs estimate and the buffer memory it holds, and totals.

FLOPs count a multiply-add as two: ``2 * weight elements * output positions`` for Linear and the
spatial convolutions, ``kW * kH`` per output for pooling, one per output element otherwise.
"""
from ..modules.linear import Linear
from ..modules.spatial_pooling import SpatialMaxPooling
from ..tensor import Tensor
from .buffers import memoryUsage, memory_blocks, parameter_blocks, tensors_in
from .optimize_memory import CONVOLUTIONS
from .paths import module_paths


def _size_text(output):
    if isinstance(output, Tensor):
        return 'x'.join(str(s) for s in output.size())
    return '{' + ', '.join(_size_text(o) for o in output) + '}' if isinstance(output, (list, tuple)) else '-'


def forward_flops(module):
    """Estimated floating-point operations of ``module``'s last forward (from its output's size)."""
    out = module.output
    if not isinstance(out, Tensor):
        return sum(t.nElement() for t in tensors_in(out))
    if isinstance(module, Linear):
        return 2 * module.weight.nElement() * (out.nElement() // module.weight.size(0))
    if isinstance(module, CONVOLUTIONS):
        return 2 * module.weight.nElement() * (out.nElement() // module.nOutputPlane)
    if isinstance(module, SpatialMaxPooling):
        return module.kW * module.kH * out.nElement()
    return out.nElement()


def _buffer_bytes(module, params):
    """Bytes of the memory blocks behind ``module``'s own non-parameter tensors."""
    blocks = memory_blocks(t for value in module.__dict__.values() for t in tensors_in(value))
    return sum(size for key, size in blocks.items() if key not in params)


def _parameter_count(tensors):
    """Elements of ``tensors``, each view of the same memory (shared parameters) once."""
    seen = {(id(t.storage()), t.storageOffset(), tuple(t.size()), t.stride()): t.nElement() for t in tensors}
    return sum(seen.values())


class Summary:
    """``rows``: dicts with path, module, output, params, flops, buffer_bytes; ``totals``: params (shared
    ones once, as getParameters counts), flops, buffer_bytes (shared memory once) and param_bytes."""

    def __init__(self, rows, totals):
        self.rows, self.totals = rows, totals

    def __str__(self):
        head = ('path', 'module', 'output', 'params', 'FLOPs', 'buffers (KiB)')
        body = [(r['path'], r['module'], r['output'], f"{r['params']:,}", f"{r['flops']:,}",
                 f"{r['buffer_bytes'] / 1024:,.1f}") for r in self.rows]
        t = self.totals
        foot = ('total', '', '', f"{t['params']:,}", f"{t['flops']:,}", f"{t['buffer_bytes'] / 1024:,.1f}")
        widths = [max(len(line[i]) for line in [head, foot] + body) for i in range(len(head))]

        def fmt(line):
            return '  '.join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
        rule = '-' * len(fmt(head))
        return '\n'.join([fmt(head), rule] + [fmt(b) for b in body] + [rule, fmt(foot),
                         f"parameter memory: {t['param_bytes'] / 1024:,.1f} KiB"])

    __repr__ = __str__


def summary(model, input):
    """Run ``model.forward(input)`` and tabulate every leaf module (see the module docstring)."""
    model.forward(input)
    paths = module_paths(model)
    params = parameter_blocks(model)
    rows = []
    for module in model.listModules():
        if module.children():
            continue
        rows.append({'path': paths[id(module)], 'module': module.shortName(), 'output': _size_text(module.output),
                     'params': _parameter_count(module.parameters()[0]), 'flops': forward_flops(module),
                     'buffer_bytes': _buffer_bytes(module, params)})
    usage = memoryUsage(model)
    totals = {'params': _parameter_count(model.parameters()[0]), 'flops': sum(r['flops'] for r in rows),
              'buffer_bytes': usage['buffers'], 'param_bytes': usage['parameters']}
    return Summary(rows, totals)
