"""misc/ of ramprs/grad-cam: utils.lua, GuidedBackpropReLU.lua, DeconvReLU.lua and prepro_ques.py."""
