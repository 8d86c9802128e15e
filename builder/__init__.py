"""builder: multi-output Keras models from a plain-data design.

Importing this package is fast: it never imports TensorFlow, Keras or
Streamlit.  Keras is imported inside the functions that build or train.
"""

from .errors import DataError, DesignError, Problem
from .design.registry import REGISTRY, LayerType, Param, by_category, layer_type
from .design.spec import Design, Head, TableInput, TensorInput, new_layer, parse_design
from .design.templates import TEMPLATE_NAMES, describe, template
from .design.validate import Report, analyse, check_design, load_design


def build_model(design):
    """Build the uncompiled Keras model of a design (imports Keras)."""
    from .model.build import build_model as build
    return build(design)


__all__ = [
    "DataError", "Design", "DesignError", "Head", "LayerType", "Param", "Problem", "REGISTRY", "Report",
    "TEMPLATE_NAMES", "TableInput", "TensorInput", "analyse", "build_model", "by_category", "check_design",
    "describe", "layer_type", "load_design", "new_layer", "parse_design", "template",
]
