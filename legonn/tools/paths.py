"""Every module's path in a tree, as errors name it: ``Sequential[2][0]``, and inside a gModule its node."""
from ..graph.gmodule import gModule


def module_paths(model, path=None):
    """{id(module): its path} for ``model`` and every descendant: ``Sequential[2][0]``, and inside a
    gModule the node (``gModule node 5 'h' [Linear(3 -> 4), created at file.py:12]``)."""
    path = type(model).__name__ if path is None else path
    paths = {id(model): path}
    if isinstance(model, gModule):
        for node in model.forwardnodes:
            if node.module is not None:
                paths.update(module_paths(node.module, f"{path} {node.where()}"))
    else:
        for i, child in enumerate(model.children()):
            paths.update(module_paths(child, f"{path}[{i}]"))
    return paths
