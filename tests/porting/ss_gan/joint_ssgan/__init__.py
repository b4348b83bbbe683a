"""ss-gan's joint-ssgan folder: the structure GAN and the style GAN trained together (train.lua,
joint_train_bi.lua, donkey.lua); G's gradient with respect to its normal map flows back, through the 72 -> 128
upsampling, into the structure G. Its data.lua and dataset.lua are structure-gan's (dataset.lua less a comment):
imported from tests/porting/ss_gan/structure_gan/. The Lua moves tensors with ``:cuda()`` unconditionally (it runs
on a GPU only), so the test runs it in the test marked gpu."""
