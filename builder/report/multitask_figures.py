"""Plotly figures of the multi-task tools: each head's effective loss weight, and the interference meter.

Series are ``{name: (epochs, values)}`` (``builder.session.multitask``).  Plotly is imported inside.
"""

from __future__ import annotations

from .figures import PALETTE


def weights_figure(series: dict):
    """One line per head: its effective loss weight by epoch."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for i, (head, (xs, ys)) in enumerate(series.items()):
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=head,
                                    line={"color": PALETTE[i % len(PALETTE)]}))
    figure.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10}, title="Effective loss weight",
                         xaxis_title="epoch")
    return figure


def meter_figure(cosine: dict, share: dict):
    """Left: cosine of each pair of heads' trunk gradients (-1..1); right: each head's share of the trunk's pull."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=["Gradient cosine per pair of heads",
                                                           "Share of the trunk's gradient"])
    for i, (pair, (xs, ys)) in enumerate(cosine.items()):
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=pair.replace("|", " & "),
                                    line={"color": PALETTE[i % len(PALETTE)]}), row=1, col=1)
    for i, (head, (xs, ys)) in enumerate(share.items()):
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=head, stackgroup="share",
                                    line={"color": PALETTE[(i + 3) % len(PALETTE)]}), row=1, col=2)
    figure.add_hline(y=0, line={"color": "#999", "dash": "dot"}, row=1, col=1)
    figure.update_yaxes(range=[-1.05, 1.05], row=1, col=1)
    figure.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=2)
    figure.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure
