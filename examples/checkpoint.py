"""Checkpoints for the examples: the model, the optimiser's config/state table, the loss history and
both random generators' states in one ``lg.save`` file (written atomically), so that ``--resume``
continues exactly where the saved run stopped: on the CPU with the same seed, the resumed run's
losses are bitwise those of an uninterrupted run."""
import legonn as lg


def save(path, model, config, history, epoch, rng):
    """Write the state after ``epoch`` epochs; ``rng`` is the example's NumPy shuffling generator."""
    lg.save(path, {'model': model, 'config': config, 'history': history, 'epoch': epoch,
                   'legonn_rng': lg.getRNGState(), 'shuffle_rng': rng.bit_generator.state})


def resume(path, rng):
    """(model, config, history, epochs done) from ``path``; puts both generators back where they stood."""
    saved = lg.load(path)
    lg.setRNGState(saved['legonn_rng'])
    rng.bit_generator.state = saved['shuffle_rng']
    print(f"resumed from {path} after epoch {saved['epoch']}")
    return saved['model'], saved['config'], saved['history'], saved['epoch']
