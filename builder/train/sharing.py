"""The honest "does sharing help?" run: the design and each head alone, each trained with k seeds.

One data split for every training (the comparison is paired: only the initial weights and the
batch order change with the seed).  Imports Keras through ``engine``: workers and the CLI only.
The last event's ``sharing`` is ``{"seeds": [...], "multi": [{head: predictions} per seed],
"single": [{head: predictions} per seed]}``; ``builder.report.comparison`` scores it.
"""

from __future__ import annotations

from . import engine
from .events import event


def phases(design, seeds: list[int]) -> list[str]:
    """One line per training, in order, e.g. ``training 2 of 9 (seed 1 of 3): head 'price' alone``.

    The whole comparison's place is in the line: the progress bar covers every training, not one.
    """
    names = ["multi-task"] + [f"head {h.name!r} alone" for h in design.heads]
    total = len(seeds) * len(names)
    return [f"training {i * len(names) + j + 1} of {total} (seed {i + 1} of {len(seeds)}): {name}"
            for i in range(len(seeds)) for j, name in enumerate(names)]


def compare(design, data, training, emit, should_stop, run_id: str = "sharing", model_path: str | None = None) -> dict:
    """Train the design and each head alone once per seed; return every test prediction."""
    training = (training or design.training).model_copy(update={"interference": "off"})
    seeds = [training.seed + i for i in range(training.compare_seeds)]
    prepared = engine.prepare_data(design, data, training)
    steps = phases(design, seeds)
    emit(event("started", run_id, epochs=training.epochs, phases=steps, rows=int(prepared.train.n)))
    multi, single, history, index = [], [], {}, 0
    for seed in seeds:
        seeded = training.model_copy(update={"seed": seed})
        runs = [(design, prepared)] + [(alone, engine.prepared_for(alone, prepared)) for alone in
                                        (engine.single_head_design(design, h.name) for h in design.heads)]
        predictions = []
        for model_design, splits in runs:
            extra = {"phase": steps[index], "phase_index": index, "phases": len(steps)}
            model, outcome = engine.fit_model(model_design, splits, seeded, emit, should_stop, run_id, extra=extra)
            index += 1
            if outcome.diverged:
                return event("error", run_id, message=f"{steps[index - 1]}: {outcome.diverged}", diverged=True)
            if outcome.stopped:
                return _last(run_id, "stopped", prepared, seeds, multi, single, history, training)
            predictions.append(engine.predict_test(model, model_design, prepared, training.batch_size))
            history = history or outcome.history
        multi.append(predictions[0])
        single.append({h.name: p[h.name] for h, p in zip(design.heads, predictions[1:])})
    return _last(run_id, "finished", prepared, seeds, multi, single, history, training)


def _last(run_id, kind, prepared, seeds, multi, single, history, training) -> dict:
    done = seeds[:len(single)]
    return event(kind, run_id, model_path=None, test_predictions=multi[0] if multi else {},
                 test_targets=dict(prepared.test.y), test_weights=dict(prepared.test.sample_weight or {}),
                 sharing={"seeds": done, "multi": multi[:len(done)], "single": single},
                 history=history, epochs_run=training.epochs if single else 0, epochs=training.epochs)
