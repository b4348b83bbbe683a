"""Time of ``lg.save`` for a recurrent model whose Sequencer holds one clone per time step (a checkpoint of
a char-level language model): the clones' cleared buffers are most of what a save walks.

    PYTHONPATH=$PWD python bench/save_clones.py [--steps 30] [--hidden 64] [--repeats 5]
"""
import argparse
import io

import legonn as lg
from index_linear import best_ms   # a sibling script: bench/ is on the path when run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=30)
    parser.add_argument('--hidden', type=int, default=64)
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    nn, vocabulary = lg.nn, 100
    model = (nn.Sequential().add(nn.LookupTable(vocabulary, args.hidden)).add(nn.SplitTable(1))
             .add(nn.Sequencer(nn.FastLSTM(args.hidden, args.hidden)))
             .add(nn.Sequencer(nn.Linear(args.hidden, vocabulary))))
    x = lg.LongTensor(8, args.steps).random(1, vocabulary - 1)
    outputs = model.forward(x)
    model.backward(x, [o.clone().fill(0.01) for o in outputs])   # every clone holds its buffers, as in training
    sink = io.BytesIO()

    def save():
        sink.seek(0)
        sink.truncate()
        lg.save(sink, model)

    ms = best_ms(save, args.repeats, lambda: None)
    print(f"{args.steps} steps (a clone each): lg.save {ms:.0f} ms, {len(sink.getvalue()) / 1e6:.2f} MB")


if __name__ == '__main__':
    main()
