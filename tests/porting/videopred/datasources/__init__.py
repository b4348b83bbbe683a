"""datasources/ of VideoPredictionICLR2016 (``require 'datasources.xxx'`` is an import of the module here)."""
