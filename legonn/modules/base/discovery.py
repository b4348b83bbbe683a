"""Importing every file of a family package so its classes register themselves.

New modules are added by adding a file: no central list to edit.
"""
import importlib
import pkgutil

from .typed import registry


def import_family(package_name, package_path):
    """Import each submodule of the package; return the registered classes it defines."""
    for info in pkgutil.iter_modules(package_path):
        importlib.import_module(f'{package_name}.{info.name}')
    return {name: cls for name, cls in registry.items() if cls.__module__.startswith(package_name + '.')}
