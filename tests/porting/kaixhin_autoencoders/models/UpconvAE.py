"""models/UpconvAE.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
from legonn import nn


class _Model:
    def createAutoencoder(self, X):
        # Create encoder
        self.encoder = nn.Sequential()
        self.encoder.add(nn.View(-1, 1, X.size(1), X.size(2)))
        self.encoder.add(nn.SpatialConvolution(1, 16, 3, 3, 1, 1, 1, 1))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1))
        self.encoder.add(nn.SpatialConvolution(16, 8, 3, 3, 1, 1, 1, 1))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1))
        self.encoder.add(nn.SpatialConvolution(8, 8, 3, 3, 1, 1, 1, 1))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.SpatialMaxPooling(2, 2, 2, 2))

        # Create decoder
        self.decoder = nn.Sequential()
        self.decoder.add(nn.SpatialFullConvolution(8, 8, 4, 4, 2, 2, 1, 1))
        self.decoder.add(nn.ReLU(True))
        self.decoder.add(nn.SpatialFullConvolution(8, 16, 4, 4, 2, 2, 1, 1))
        self.decoder.add(nn.ReLU(True))
        self.decoder.add(nn.SpatialFullConvolution(16, 1, 4, 4, 2, 2, 3, 3))
        self.decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)
        self.decoder.add(nn.View(X.size(1), X.size(2)))

        # Create autoencoder
        self.autoencoder = nn.Sequential()
        self.autoencoder.add(self.encoder)
        self.autoencoder.add(self.decoder)


Model = _Model()
