"""ss-gan's style-gan-nofcn folder: the style GAN conditioned on surface normals (train.lua,
conditional_adversarial_rgb.lua, donkey.lua). Its data.lua and dataset.lua are structure-gan's files verbatim:
they are imported from tests/porting/ss_gan/structure_gan/."""
