"""Speech recognisers behind `asr.options.Backend`: `faster_whisper` (default) and `openai_whisper`.

Each imports its heavy library inside the backend, so importing `pipeline` stays fast.
"""
