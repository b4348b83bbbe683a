"""lib/save_images.lua: the first ``n`` images of a batch tiled nine to a row (image.toDisplayTensor) and
saved."""
from legonn import image


def save_images(x, n, file=None):
    file = file or "./out.png"
    input = x.narrow(0, 0, n)
    view = image.toDisplayTensor({'input': input,
                                  'padding': 2,
                                  'nrow': 9,
                                  'symmetric': True})
    image.save(file, view)
