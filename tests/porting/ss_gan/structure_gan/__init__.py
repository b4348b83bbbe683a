"""ss-gan's structure-gan folder: the surface-normal GAN (train.lua, adversarial_ct.lua, data.lua, donkey.lua,
dataset.lua)."""
