"""The Keras model of a design: functional-API build, generated Python code, input preprocessing layers.

May import ``builder.design`` and ``builder.errors``. Keras is imported inside the functions that build,
so importing this package stays light.
"""
