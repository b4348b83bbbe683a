"""dataload's config.lua: where datasets are looked for by default.

``TORCH_PATH`` is ``$TORCH_DATA_PATH`` or the home directory, ``DATA_PATH`` ``$DEEP_DATA_PATH`` or
``TORCH_PATH/data``, ``SAVE_PATH`` ``$DEEP_SAVE_PATH`` or ``TORCH_PATH/save``, as in the Lua. Unlike the Lua,
importing the package creates neither folder (an import has no side effects on the disk).
"""
import os

TORCH_PATH = os.environ.get('TORCH_DATA_PATH') or os.path.expanduser('~')
DATA_PATH = os.environ.get('DEEP_DATA_PATH') or os.path.join(TORCH_PATH, 'data')
SAVE_PATH = os.environ.get('DEEP_SAVE_PATH') or os.path.join(TORCH_PATH, 'save')


def require_files(loader, datapath, names, source):
    """The paths of ``names`` in ``datapath``; a FileNotFoundError naming ``loader``, the folder, every missing
    file and where the Lua downloaded them from (``source``) when any is absent: legonn never downloads."""
    paths = [os.path.join(datapath, name) for name in names]
    missing = [name for name, path in zip(names, paths) if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(
            f"dataload.{loader}: expected {', '.join(missing)} in {datapath} (legonn does not download: "
            f"fetch {source} and unpack it there)")
    return paths
