"""recurrent.torch's examples/language/utils/."""
