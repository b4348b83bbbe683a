"""torchnet's ``tnt.transform`` (transform.lua): functions that make sample transformations, to give to
``TransformDataset``, ``BatchDataset`` (``merge``) or an iterator. Each returns a function."""
import numbers

from ..tensor import randperm as _randperm
from ..tensor.introspection import pairs
from . import table_tools
from .arguments import check_callable, named_table, whole


def identity(*args):
    """A function of no argument returning ``args`` (one value as itself, several as a tuple, Lua's multiple
    returns)."""
    return lambda *ignored: args[0] if len(args) == 1 else (args or None)


def _ordered_functions(owner, transforms):
    """The functions of a list, or of a dict's keys 0, 1, 2, ... (Lua's ipairs: the first missing key ends it)."""
    if isinstance(transforms, dict):
        functions, k = [], 0
        while k in transforms:
            functions.append(transforms[k])
            k += 1
    elif isinstance(transforms, (list, tuple)):
        functions = list(transforms)
    else:
        raise TypeError(f"{owner}: expected a list of functions, got {type(transforms).__name__}")
    for f in functions:
        check_callable(owner, 'each transform', f)
    return functions


@named_table
def compose(transforms=None):
    """``z -> f_n(...f_1(f_0(z)))`` for the list of functions ``transforms`` (of a dict, the ones at keys
    0, 1, 2, ... up to the first missing key, as Lua's ipairs; other keys are ignored)."""
    functions = _ordered_functions('tnt.transform.compose', transforms)

    def composed(z):
        for f in functions:
            z = f(z)
        return z
    return composed


@named_table
def merge(transforms=None):
    """``z -> mergetensor([f_0(z), f_1(z), ...])``: every function of the list ``transforms`` applied to the same
    input, the results (tensors of as many elements) stacked into one tensor, as torchnet merges them."""
    functions = _ordered_functions('tnt.transform.merge', transforms)
    return lambda z: table_tools.mergetensor([f(z) for f in functions])


def tablenew():
    """A function making a shallow copy of the dict (or list) it is given."""
    return table_tools.copy


@named_table
def tableapply(transform=None):
    """``tbl -> {key: transform(value)}`` over a dict (or ``[transform(v) for v in tbl]`` over a list)."""
    check_callable('tnt.transform.tableapply', 'transform', transform)
    return lambda tbl: table_tools.foreach(tbl, transform)


def _merge_keys(samples):
    """``{key: [s[key] for s in samples]}``: a list of dicts turned into a dict of lists (a dict of dicts for a
    dict of samples; a field missing from some samples gives a dict of index -> value, as Lua's sparse table).
    Samples that are lists merge by position into a list of lists."""
    items = list(pairs(samples))
    merged = {}
    for idx, sample in items:
        fields = pairs(sample) if isinstance(sample, (dict, list, tuple)) else None
        if fields is None:
            raise TypeError(f"tnt.transform.tablemergekeys: expected samples that are dicts or lists, got "
                            f"{type(sample).__name__} at {idx!r}")
        for key, value in fields:
            merged.setdefault(key, {})[idx] = value
    if not isinstance(samples, dict):
        n = len(items)
        merged = {key: [values[i] for i in range(n)] if len(values) == n else values for key, values in merged.items()}
    if items and not isinstance(items[0][1], dict):
        return [merged[k] for k in sorted(merged)]
    return merged


def tablemergekeys():
    """A function turning a list of samples (dicts) into one dict of lists, field by field: the layout of a
    batch before its fields are merged."""
    return _merge_keys


def _merge_field(field):
    return table_tools.mergetensor(field) if table_tools.canmergetensor(field) else field


@named_table
def makebatch(merge=None):
    """A function making a batch of a list of samples: fields merged by key (``tablemergekeys``), then
    ``merge`` applied to the merged table, or by default each field that is a list of same-sized tensors
    stacked into one tensor (``mergetensor``) and every other field left as a list."""
    if merge is not None:
        check_callable('tnt.transform.makebatch', 'merge', merge)
        build = compose([_merge_keys, merge])
    else:
        build = compose([_merge_keys, tableapply(_merge_field)])

    def batch(samples):
        if not isinstance(samples, (list, tuple, dict)):
            raise TypeError(f"tnt.transform.makebatch: table of samples expected, got {type(samples).__name__}")
        return build(samples)
    return batch


@named_table
def randperm(size=None):
    """A function ``idx -> perm[idx]`` for a random permutation ``perm`` of 0 .. size-1 drawn now (0-based
    indices both ways)."""
    perm = _randperm(whole('tnt.transform.randperm', 'size', size))
    return lambda idx: int(perm[idx])


@named_table
def normalize(threshold=0):
    """A function ``z -> (z - mean(z)) / std(z)`` in place on the tensor z, dividing only when the (unbiased)
    standard deviation exceeds ``threshold``."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"tnt.transform.normalize: expected threshold to be a number, got {threshold!r}")

    def normalized(z):
        std = z.std()
        z.add(-z.mean())
        if std > threshold:
            z.div(std)
        return z
    return normalized
