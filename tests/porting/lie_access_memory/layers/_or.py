"""Lua's ``self.x or default`` of a field: Lua's ``or`` keeps any value but nil and false; Python's ``or`` would ask
a tensor for its truth value and treat an empty list as absent (docs/porting.md's ``a or b`` row)."""


def _or(value, default):
    return value if value is not None else default
