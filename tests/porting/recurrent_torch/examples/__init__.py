"""recurrent.torch's examples/ folder."""
