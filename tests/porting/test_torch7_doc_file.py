"""torch7/doc/file.md's serialization examples, ported by docs/porting.md's MemoryFile row: a
``torch.MemoryFile``'s ``writeObject`` ... ``readObject`` is ``lg.serialize`` ... ``lg.deserialize``. legonn has no
File classes; the readObject example's DiskFile is left to the branch that brings ``lg.DiskFile``, its
shared-reference behaviour checked here through memory."""
import legonn as lg


def test_a_memory_file_clones_an_object():
    """"Serialization methods": ``file:writeObject(object); file:seek(1); objectClone = file:readObject()``
    makes a deep copy."""
    mlp = lg.nn.Sequential().add(lg.nn.Linear(3, 2)).add(lg.nn.Tanh())
    obj = {'model': mlp, 'steps': [1, 2], 'name': 'clone me'}
    clone = lg.deserialize(lg.serialize(obj))
    assert clone['steps'] == [1, 2] and clone['name'] == 'clone me'
    linear = clone['model'].get(0)
    assert linear is not mlp.get(0) and linear.weight.equal(mlp.get(0).weight)
    linear.weight.fill(0)
    assert mlp.get(0).weight.abs().sum() > 0


def test_objects_written_with_the_same_reference_keep_it():
    """"readObject()": an array holding the same tensor twice (``array[1][1] = 3.14``) comes back holding one
    tensor twice: ``arrayNew[1][1] = 2.72`` shows in ``arrayNew[2][1]`` (0-based here)."""
    array = []
    x = lg.Tensor(1)
    array.append(x)
    array.append(x)
    array[0][0] = 3.14
    assert x[0] == array[0][0] == array[1][0] == lg.Tensor([3.14])[0]
    array_new = lg.deserialize(lg.serialize(array))
    assert array_new[0] is array_new[1]
    array_new[0][0] = 2.72
    assert array_new[0][0] == array_new[1][0] == lg.Tensor([2.72])[0]
    assert x[0] == lg.Tensor([3.14])[0]
