"""Where a training step's time goes, module by module: wraps every leaf module's ``updateOutput``,
``updateGradInput`` and ``accGradParameters`` with a timer, runs the whole step (containers, criterion and optim
update included) and prints the milliseconds a step each module's three methods took, largest first.

Unlike bench/lenet.py's per-layer table, which calls each layer alone, this times the layers inside the real
step, so it works for any container tree (ConcatTable, nngraph) and sees the caches as the step leaves them."""
import collections
import time


def leaves(module, path='model'):
    """``(path, module)`` for each module of the tree without children, depth first."""
    children = getattr(module, 'modules', None) or []
    if not children:
        yield path, module
    for i, child in enumerate(children):
        yield from leaves(child, f'{path}.{i}')


def profile_step(model, step, steps=10, warmup=2):
    """Run ``step`` ``warmup`` times, then ``steps`` times with the leaves of ``model`` timed; print the table."""
    for _ in range(warmup):
        step()
    spent = collections.defaultdict(float)
    wrapped = []
    for path, module in leaves(model):
        for method in ('updateOutput', 'updateGradInput', 'accGradParameters'):
            original = getattr(module, method)

            def timed(*args, _original=original, _key=(path, repr(module), method), **kwargs):
                start = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    spent[_key] += time.perf_counter() - start
            setattr(module, method, timed)
            wrapped.append((module, method))
    start = time.perf_counter()
    for _ in range(steps):
        step()
    whole = (time.perf_counter() - start) / steps * 1e3
    for module, method in wrapped:
        delattr(module, method)
    per_module = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
    for (path, name, method), seconds in spent.items():
        column = ('updateOutput', 'updateGradInput', 'accGradParameters').index(method)
        per_module[(path, name)][column] += seconds / steps * 1e3
    rows = sorted(per_module.items(), key=lambda item: -sum(item[1]))
    print(f"  inside the step, ms a step over {steps} steps: forward, gradInput, accGrad "
          f"(whole step {whole:.2f} ms, leaves {sum(map(sum, per_module.values())):.2f})")
    for (path, name), (f, g, a) in rows:
        print(f"    {path:16s} {name[:44]:44s} {f:7.3f} {g:7.3f} {a:7.3f}")
