"""Speech recognition: audio -> Transcript. `options` (what is asked, the backend protocol, the prompt), `guards`
(filters for hallucinations and loops), `transcribe` (the stage, with a resumable checkpoint), and the backends in
`asr.backends` (faster-whisper by default, openai-whisper as an option); `isolated` (the worker's recogniser in a
child process, so a cancel or pause stops it at once).

May import `pipeline.core`, `pipeline.ingest` and `pipeline.models`.
"""
