"""recurrent.torch's models/ folder (installed flat beside init.lua by its CMakeLists.txt)."""
