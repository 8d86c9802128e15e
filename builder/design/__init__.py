"""The design: the one serialisable spec, the layer registry, validation, templates and the diagram.

Owns what a design *is* and whether it is sound. Pure Python (pydantic); may import only
``builder.errors``. Never imports Keras, TensorFlow, pandas or Streamlit.
"""
