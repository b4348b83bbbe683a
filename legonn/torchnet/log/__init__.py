"""torchnet's logs: ``tnt.Log`` and its views (``require 'torchnet.log.view.text'`` is ``tnt.Log.view.text``, or
``from legonn.torchnet.log.view import text``)."""
from . import view
from .log import Log

__all__ = ['Log', 'view']
