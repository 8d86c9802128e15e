"""Widget descriptions come from the registry alone: every parameter of every layer type gets one."""

import pytest

from builder import DesignError

from builder.design.registry import REGISTRY
from builder.session.params import HEAD_PARAMS, from_widget, parse_shape, to_widget, widget_for


@pytest.mark.parametrize("param", [p for t in REGISTRY.values() for p in t.params] + list(HEAD_PARAMS),
                         ids=lambda p: p.name)
def test_every_parameter_has_a_widget_that_round_trips_its_default(param):
    widget = widget_for(param)
    assert widget.kind in ("int", "float", "toggle", "select", "multiselect", "text")
    assert from_widget(param, to_widget(param, param.default)) == param.default
    if widget.kind in ("int", "float"):
        assert widget.min_value <= param.default <= widget.max_value


def test_shapes_are_typed_as_text():
    assert parse_shape("32, 32, 3") == [32, 32, 3]
    assert parse_shape("(1, -1)") == [1, -1]
    assert parse_shape("28x28") == [28, 28]
    with pytest.raises(DesignError, match="input shape: must be whole numbers"):
        parse_shape("32, abc", "input shape")
    with pytest.raises(DesignError, match="at least one"):
        parse_shape(" ")
