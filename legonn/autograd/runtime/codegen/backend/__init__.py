"""Code generating backends of the optimized mode: torch-autograd's generates Lua; legonn's generates Python
(``python``)."""
