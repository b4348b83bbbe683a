"""legonn.modules: the Module base and every leaf module, one family per file."""
from .base.discovery import import_family
from .base.errors import input_error
from .base.module import Module
from .base.typed import registry

MODULES = import_family(__name__, __path__)
globals().update(MODULES)
__all__ = ['Module', 'input_error', 'registry'] + sorted(MODULES)
