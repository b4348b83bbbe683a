"""torch7/doc/random.md's examples, ported by docs/porting.md's rules. legonn's streams are NumPy's PCG64, not
Torch7's Mersenne Twister (porting.md's Generator row), so the doc's numbers (2357136044, 0.69646918727085, ...)
are not legonn's: each example is checked for what it shows, the same numbers drawn again."""
import pytest

import legonn as lg


def test_generator_handling_a_seeded_generator_draws_the_global_stream():
    """"Generator handling": the global RNG and a Generator both seeded 0 draw the same first number; the
    generator's second draw equals the global RNG's second."""
    lg.manualSeed(0)
    first = lg.random()
    gen = lg.Generator()
    lg.manualSeed(gen, 0)
    assert lg.random(gen) == first
    second = lg.random(gen)
    assert lg.random() == second and second != first
    assert 1 <= first <= 2 ** 32 and isinstance(first, int)


def test_seed_handling_manual_seed_and_initial_seed_replay_the_sequence():
    """"Seed Handling": ``torch.manualSeed(123)`` then three ``torch.uniform()``; the same three after
    ``torch.manualSeed(123)`` again and after ``torch.manualSeed(torch.initialSeed())``."""
    lg.manualSeed(123)
    drawn = [lg.uniform(), lg.uniform(), lg.uniform()]
    assert all(0 <= u < 1 for u in drawn) and len(set(drawn)) == 3
    lg.manualSeed(123)
    assert [lg.uniform(), lg.uniform(), lg.uniform()] == drawn
    assert lg.initialSeed() == 123
    lg.manualSeed(lg.initialSeed())
    assert [lg.uniform(), lg.uniform(), lg.uniform()] == drawn


def test_rng_state_resumes_from_where_it_was_taken():
    """"Seed Handling": ``s = torch.getRNGState()`` after one draw; ``torch.setRNGState(s)`` (which returns its
    argument) replays the second and third."""
    lg.manualSeed(123)
    lg.uniform()
    s = lg.getRNGState()
    later = [lg.uniform(), lg.uniform()]
    assert lg.setRNGState(s) is s
    assert [lg.uniform(), lg.uniform()] == later


def test_number_draws_and_their_argument_checks():
    """"random([gen,] [a], [b])" (0-based ranks: ``random(b)`` is 0 .. b-1, ``random(a, b)`` a .. b-1),
    "uniform" on [a, b), "normal", "exponential", "cauchy", "logNormal", "geometric", "bernoulli": numbers, from a
    Generator too; a ``stdv`` not positive and a ``p`` outside its range are refused as THRandom.c asserts."""
    gen = lg.Generator()
    lg.manualSeed(gen, 7)
    assert {lg.random(gen, 3) for _ in range(60)} == {0, 1, 2}
    assert {lg.random(gen, 2, 5) for _ in range(60)} == {2, 3, 4}
    assert all(2 <= lg.uniform(gen, 2, 3) < 3 for _ in range(20))
    assert all(lg.exponential(gen, 2) >= 0 and lg.logNormal(gen, 0, 1) > 0 for _ in range(20))
    assert all(lg.geometric(gen, 0.5) >= 1 for _ in range(20))
    assert {lg.bernoulli(gen) for _ in range(40)} == {0, 1} and lg.bernoulli(gen, 0) == 0
    assert isinstance(lg.normal(gen, 5, 2), float) and isinstance(lg.cauchy(gen, 0, 1), float)
    for call in (lambda: lg.normal(0, -1), lambda: lg.logNormal(0, 0), lambda: lg.geometric(1.5),
                 lambda: lg.bernoulli(2)):
        with pytest.raises(ValueError):
            call()
