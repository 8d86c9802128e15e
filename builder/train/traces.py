"""What a run's traced (compiled) functions depend on: runs with the same key can share them.

Plain Python: the service (no Keras) uses ``key`` to know what a worker has traced already, and
``reuse.py`` (in the worker) keeps compiled models by a finer key of its own that adds the data's statistics.
"""

from __future__ import annotations

import hashlib

# Training settings that only change variable values (the learning rate is an optimizer variable) or the
# loop around the traced functions: runs that differ only in these share their traces (``reuse.py``).
UNTRACED = {"learning_rate", "epochs", "validation_split", "early_stopping_patience", "seed", "interference",
            "interference_every", "compare_seeds", "compare_epochs"}
KEEP_MODELS = 4                   # compiled models a worker keeps (reuse.py)


def key(design, training, data) -> str:
    """What a run of ``design`` on ``data`` traces; the same key means the same traces.

    The data is named by the object the page holds (a new upload is a new object) and the split by its seed
    and validation share; a key that collides only costs a missed rehearsal, never a wrong result: the
    run itself checks the data's statistics (``reuse._key``).
    """
    digest = hashlib.sha256()
    digest.update(design.model_dump_json(exclude={"training"}).encode())
    digest.update(training.model_dump_json(exclude=UNTRACED - {"seed", "validation_split"}).encode())
    digest.update(f"{id(data)}:{getattr(data, 'name', '')}".encode())
    return digest.hexdigest()
