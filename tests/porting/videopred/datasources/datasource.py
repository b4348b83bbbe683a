"""datasources/datasource.lua: ``require 'datasources.classdatasource'``."""
from tests.porting.videopred.datasources.classdatasource import ClassDatasource  # noqa: F401
