"""legonn.modules: the Module base and every leaf module, one family per file."""
from .discovery import import_family
from .errors import input_error
from .module import Module
from .typed import registry

MODULES = import_family(__name__, __path__)
globals().update(MODULES)
__all__ = ['Module', 'input_error', 'registry'] + sorted(MODULES)
