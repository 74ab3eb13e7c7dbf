"""Who spoke when: speech regions, voice embeddings, clustering and the speaker count, each Whisper word given a
speaker, turns (`diarize`); and the names the facilitator gives the speakers (`names`).

May import `pipeline.core` and `pipeline.ingest`.
"""
