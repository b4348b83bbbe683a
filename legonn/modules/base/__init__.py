"""The framework under every layer: what a layer file may import besides ``legonn.tensor``.

- ``module``, ``typed``: the module contract (``Module``; ``Typed`` for type conversion and buffers)
- ``checks``: the input checks, declared on the class (``input_kind``, ``input_ranks``, ``input_dtypes``)
  and read by ``checkContract`` before ``updateOutput``
- ``contract_inputs``: NumPy arrays accepted wherever tensors are, on every contract method
- ``errors``: path-naming errors, the hyper-parameter and in-place flag checks
- ``lua_arguments``: constructor arguments read as Lua: ``None`` meaning "the default", as ``nil``, and a
  whole-number float an integer, as Lua has one number type; ``table_arguments`` reads a Lua call's table
  of named arguments (``Module{owidth=..., oheight=...}``)
- ``table_buffers``: reused buffers of the table modules
- ``elementwise``: the base of the element-wise modules (activations and friends)
- ``initialisation``: Torch7's uniform reset rule
- ``batching``: the batch axis of inputs that may lack one
- ``convolution``, ``pooling``, ``connection_tables``, ``recurrent``: the shared engines of those families
- ``flatten``: ``getParameters()``' one flat storage
- ``discovery``: importing a family package registers its classes
- ``jacobian``, ``sparse_jacobian``: finite-difference checks (``nn.Jacobian``)
- ``nn_utils``: Torch7's ``nn.utils``
"""
