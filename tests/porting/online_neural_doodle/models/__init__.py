"""online-neural-doodle's models/ (each .lua a module of the same name, its body a function ``model()``)."""
