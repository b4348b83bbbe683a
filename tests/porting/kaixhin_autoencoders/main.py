"""main.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line as ``main(arg)``, which
returns the locals the tests read. Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* ``require('models/' .. opt.model)`` imports ``models/<name>.py`` (``WTA-AE`` as ``WTA_AE``, a Python module name)
  and takes its ``Model``; ``Model.lambda`` is ``Model.lambda_`` (``lambda`` is a Python keyword).
* ``pcall(require, 'cutorch')`` / ``pcall(require, 'cudnn')`` are ``paths.require`` in a try.
* ``advLoss`` is a global the Lua sets inside ``feval`` and reads in ``advFeval``: ``nonlocal`` in both.
* CAE: ``gradHidden:pow(2) * torch.pow(W, 2)`` is a matrix product in Torch7: ``@`` (docs/porting.md's ``A * B``
  row). ``Model.hidden:backward(x, Model.lambda * jacobian)`` hands the Linear the 3-D minibatch ``x`` (its real
  input is the View's 2-D output) and a gradOutput of the input's width, not the output's: torch/nn's Linear.lua
  (updateGradInput, accGradParameters) has no branch for a 3-D input and silently does nothing, so in Torch7 the
  contractive penalty is added to the loss but never to the gradients. legonn's Linear refuses the 3-D input
  (docs/porting.md's row on it), so the port leaves the call out, keeping Torch7's numbers.
* The figures (gnuplot's Training.png, image.save's PNGs) are written to the working directory as in the Lua.
"""
import importlib
import math

import legonn as lg
from legonn import gnuplot, image, mnist, nn, optim, paths


def _require(name):
    """``pcall(require, name)``: (True, the package) where it loads, else (False, None)."""
    try:
        return True, paths.require(name)
    except ImportError:
        return False, None


def main(arg=None):
    # Load dependencies
    cuda = _require('cutorch')[0]  # Use CUDA if available
    hasCudnn, cudnn = _require('cudnn')  # Use cuDNN if available

    # Command-line options
    cmd = lg.CmdLine()
    cmd.option('-cpu', False, 'CPU only (useful if GPU memory is too low)')
    cmd.option('-model', 'AE', 'Model: AE|SparseAE|DeepAE|ConvAE|UpconvAE|DenoisingAE|CAE|Seq2SeqAE|VAE|CatVAE|AAE|WTA-AE')
    cmd.option('-learningRate', 0.0001, 'Learning rate')
    cmd.option('-optimiser', 'adam', 'Optimiser')
    cmd.option('-epochs', 20, 'Training epochs')
    cmd.option('-denoising', False, 'Use denoising criterion')
    cmd.option('-mcmc', 0, 'MCMC samples')
    cmd.option('-sampleStd', 1, 'Standard deviation of Gaussian distribution to sample from')
    opt = cmd.parse(arg)
    opt['batchSize'] = 60  # Currently only set up for divisors of N
    if opt['cpu']:
        cuda = False
    if opt['model'] == 'DenoisingAE':
        opt['denoising'] = False  # Disable "extra" denoising

    # Set up Torch
    print('Setting up')
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(1)
    if cuda:
        from legonn import cutorch
        cutorch.manualSeed(lg.random())

    # Load MNIST data
    XTrain = mnist.traindataset().data.float().div(255)  # Normalise to [0, 1]
    XTest = mnist.testdataset().data.float().div(255)
    N = XTrain.size(0)
    if cuda:
        XTrain = XTrain.cuda()
        XTest = XTest.cuda()

    # Create model
    Model = importlib.import_module(__package__ + '.models.' + opt['model'].replace('-', '_')).Model
    Model.createAutoencoder(XTrain)
    if opt['denoising']:
        Model.autoencoder.insert(nn.WhiteNoise(0, 0.5), 0)  # Add noise during training
    autoencoder = Model.autoencoder
    if cuda:
        autoencoder.cuda()
        # Use cuDNN if available
        if hasCudnn:
            cudnn.convert(autoencoder, cudnn)

    # Create adversary (if needed)
    adversary = None
    if opt['model'] == 'AAE':
        Model.createAdversary()
        adversary = Model.adversary
        if cuda:
            adversary.cuda()
            # Use cuDNN if available
            if hasCudnn:
                cudnn.convert(adversary, cudnn)

    # Get parameters
    theta, gradTheta = autoencoder.getParameters()
    thetaAdv, gradThetaAdv = None, None
    if opt['model'] == 'AAE':
        thetaAdv, gradThetaAdv = adversary.getParameters()

    # Create loss
    criterion = nn.BCECriterion()
    softmax = nn.SoftMax()  # Softmax for CatVAE KL divergence
    if cuda:
        criterion.cuda()
        softmax.cuda()

    # Create optimiser function evaluation
    x = None  # Minibatch
    advLoss = None

    def feval(params):
        nonlocal advLoss
        if theta is not params:
            theta.copy(params)
        # Zero gradients
        gradTheta.zero()
        if opt['model'] == 'AAE':
            gradThetaAdv.zero()

        # Reconstruction phase
        # Forward propagation
        xHat = autoencoder.forward(x)  # Reconstruction
        loss = criterion.forward(xHat, x)
        # Backpropagation
        gradLoss = criterion.backward(xHat, x)
        autoencoder.backward(x, gradLoss)

        # Regularization phase
        if opt['model'] == 'CAE':
            # Penalise Fronbenius norm of encoder Jacobian
            hiddenWeights = lg.permute(Model.hidden.weight, 0, 1)
            gradHidden = lg.cmul(Model.encoder.output, (1 - Model.encoder.output))  # Calculate gradient wrt sigmoid activation
            jacobian = gradHidden.pow(2) @ lg.pow(Model.hidden.weight, 2)
            # Model.hidden:backward(x, Model.lambda * jacobian): a no-op in Torch7, refused by legonn (docstring)
            loss = loss + Model.lambda_ * lg.sum(jacobian)
        elif opt['model'] == 'Seq2SeqAE':
            # Clamp RNN gradients to prevent exploding gradients
            gradTheta.clamp(-10, 10)
        elif opt['model'] == 'VAE':
            # Optimise Gaussian KL divergence between inference model and prior: DKL[q(z|x)||N(0, σI)] = log(σ2/σ1) + ((σ1^2 - σ2^2) + (μ1 - μ2)^2) / 2σ2^2
            nElements = xHat.nElement()
            mean, logVar = Model.encoder.output
            var = lg.exp(logVar)
            KLLoss = 0.5 * lg.sum(lg.pow(mean, 2) + var - logVar - 1)
            KLLoss = KLLoss / nElements  # Normalise loss (same normalisation as BCECriterion)
            loss = loss + KLLoss
            gradKLLoss = [mean / nElements, 0.5 * (var - 1) / nElements]  # Normalise gradient of loss (same normalisation as BCECriterion)
            Model.encoder.backward(x, gradKLLoss)
        elif opt['model'] == 'CatVAE':
            # Optimise KL divergence between inference model and prior
            nElements = xHat.nElement()
            z = softmax.forward(Model.encoder.output.view(-1, Model.k)) + 1e-9  # Improve numerical stability
            logZ = lg.log(z)
            KLLoss = lg.sum(z.cmul(logZ - math.log(1 / Model.k)))
            KLLoss = KLLoss / nElements  # Normalise loss (same normalisation as BCECriterion)
            gradKLLoss = softmax.backward(Model.encoder.output.view(-1, Model.k), logZ + 1 - math.log(1 / Model.k)).view(-1, Model.N * Model.k)
            gradKLLoss = gradKLLoss / nElements  # Normalise gradient of loss (same normalisation as BCECriterion)
            loss = loss + KLLoss
            Model.encoder.backward(x, gradKLLoss)

            # Anneal temperature τ
            Model.tau = max(Model.tau - 0.0002, 0.5)
            Model.temperature.constant_scalar = 1 / Model.tau
        elif opt['model'] == 'AAE':
            real = lg.Tensor(opt['batchSize'], Model.zSize).normal(0, 1).typeAs(XTrain)  # Real samples ~ N(0, 1)
            YReal = lg.ones(opt['batchSize']).typeAs(XTrain)  # Labels for real samples
            YFake = lg.zeros(opt['batchSize']).typeAs(XTrain)  # Labels for generated samples

            # Train adversary to maximise log probability of real samples: max_D log(D(x))
            pred = adversary.forward(real)
            realLoss = criterion.forward(pred, YReal)
            gradRealLoss = criterion.backward(pred, YReal)
            adversary.backward(real, gradRealLoss)

            # Train adversary to minimise log probability of fake samples: max_D log(1 - D(G(x)))
            pred = adversary.forward(Model.encoder.output)
            fakeLoss = criterion.forward(pred, YFake)
            advLoss = realLoss + fakeLoss
            gradFakeLoss = criterion.backward(pred, YFake)
            gradFake = adversary.backward(Model.encoder.output, gradFakeLoss)

            # Train encoder (generator) to play a minimax game with the adversary (discriminator): min_G max_D log(1 - D(G(x)))
            minimaxLoss = criterion.forward(pred, YReal)  # Technically use max_G max_D log(D(G(x))) for same fixed point, stronger initial gradients
            loss = loss + minimaxLoss
            gradMinimaxLoss = criterion.backward(pred, YReal)
            gradMinimax = adversary.updateGradInput(Model.encoder.output, gradMinimaxLoss)  # Do not calculate gradient wrt adversary parameters
            Model.encoder.backward(x, gradMinimax)

        return loss, gradTheta

    def advFeval(params):
        if thetaAdv is not params:
            thetaAdv.copy(params)

        return advLoss, gradThetaAdv

    # Train
    print('Training')
    autoencoder.training()
    optimParams = {'learningRate': opt['learningRate']}
    advOptimParams = {'learningRate': opt['learningRate']}
    __, loss = None, None
    losses, advLosses = [], []

    for epoch in range(1, opt['epochs'] + 1):
        print('Epoch ' + str(epoch) + '/' + str(opt['epochs']))
        for n in range(0, N, opt['batchSize']):
            # Get minibatch
            x = XTrain.narrow(0, n, opt['batchSize'])

            # Optimise
            __, loss = optim[opt['optimiser']](feval, theta, optimParams)
            losses.append(loss[0])

            # Train adversary
            if opt['model'] == 'AAE':
                __, loss = optim[opt['optimiser']](advFeval, thetaAdv, advOptimParams)
                advLosses.append(loss[0])

        # Plot training curve(s)
        plots = [['Autoencoder', lg.linspace(1, len(losses), len(losses)), lg.Tensor(losses), '-']]
        if opt['model'] == 'AAE':
            plots.append(['Adversary', lg.linspace(1, len(advLosses), len(advLosses)), lg.Tensor(advLosses), '-'])
        gnuplot.pngfigure('Training.png')
        gnuplot.plot(*plots)
        gnuplot.ylabel('Loss')
        gnuplot.xlabel('Batch #')
        gnuplot.plotflush()

        # Permute data
        XTrain = XTrain.index(0, lg.randperm(XTrain.size(0)).long())

    # Test
    print('Testing')
    x = XTest.narrow(0, 0, 10)
    if opt['model'] == 'DenoisingAE':
        # Normally this should be switched to evaluation mode, but this lets us extract the noised version
        xHat = autoencoder.forward(x)
        # Extract noised version from denoising AE
        x = Model.noiser.output
    else:
        autoencoder.evaluate()
        xHat = autoencoder.forward(x)

    # Plot reconstructions
    image.save('Reconstructions.png', lg.cat(image.toDisplayTensor(x, 2, 10), image.toDisplayTensor(xHat, 2, 10), 0))

    if opt['model'] == 'AE' or opt['model'] == 'SparseAE' or opt['model'] == 'CAE' or opt['model'] == 'WTA-AE':
        # Plot filters
        image.save('Weights.png', image.toDisplayTensor(Model.decoder.findModules('nn.Linear')[0][0].weight.view(x.size(2), x.size(1), Model.features).transpose(0, 2), 1, math.floor(math.sqrt(Model.features))))

    if opt['model'] == 'VAE' or opt['model'] == 'AAE':
        if opt['denoising']:
            autoencoder.training()  # Retain corruption process

        # Plot interpolations
        height, width = XTest.size(1), XTest.size(2)
        interpolations = lg.Tensor(15 * height, 15 * width).typeAs(XTest)
        step = 0.05  # Use small steps in dense region of 2D Gaussian; TODO: Move to spherical interpolation?

        # Sample 15 x 15 points
        for i in range(1, 16):
            for j in range(1, 16):
                sample = lg.Tensor([2 * i * step - 16 * step, 2 * j * step - 16 * step]).typeAs(XTest).view(1, 2)  # Minibatch of 1 for batch normalisation
                interpolations[(i - 1) * height:i * height, (j - 1) * width:j * width] = Model.decoder.forward(sample)
        image.save('Interpolations.png', interpolations)

        # Plot samples
        output = Model.decoder.forward(lg.Tensor(15 * 15, 2).normal(0, opt['sampleStd']).typeAs(XTest)).clone()

        # Perform MCMC sampling
        for m in range(0, opt['mcmc'] + 1):
            # Save samples
            if m == 0:
                image.save('Samples.png', image.toDisplayTensor(Model.decoder.output, 0, 15))
            else:
                image.save('Samples (MCMC step ' + str(m) + ').png', image.toDisplayTensor(Model.decoder.output, 0, 15))

            # Forward again
            autoencoder.forward(output)
    elif opt['model'] == 'CatVAE':
        if opt['denoising']:
            autoencoder.training()  # Retain corruption process

        # Plot "interpolations"
        height, width = XTest.size(1), XTest.size(2)
        interpolations = lg.Tensor(Model.N * height, Model.k * width).typeAs(XTest)

        for n in range(1, Model.N + 1):
            for k in range(1, Model.k + 1):
                sample = lg.zeros(Model.N, Model.k).typeAs(XTest)
                sample[:, 0:1] = 1  # Start with first dimension "set"
                sample[n - 1] = 0  # Zero out distribution
                sample[n - 1][k - 1] = 1  # "Set" cluster
                interpolations[(n - 1) * height:n * height, (k - 1) * width:k * width] = Model.decoder.forward(sample.view(1, Model.N * Model.k))  # Minibatch of 1 for batch normalisation
        image.save('Interpolations.png', interpolations)

        # Plot samples
        samples = lg.Tensor(15 * 15 * Model.N, Model.k).bernoulli(1 / Model.k).typeAs(XTest).view(15 * 15, Model.N * Model.k)
        output = Model.decoder.forward(samples).clone()

        # Perform MCMC sampling
        for m in range(0, opt['mcmc'] + 1):
            # Save samples
            if m == 0:
                image.save('Samples.png', image.toDisplayTensor(Model.decoder.output, 0, 15))
            else:
                image.save('Samples (MCMC step ' + str(m) + ').png', image.toDisplayTensor(Model.decoder.output, 0, 15))

            # Forward again
            autoencoder.forward(output)

    return {'opt': opt, 'Model': Model, 'autoencoder': autoencoder, 'adversary': adversary, 'losses': losses,
            'advLosses': advLosses, 'x': x, 'xHat': xHat}
