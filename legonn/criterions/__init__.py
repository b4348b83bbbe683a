"""legonn.criterions: the Criterion base and every loss."""
from ..modules.base.discovery import import_family
from .criterion import Criterion

CRITERIONS = import_family(__name__, __path__)
globals().update(CRITERIONS)
__all__ = sorted(CRITERIONS)
