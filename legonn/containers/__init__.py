"""legonn.containers: modules made of modules (Sequential, Concat, Parallel, ...)."""
from ..modules.base.discovery import import_family
from .container import Container

CONTAINERS = import_family(__name__, __path__)
globals().update(CONTAINERS)
__all__ = sorted(CONTAINERS)
