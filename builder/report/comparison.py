"""Scoring the "does sharing help?" comparison honestly: k seeds, mean and spread, a cautious verdict.

A single training per model cannot tell MAE 2.316 from 2.327: the seed alone moves it more.
Each model is trained with several seeds; a metric's verdict names a winner only when the two
ranges ``mean ± spread`` (spread: the sample standard deviation across seeds) do not overlap.
Pure numpy; the engine side is ``builder.train.sharing``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from .metrics import evaluate, format_metric

HIGHER_IS_BETTER = ("R²", "accuracy")
NO_CLEAR_DIFFERENCE = "no clear difference"


@dataclass
class Spread:
    values: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def spread(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def text(self, metric: str) -> str:
        return f"{format_metric(metric, self.mean)} ± {format_metric(metric, self.spread)}"


def verdict(metric: str, shared: Spread, alone: Spread) -> str:
    """"sharing helps", "single-task better" or "no clear difference" (the ranges mean ± spread overlap)."""
    if len(shared.values) < 2 or len(alone.values) < 2:
        return NO_CLEAR_DIFFERENCE + " (one seed cannot tell)"
    low_s, high_s = shared.mean - shared.spread, shared.mean + shared.spread
    low_a, high_a = alone.mean - alone.spread, alone.mean + alone.spread
    if low_s <= high_a and low_a <= high_s:
        return NO_CLEAR_DIFFERENCE
    shared_wins = (shared.mean > alone.mean) == (metric in HIGHER_IS_BETTER)
    return "sharing helps" if shared_wins else "single-task better"


def spreads(design, targets, weights, per_seed: list[dict]) -> dict[tuple[str, str], Spread]:
    """{(head, metric): Spread over seeds} from each seed's {head: test predictions}."""
    out: dict[tuple[str, str], Spread] = {}
    for predictions in per_seed:
        present = {k: v for k, v in predictions.items()}
        results = evaluate(design.model_copy(update={"heads": [h for h in design.heads if h.name in present]}),
                           {k: targets[k] for k in present}, present,
                           {k: weights[k] for k in present if k in weights} if weights else None)
        for head, result in results.items():
            for metric, value in result.metrics().items():
                if value is not None:
                    out.setdefault((head, metric), Spread([])).values.append(float(value))
    return out


def rows(design, sharing: dict, targets: dict, weights: dict | None) -> list[dict]:
    """One row per head and metric: multi-task and single-task as ``mean ± spread``, and the verdict."""
    shared = spreads(design, targets, weights, sharing.get("multi") or [])
    alone = spreads(design, targets, weights, sharing.get("single") or [])
    table = []
    for (head, metric), s in shared.items():
        a = alone.get((head, metric))
        if a is None:
            continue
        table.append({"head": head, "metric": metric, "multi-task": s.text(metric), "single-task": a.text(metric),
                      "seeds": len(s.values), "verdict": verdict(metric, s, a)})
    return table


def rows_for(design, result) -> list[dict]:
    """The table for a finished comparison (its RunResult); empty until every head has trained alone."""
    sharing = dict((result.sharing if result is not None else None) or {})
    if not sharing.get("single") or design is None:
        return []
    for key in ("multi", "single"):          # one training per model: a list of one
        if isinstance(sharing[key], dict):
            sharing[key] = [sharing[key]]
    return rows(design, sharing, result.test_targets, result.test_weights or None)


def cost(design, training, seconds_per_epoch: float | None = None) -> str:
    """What the comparison will cost, said before it starts."""
    models = 1 + len(design.heads)
    seeds, epochs = training.compare_seeds, training.compare_epochs
    runs = models * seeds
    text = (f"{models} models ({len(design.heads)} heads alone + the shared design) x {seeds} seed"
            f"{'s' if seeds != 1 else ''} x {epochs} epochs = {runs} trainings, {runs * epochs:,} epochs in all")
    if seconds_per_epoch:
        # The shared model is the costliest of them; single-head models take a little less.
        total = runs * epochs * seconds_per_epoch
        minutes = total / 60
        text += f"; about {minutes:.0f} min at the last run's speed" if minutes >= 1.5 else \
            f"; about {total:.0f} s at the last run's speed"
    return text + "."


def seconds_per_epoch(result) -> float | None:
    """The last run's training speed, from its RunResult (None when unknown)."""
    elapsed, epochs = getattr(result, "elapsed", 0.0), getattr(result, "epochs_run", 0)
    return elapsed / epochs if elapsed and epochs else None


def label(dataset_name: str, design) -> str:
    """What the results ran on, e.g. ``data set 'penguins' · design 'untitled' (3 heads, 2 trunk layers)``."""
    return (f"data set {dataset_name!r} · design {design.name!r} ({len(design.heads)} heads, "
            f"{len(design.trunk)} trunk layers)")
