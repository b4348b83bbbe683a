"""rlenvs/Blackjack.lua of Kaixhin/rlenvs (MIT licence), ported line by line: blackjack with stand, hit and a
usable ace. The deck's positions are 0-based (the player holds cards 0 and 2, the dealer 1 and 3; ``draw`` starts
at 4); ``randperm`` is 0-based too."""
import legonn as lg

from .Env import Env


class Blackjack(Env):
    # Constructor
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}

        super().__init__(opts)

        # Create number-only suit
        self.suit = lg.Tensor([2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 11])

    # 2 states returned, of type 'int', of dimensionality 1, for the player sum, dealer's showing card, and player-usable ace
    def getStateSpace(self):
        state = {}
        state['name'] = 'Box'
        state['shape'] = [3]
        state['low'] = [
            2,
            1,
            0
        ]
        state['high'] = [
            20,
            10,
            1
        ]
        return state

    # 1 action required, of type 'int', of dimensionality 1, either stand or hit
    def getActionSpace(self):
        action = {}
        action['name'] = 'Discrete'
        action['n'] = 2
        return action

    # Min and max reward
    def getRewardSpace(self):
        return -1, 1

    # Draw 2 cards for player and dealer
    def _start(self):
        # Shuffle deck
        self.deck = lg.cat([self.suit, self.suit, self.suit, self.suit], 0).index(0, lg.randperm(52).long())

        # Player state
        self.playerSum = self.deck[0] + self.deck[2]
        self.usableAce = 1 if (self.deck[0] == 11 or self.deck[2] == 11) else 0
        if self.playerSum > 21:
            self.playerSum = self.playerSum - 10
            self.usableAce = 1

        # Dealer state
        self.dealerCard = self.deck[1]
        self.draw = 4  # Index to draw card from (reserves 4th card for dealer)

        return [self.playerSum, self.dealerCard, self.usableAce]

    # Player stands or hits
    def _step(self, action):
        reward = 0
        terminal = False

        if action == 1:
            # Player hits
            self.playerSum = self.playerSum + self.deck[self.draw]
            self.draw = self.draw + 1

            # Check if player is bust
            if self.playerSum > 21:
                # Check for usable ace
                if self.usableAce == 1:
                    self.playerSum = self.playerSum - 10
                    self.usableAce = 1 if self.deck[self.draw - 1] == 11 else 0
                else:
                    reward = -1
                    terminal = True
        else:
            # Player is finished
            terminal = True

            # Dealer's second card actually drawn now
            dealerSum = self.dealerCard + self.deck[3]
            dealerAce = 1 if (self.dealerCard == 11 or self.deck[3] == 11) else 0
            if dealerSum > 21:
                # Only occurs if 2 aces drawn
                dealerSum = dealerSum - 10
                dealerAce = 1

            # Dealer draws until they reach at least 17
            while dealerSum < 17:
                dealerSum = dealerSum + self.deck[self.draw]
                self.draw = self.draw + 1

                # Check for usable ace
                if dealerSum >= 17 and dealerAce == 1:
                    dealerSum = dealerSum - 10
                    dealerAce = 1 if self.deck[self.draw - 1] == 11 else 0

            # Check for player win
            if self.playerSum > dealerSum or dealerSum > 21:
                reward = 1
            elif dealerSum > self.playerSum:
                reward = -1

        return reward, [self.playerSum, self.dealerCard, self.usableAce], terminal
