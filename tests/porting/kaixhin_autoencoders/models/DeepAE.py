"""models/DeepAE.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
from legonn import nn


class _Model:
    def createAutoencoder(self, X):
        featureSize = X.size(1) * X.size(2)

        # Create encoder
        self.encoder = nn.Sequential()
        self.encoder.add(nn.View(-1, featureSize))
        self.encoder.add(nn.Linear(featureSize, 128))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.Linear(128, 64))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.Linear(64, 32))
        self.encoder.add(nn.ReLU(True))

        # Create decoder
        self.decoder = nn.Sequential()
        self.decoder.add(nn.Linear(32, 64))
        self.decoder.add(nn.ReLU(True))
        self.decoder.add(nn.Linear(64, 128))
        self.decoder.add(nn.ReLU(True))
        self.decoder.add(nn.Linear(128, featureSize))
        self.decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)
        self.decoder.add(nn.View(X.size(1), X.size(2)))

        # Create autoencoder
        self.autoencoder = nn.Sequential()
        self.autoencoder.add(self.encoder)
        self.autoencoder.add(self.decoder)


Model = _Model()
