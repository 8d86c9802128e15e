"""What one user's session holds: the design with undo and URL, dataset roles, runs, widget descriptions.

Every function takes a plain ``MutableMapping`` (Streamlit's session state in the app, a dict in tests),
so pages write ``session.add_layer(ss, "trunk", "Dense")``.  This package re-exports the design, edit and
dataset functions as one flat API; ``session.runs`` (training runs) and ``session.params`` (widget
descriptions) are imported by name.  May import ``design``, ``model``, ``data``, ``train`` and ``report``;
never Streamlit.
"""

from __future__ import annotations

from .design import (  # noqa: F401  (re-exported)
    DESIGN, HISTORY, DATASET, ROLES, KINDS, SELECTED, TRUNK, HISTORY_LIMIT, State, History, scratch_design,
    ensure, current, report, status_line, commit, can_undo, can_redo, undo, redo, edit, select, selected_layer,
    load_json, url_text, restore_from_url,
)
from .edits import (  # noqa: F401  (re-exported)
    layer_list, used_ids, snake_case, fresh_id, add_layer, move_layer, move_layer_to, duplicate_layer, delete_layer,
    set_param,
    HEAD_FIELDS, add_head, remove_head, rename_head, set_head_field, set_input_shape, layer_places,
    branch_choices, with_training,
)
from .dataset import (  # noqa: F401  (re-exported)
    BUILTIN_KEY, SCRATCH, SUGGESTION, ROLE_CHOICES, DEFAULT_DATASET, start_session, start_from, start_choices,
    set_dataset, column_roles, set_role, set_kind, targets, inputs, suggestion, apply_roles, dataset_line,
    restore_dataset,
)
from .features import (  # noqa: F401  (re-exported; issue 12)
    FEATURES, ROW_ORDER, features, set_features, time_columns, pixel_summary, hidden_columns, has_text,
)
