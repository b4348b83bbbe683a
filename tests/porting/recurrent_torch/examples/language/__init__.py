"""recurrent.torch's examples/language/: charRNN.lua and wordRNN.lua with their utils/."""
