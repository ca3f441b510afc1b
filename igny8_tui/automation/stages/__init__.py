"""The pipeline's stages: one module each behind the `Stage` class of `base.py`, listed once in
`registry.py`."""
