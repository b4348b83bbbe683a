"""online-neural-doodle's src/ (each .lua a module of the same name)."""
