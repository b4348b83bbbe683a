"""mylib/tv.lua of chuanli11/CNNMRF: nn.TVLoss, line for line the TVLoss of jcjohnson/neural-style's
neural_style.lua (the same Lua, "inspired by kaishengtai/neuralart"), whose port is imported."""
from tests.porting.test_neural_style import TVLoss

__all__ = ['TVLoss']
