"""models/SparseAE.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
from legonn import nn


class _Model:
    features = 128

    def createAutoencoder(self, X):
        featureSize = X.size(1) * X.size(2)

        # Create encoder
        self.encoder = nn.Sequential()
        self.encoder.add(nn.View(-1, featureSize))
        self.encoder.add(nn.Linear(featureSize, self.features))
        self.encoder.add(nn.ReLU(True))

        # Create decoder
        self.decoder = nn.Sequential()
        self.decoder.add(nn.Linear(self.features, featureSize))
        self.decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)
        self.decoder.add(nn.View(X.size(1), X.size(2)))

        # Create autoencoder
        self.autoencoder = nn.Sequential()
        self.autoencoder.add(self.encoder)
        self.autoencoder.add(nn.L1Penalty(1e-5))  # L1 penalty on activations
        self.autoencoder.add(self.decoder)


Model = _Model()
