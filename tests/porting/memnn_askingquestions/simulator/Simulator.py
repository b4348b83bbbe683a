"""AskingQuestions/simulator/Simulator.lua: the dialogue simulator: agents talk in turn until one quits, and each
dialogue is written out (the knowledge-base facts the task keeps, then one line per teacher utterance with the
student's reply and the teacher's reward) in the format supervised/data.lua parses.

The Lua's module table is the object ``Simulator``. The Lua defines ``nextUtterance`` and ``update`` twice; the
second definitions replace the first, as a Python class body's second ``def`` does. ``formal_utter:find(e)`` as in
movie_utils.py."""
from legonn.pl import stringx


class _movieDialogueSimulator:

    def Initial(self, opt, agents):
        self.log = []
        self.agents = []
        for ag in agents:
            self.agents.append(ag)
        for i, v in opt.items():
            setattr(self, i, v)
        self.output_file = open(self.output_fname, 'w')

    def nextUtterance(self, agent):
        comment = {}
        utterance = agent.speak(self.log)
        comment['agentName'] = agent.name
        comment['utterance'] = utterance
        self.log.append(comment)
        if self.verbosity > 1:
            print(agent.name + ": " + utterance)

    # After an utterance has been released, update agents internal
    # states.
    def update(self):
        # first get the rewards from every agent
        rewards = {}
        # agents exchange rewards
        for curr_agent in self.agents:
            # each agent appends rewards
            # rewards are in the format rewards[to] = {(from, val)...}
            curr_agent.giveReward(self.log, rewards)
        self.log[len(self.log) - 1]['rewards'] = rewards
        for current_agent in self.agents:
            current_agent.update(self.log)

    # Clear all message history and agents' internal state.
    def clearState(self):
        self.log = []
        for current_agent in self.agents:
            current_agent.clear()

    # Simple communication protocol, agents talk
    # one after the other till one of them decides
    # to quit the conversation.
    def roundtable(self):
        self.clearState()
        num_turns = 1
        agent_id = 0
        keep_going = True
        while keep_going:
            self.nextUtterance(self.agents[agent_id])
            self.update()
            keep_going = not self.agents[agent_id].quit()
            num_turns = num_turns + 1
            agent_id = (num_turns - 1) % len(self.agents)

    def nextUtterance(self, agent):  # noqa: F811  (the Lua's second definition)
        comment = {}
        utterance, reward = agent.speak(self.log)
        comment['agentName'] = agent.name
        comment['utterance'] = utterance
        comment['rewards'] = reward
        self.log.append(comment)

    def update(self):  # noqa: F811  (the Lua's second definition)
        for current_agent in self.agents:
            current_agent.update(self.log)

    def print_log(self):
        assert self.output_file
        nlines = len(self.log)
        lctr = 0
        str_ = ""
        reward = None
        teacher = self.agents[0]
        student = self.agents[1]
        sup_facts = teacher.sup_facts[teacher.question_entity]
        for i in range(sup_facts.size(0)):
            formal_utter = teacher.kb[int(sup_facts[i])]
            should_write = True
            # whether we should keep or remove current kb fact
            # for task 1 2 3 4, all kb facts should be kept
            # for task 5 6 7 8 9, we deliberately hide facts to make the kb incomplete so that the
            # student can ask questions about the missing entities
            # whethr current fact should be removed is task-dependent
            if self.task == 9:
                # task 9, everything is missing, all facts need to be removed
                should_write = False
            elif self.task == 5:
                # task5 question entity is missing
                if formal_utter.find(teacher.question_entity) != -1:
                    # remove that facts that contain the question entity
                    should_write = False
            elif self.task == 6:
                # task6 answer entity is missing
                # remove that facts that contain the answer entity
                if student.answer_string is not None:
                    answers = stringx.split(student.answer_string, ", ")
                    for v in answers:
                        if formal_utter.find(v) != -1:
                            should_write = False
                            break
                        # remove those containing answer entity
            elif self.task == 7:
                # task7 relation entity is missing
                # remove the facts that contain the same relation entity
                if formal_utter.find(teacher.question_relation) != -1:
                    should_write = False
            elif self.task == 8:
                # task8 the tripple is missing
                if formal_utter.find(teacher.question_entity) != -1 and \
                        formal_utter.find(teacher.curr_answer) != -1 and \
                        formal_utter.find(teacher.question_relation) != -1:
                    should_write = False
            if should_write:
                lctr = lctr + 1
                self.output_file.write(str(lctr) + " knowledgebase: " + formal_utter + "\t\t0\n")
        for i in range(nlines):
            utterance = self.log[i]['utterance']
            if self.log[i]['agentName'] == "movieTeacher":
                lctr = lctr + 1
                str_ = str(lctr) + " " + utterance
                reward = self.log[i]["rewards"]
            else:
                str_ = str_ + "\t" + utterance + "\t" + str(reward) + "\n"
                self.output_file.write(str_)
                str_ = ""
        if str_ is not None:
            str_ = str_ + "\t\t" + str(reward) + "\n"
            self.output_file.write(str_)

    def close_files(self):
        self.output_file.close()


Simulator = _movieDialogueSimulator()
