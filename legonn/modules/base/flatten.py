"""Packing parameters into one flat storage (Torch7's getParameters, made idempotent).

Tensors that share a storage keep sharing it after packing: each source
storage gets one region of the flat buffer holding the elements its tensors
view (elements none views are left out, as Torch7's flatten does), and every
tensor is rebound (same object, new storage) at its place inside that region.
Gradients are laid out exactly like their parameters so that ``params[i]`` and
``gradParams[i]`` always belong together.
"""
import numpy as np

from ...tensor import Storage, default_class


def _extent(t):
    """[low, high) element range of ``t`` inside its storage."""
    if t.nElement() == 0:
        return t.storageOffset(), t.storageOffset()
    lo = t.storageOffset() + sum(s * (n - 1) for s, n in zip(t.stride(), t.size()) if s < 0)
    hi = t.storageOffset() + sum(s * (n - 1) for s, n in zip(t.stride(), t.size()) if s > 0) + 1
    return lo, hi


def _compact(t):
    """True when ``t``'s elements fill one block of its storage without gaps, its dimensions taken in some order
    (Module.lua's isCompact): only such a tensor keeps its strides when the unused elements around it go."""
    expected = 1
    for stride, size in sorted((s, n) for s, n in zip(t.stride(), t.size()) if n > 1 and s != 0):
        if stride != expected:
            return False
        expected *= size
    return True


def _plan(params, where):
    """Where each source storage goes in the flat buffer: ({id(storage): (flat_start, storage_low, rank)}, total).

    A storage's region holds the elements its parameters view, in storage order: as Torch7's flatten, elements
    no parameter views are left out (``rank`` numbers the kept ones; None when none is left out), which needs
    every parameter of that storage compact."""
    spans = {}
    for p in params:
        lo, hi = _extent(p)
        key = id(p.storage())
        old = spans.get(key)
        spans[key] = (lo, hi) if old is None else (min(old[0], lo), max(old[1], hi))
    used = {key: np.zeros(hi - lo, dtype=bool) for key, (lo, hi) in spans.items()}
    for p in params:
        if p.nElement():
            key = id(p.storage())
            start = p.storageOffset() - spans[key][0]
            # a view of the mask with the tensor's geometry (one byte an element); _extent keeps it inside
            np.lib.stride_tricks.as_strided(used[key][start:], p.size(), p.stride())[...] = True
    regions, total = {}, 0
    for p in params:
        key = id(p.storage())
        if key in regions:
            continue
        mask, rank = used[key], None
        if not mask.all():
            for j, q in enumerate(params):
                if id(q.storage()) == key and not _compact(q):
                    raise ValueError(f"{where}: parameter {j} (sizes {tuple(q.size())}, strides "
                                     f"{tuple(q.stride())}) leaves gaps in its storage that other parameters do "
                                     f"not fill; Torch7 cannot gather such tensors either")
            rank = np.cumsum(mask) - 1
        regions[key] = (total, spans[key][0], rank)
        total += int(mask.sum())
    return regions, total


def _places(params, regions):
    """Where each parameter goes in the flat buffer: (offset, sizes, strides)."""
    places = []
    for p in params:
        start, low, rank = regions[id(p.storage())]
        at = p.storageOffset() - low
        places.append((start + (at if rank is None else int(rank[at])), p.size(), p.stride()))
    return places


def _already_flat(params, grads, total):
    """True when the tensors already sit in one storage each, gradients mirroring parameters."""
    flat_p, flat_g = params[0].storage(), grads[0].storage()
    if flat_p.size() != total or flat_g.size() != total or flat_p is flat_g:
        return False
    return all(p.storage() is flat_p and g.storage() is flat_g and g.storageOffset() == p.storageOffset()
               and g.stride() == p.stride() for p, g in zip(params, grads))


def _rebind(tensors, places, cls, total):
    """Copy each tensor's values into a new flat storage and make it a view at its place there."""
    values = [t.array.copy() for t in tensors]
    flat = Storage(tensors[0].xp.zeros(total, dtype=cls._dtype))
    for t, v, (offset, sizes, strides) in zip(tensors, values, places):
        t._set(flat, offset, sizes, strides)
        t.array[...] = v
    return flat


def _shared_alike(params, grads):
    """True when the gradients share storages exactly as their parameters do, at the same relative places."""
    by_param, by_grad = {}, {}
    for p, g in zip(params, grads):
        pk, gk = id(p.storage()), id(g.storage())
        place = (gk, g.storageOffset() - p.storageOffset())
        if by_param.setdefault(pk, place) != place or by_grad.setdefault(gk, pk) != pk:
            return False
    return True


def _gradient_places(params, grads, places, total, where):
    """Where each gradient goes in the flat gradient buffer. Gradients that share storages as their parameters do
    take the parameters' places. Otherwise Module.lua's getParameters flattens the gradients on their own and asserts
    only that both flat vectors have the same length ('check that you are sharing parameters and
    gradParameters') and that each gradient lands at its parameter's offset ('misaligned parameter'): so
    parameters packed in one storage by an earlier getParameters (a module cloned or loaded after it) still
    pack with gradients that each have their own storage. Raise where Torch7 would assert."""
    if _shared_alike(params, grads):
        return places
    regions, grad_total = _plan(grads, f'{where}.getParameters')
    grad_places = _places(grads, regions)
    if grad_total != total or any(g[0] != p[0] for p, g in zip(places, grad_places)):
        raise ValueError(f"{where}.getParameters: parameters and gradients are not shared alike (share "
                         f"gradients with their parameters: clone('weight', 'bias', 'gradWeight', 'gradBias'))")
    return grad_places


def flatten_parameters(params, grads, owner=None):
    """(flat params, flat grads) for the lists ``params``/``grads``; see the module docstring."""
    where = owner.shortName() if owner is not None else 'getParameters'
    if len(params) != len(grads):
        raise ValueError(f"{where}.getParameters: {len(params)} parameters but {len(grads)} gradients")
    if not params:   # Module.flatten's torch.Tensor(): empty, of the default type
        cls = default_class()
        return cls(), cls()
    if None in grads:   # Module.lua's flatten then makes a shorter gradient vector and getParameters asserts
        raise ValueError(f"{where}.getParameters: parameter {grads.index(None)} has no gradient (a gradWeight or "
                         "gradBias set to None, as before saving a checkpoint); give it one first, e.g. "
                         "m.gradWeight = m.weight.clone().zero()")
    kinds = {type(t) for t in params + grads}
    if len(kinds) != 1:
        raise TypeError(f"{where}.getParameters: parameters of mixed types {sorted(k._typename for k in kinds)}; "
                        "convert the model to one type first (e.g. model.float())")
    cls = kinds.pop()
    for p, g in zip(params, grads):
        if p.size() != g.size():
            raise ValueError(f"{where}.getParameters: gradient of size {g.size()} for a parameter of size {p.size()}")
    regions, total = _plan(params, f'{where}.getParameters')
    places = _places(params, regions)
    grad_places = _gradient_places(params, grads, places, total, where)   # before anything is rebound
    if _already_flat(params, grads, total):
        flat_p, flat_g = params[0].storage(), grads[0].storage()
    else:
        flat_p = _rebind(params, places, cls, total)
        flat_g = _rebind(grads, grad_places, cls, total)
    return cls(flat_p, 0, (total,), (1,)), cls(flat_g, 0, (total,), (1,))


def flatten_tensors(tensors):
    """Module.lua's ``nn.Module.flatten(tensors)``: a new flat tensor holding the elements of ``tensors``, each
    tensor rebound to view its place there (tensors sharing a storage keep sharing it, elements none views are
    left out); an empty list gives an empty tensor of the default type."""
    if not tensors:
        return default_class()()
    kinds = {type(t) for t in tensors}
    if len(kinds) != 1:
        raise TypeError(f"nn.Module.flatten: tensors of mixed types {sorted(k._typename for k in kinds)}; "
                        "convert them to one type first")
    cls = kinds.pop()
    regions, total = _plan(tensors, 'nn.Module.flatten')
    return cls(_rebind(tensors, _places(tensors, regions), cls, total), 0, (total,), (1,))
