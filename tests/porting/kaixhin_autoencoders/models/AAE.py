"""models/AAE.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line."""
from legonn import nn


class _Model:
    zSize = 2  # -- Size of isotropic multivariate Gaussian Z

    def createAutoencoder(self, X):
        featureSize = X.size(1) * X.size(2)

        # Create encoder (generator)
        self.encoder = nn.Sequential()
        self.encoder.add(nn.View(-1, featureSize))
        self.encoder.add(nn.Linear(featureSize, 128))
        self.encoder.add(nn.BatchNormalization(128))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.Linear(128, 64))
        self.encoder.add(nn.BatchNormalization(64))
        self.encoder.add(nn.ReLU(True))
        self.encoder.add(nn.Linear(64, self.zSize))  # Encoding distribution q(z|x) is a deterministic function of x
        # Note that a Gaussian posterior (like VAE) or universal approximator posterior could be used, but deterministic q(z|x) works well

        # Create decoder
        self.decoder = nn.Sequential()
        self.decoder.add(nn.Linear(self.zSize, 64))
        self.decoder.add(nn.BatchNormalization(64))
        self.decoder.add(nn.ReLU(True))
        self.decoder.add(nn.Linear(64, 128))
        self.decoder.add(nn.BatchNormalization(128))
        self.decoder.add(nn.ReLU(True))
        self.decoder.add(nn.Linear(128, featureSize))
        self.decoder.add(nn.BatchNormalization(featureSize))
        self.decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)
        self.decoder.add(nn.View(X.size(1), X.size(2)))

        # Create autoencoder
        self.autoencoder = nn.Sequential()
        self.autoencoder.add(self.encoder)
        self.autoencoder.add(self.decoder)

    def createAdversary(self):
        # Create adversary (discriminator)
        self.adversary = nn.Sequential()
        self.adversary.add(nn.Linear(self.zSize, 16))
        self.adversary.add(nn.BatchNormalization(16))
        self.adversary.add(nn.ReLU(True))
        self.adversary.add(nn.Linear(16, 1))
        self.adversary.add(nn.BatchNormalization(1))
        self.adversary.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)


Model = _Model()
