"""Errors that say where: the module's path in the tree, what it expected, what came.

A leaf module raises ``input_error(self, expected, got)``; each container the
error passes through prepends its own step (``Sequential[2]``) with
``add_path``. The exception keeps its class (ValueError / TypeError / IndexError)
so callers can catch it the usual way.
"""


def _render(err):
    return f"{' '.join(err.legonn_path)}: {err.legonn_detail}"


def input_error(module, expected, got, kind=ValueError):
    """An exception naming ``module``, the expectation and what arrived."""
    err = kind(f"{module.shortName()}: expected {expected}, got {got}")
    err.legonn_path = [module.shortName()]
    err.legonn_detail = f"expected {expected}, got {got}"
    return err


def add_path(err, step, child=None):
    """Prefix ``err``'s module path with a container step; name ``child`` if the error did not."""
    if not hasattr(err, 'legonn_path'):
        if not err.args or not isinstance(err.args[0], str):
            return err
        err.legonn_path = [child.shortName()] if child is not None else []
        err.legonn_detail = err.args[0]
    elif child is not None and not err.legonn_path:
        err.legonn_path = [child.shortName()]
    err.legonn_path.insert(0, step)
    err.args = (_render(err),) + tuple(err.args[1:])
    return err


def name_error(module, err):
    """Give an exception raised inside ``module`` (e.g. by NumPy) the module's name, once."""
    if not hasattr(err, 'legonn_path') and err.args and isinstance(err.args[0], str):
        err.legonn_path = [module.shortName()]
        err.legonn_detail = err.args[0]
        err.args = (_render(err),) + tuple(err.args[1:])
    return err
