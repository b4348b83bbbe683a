"""models/WTA-AE.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line
(``require '../modules/BatchTopK'`` imports the class: ``nn.BatchTopK`` is ``BatchTopK``)."""
from legonn import nn

from ..modules.BatchTopK import BatchTopK


class _Model:
    k = 0.05  # Sparsity
    features = 1000  # Number of features

    def createAutoencoder(self, X):
        featureSize = X.size(1) * X.size(2)

        # Create encoder
        self.encoder = nn.Sequential()
        self.encoder.add(nn.View(-1, featureSize))
        self.encoder.add(nn.Linear(featureSize, self.features))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(BatchTopK(self.k, True))  # Extract k% top activations during training

        # Create decoder
        self.decoder = nn.Sequential()
        self.decoder.add(nn.Linear(self.features, featureSize))
        self.decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)
        self.decoder.add(nn.View(X.size(1), X.size(2)))

        # Create autoencoder
        self.autoencoder = nn.Sequential()
        self.autoencoder.add(self.encoder)
        self.autoencoder.add(self.decoder)


Model = _Model()
