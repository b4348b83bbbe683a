"""The legonn side of the step benchmarks: one Torch7-style SGD step (feval closure, momentum) of a model."""
from legonn import optim

LR, MOMENTUM = 0.01, 0.9


def sgd_step(model, criterion, x, y, cuda, reduce_gradients=None):
    """A function running one ``optim.sgd`` step of ``model`` on ``(x, y)``, the model moved to the GPU first
    when ``cuda`` (``x`` and ``y`` must already live where the model will). ``reduce_gradients(grad_params)``,
    when given, runs between backward and the update (the data-parallel allreduce)."""
    if cuda:
        model.cuda()
        criterion.cuda()
    params, grad_params = model.getParameters()
    config = {'learningRate': LR, 'momentum': MOMENTUM, 'dampening': 0}

    def feval(_):
        grad_params.zero()
        output = model.forward(x)
        loss = criterion.forward(output, y)
        model.backward(x, criterion.backward(output, y))
        if reduce_gradients is not None:
            reduce_gradients(grad_params)
        return loss, grad_params

    def step():
        optim.sgd(feval, params, config)
    return step
