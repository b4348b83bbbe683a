"""Stand-in for the ``moses`` rock (Yonaba/Moses, a Lua utility-belt library, not part of Torch7): only the one call
twrl makes, ``mo.flatten(t, shallow)``."""


def flatten(array, shallow=False):
    """The elements of ``array`` with nested lists opened: one level when ``shallow``, every level otherwise."""
    flat = []
    for value in array:
        if isinstance(value, list):
            flat.extend(value if shallow else flatten(value))
        else:
            flat.append(value)
    return flat
