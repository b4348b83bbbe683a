"""Views of a module's arrays made once per array. Torch7's buffers and parameters keep their addresses from call
to call, so a view of one (a transpose, its slices) stays right while the tensor keeps the same array object; on a
GPU each view is a CuPy call of its own, made at every step of a small model otherwise."""
import weakref

# module -> {name: (the array, what else the views depend on, the views)}: outside the modules, so that neither
# lg.save nor clone carries views (a copy would no longer view its array)
_MADE = weakref.WeakKeyDictionary()


def views_of(module, name, array, key, make):
    """``make(array)``, made again only when ``array`` is not the object of the last call for ``(module, name)`` or
    ``key`` (say, a dimension and a count) differs from that call's."""
    made = _MADE.get(module)
    if made is None:
        made = _MADE[module] = {}
    entry = made.get(name)
    if entry is None or entry[0] is not array or entry[1] != key:
        entry = made[name] = (array, key, make(array))
    return entry[2]
