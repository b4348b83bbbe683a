"""The optional extras of pyproject.toml (``legonn[image]``: Pillow, ``legonn[hdf5]``: h5py, ...): a module of
one is imported when first needed, so an install without it works until a call needs it, and that call's error
says what to install."""
import importlib


def optional_module(module, extra, pip_name, who, what):
    """The module ``module`` (``'h5py'``, ``'PIL.Image'``), or an ImportError: ``who`` (the caller, e.g.
    ``'image.load'``) ``what`` (what it does through the module), then ``pip install legonn[extra]``."""
    try:
        importlib.import_module(module.partition('.')[0])   # the package first, as `from PIL import Image` does
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{who} {what}: pip install legonn[{extra}] (or pip install {pip_name})") from err
