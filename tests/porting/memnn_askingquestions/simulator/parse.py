"""AskingQuestions/simulator/parse.lua: the simulator's options and the movie files it reads.

``cmd:parse(arg)`` of the script's global ``arg``: ``parse(arg)``; the returned table is a dict."""
import legonn as lg
from legonn import tds  # noqa: F401  (the Lua requires it)


def parse(arg):
    cmd = lg.CmdLine()
    cmd.option('-mode', 'train', 'mode of simulation: train|dev|test')
    cmd.option('-task', 1, "1,2,3,4,5,6,7,8,9")
    cmd.option('-prob_correct_final_answer', 0.5, 'prob of being correct'
               + "when generating the final answer to the question")
    cmd.option('-prob_correct_intermediate_answer', 0.5, 'prob of being correct'
               + "when generating the answers to the intermediate answers")
    cmd.option('-homefolder', '../data/movieQA_kb', 'homefolders to store the database')
    cmd.option("-junk", True, "whether to incorporate junk i.e., random QA pairs")
    cmd.option("-setting", "AQ", "the setting, takes value of AQ, QA or mix")
    cmd.option("-randomQuestionNumTotal", 5, "the number of junk QA pairs in history")
    cmd.option("-output_dir", "./", "the output file name")
    cmd.option("-output_fname", "", "the output file name")

    opt = cmd.parse(arg)

    opt['dataset_file'] = opt['homefolder'] + "/" + opt['mode'] + '.txt'
    opt['template_file'] = opt['homefolder'] + "/" + opt['mode'] + "_template.txt"  # question templates
    opt['question_entity_file'] = opt['homefolder'] + "/" + opt['mode'] + "_entity.txt"  # the entity asked about
    opt['question_relation_file'] = opt['homefolder'] + "/" + opt['mode'] + "_relation.txt"
    opt['kb_file'] = opt['homefolder'] + "/movie_kb.txt"
    opt['typo_file'] = opt['homefolder'] + "/word_typo"
    opt['all_entities'] = opt['homefolder'] + "/movie_entities.txt"
    opt['question_template_file'] = opt['homefolder'] + "/question_templates.txt"
    if opt['output_fname'] == "":
        opt['output_fname'] = opt['output_dir'] + "/Task" + str(opt['task']) + "_" + opt['setting'] + "_" \
            + opt['mode'] + ".txt"

    if opt['mode'] == "dev" or opt['mode'] == "test":
        opt['CopyAllAnswers'] = True

    return opt
