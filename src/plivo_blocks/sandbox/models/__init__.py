"""Resource models: the typed documents (one dataclass per kind, :mod:`.base` says how they sit on
the store), how each resource is shown, and the rules that span resources.

Each module works on a :class:`~plivo_blocks.sandbox.store.Tx` (so multi-step changes are one
transaction) and renders documents the way Plivo shows them. Routes are thin layers over these;
other parts of the sandbox (the voice engine) use the look-ups, e.g.
:func:`~plivo_blocks.sandbox.models.numbers.application_for_number`.
"""
