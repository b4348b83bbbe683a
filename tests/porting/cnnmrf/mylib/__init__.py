"""CNNMRF's mylib/ (each .lua a module of the same name)."""
