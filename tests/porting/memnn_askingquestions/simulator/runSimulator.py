"""AskingQuestions/simulator/runSimulator.lua: simulate one dialogue per question of the movie dataset and write
them out. The script's chunk is ``main(arg)`` (``arg``, the command line parse.lua reads); it returns the output
file's name."""
from legonn import tds  # noqa: F401  (the Lua requires it)

from .movieStudent import movieStudent
from .movieTeacher import movieTeacher
from .parse import parse
from .Simulator import Simulator


def main(arg):
    opt = parse(arg)
    movieTeacher.Initial(opt)
    movieStudent.Initial(opt)
    Simulator.Initial(opt, [movieTeacher, movieStudent])

    for i in range(len(movieTeacher.dataset)):
        # print('')
        Simulator.roundtable()
        Simulator.print_log()
    Simulator.close_files()
    return opt['output_fname']
