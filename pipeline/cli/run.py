"""`oogst run`: its options, and running each input here or, with a job broker, on the queue's workers; and the
queue's commands `oogst worker`, `oogst jobs` and `oogst status` (the work is in `pipeline.jobs.engines`)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.cli import add_common, add_models_dir, date, err, service, settings_of, vocabulary
from pipeline.core.errors import ConfigError, OogstError
from pipeline.core.types import RunRequest

log = logging.getLogger("oogst")

# Decoding options that belong to the workers' config with a job broker. --model and --compute-type are not among
# them: they choose the kind of worker a session goes to (its queue).
WORKER_OPTIONS = ("backend", "fast", "threads", "models_dir", "until")


def request_of(args: argparse.Namespace, path: Path, names: dict[str, str] | None, settings: Any) -> RunRequest:
    """What the command line asks of one input (the same request a job carries)."""
    return RunRequest(str(path), title=args.title, date=args.date, language=args.language,
                      speakers=settings.speakers, vocabulary=settings.vocabulary, names=names or {},
                      pseudonymise=args.pseudonymise, participants=args.participants,
                      start="transcribe" if args.force else args.start, until=args.until, series=args.series,
                      remember_voices=args.remember_voices, model=args.model)


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.run import collect_inputs

    names = None
    if args.names:
        from pipeline.speakers.names import parse_assignments

        names = parse_assignments(args.names)
    date(args.date)  # checked before anything runs
    fast = args.fast  # None: the config's (default int8 batched); False: float32 sequential
    oogst = service(
        args, models_dir=args.models_dir, language=args.language, backend=args.backend,
        compute_type=args.compute_type or {True: "int8", False: "float32", None: None}[fast], batched=fast,
        threads=args.threads, vocabulary=vocabulary(args.vocabulary), speakers=args.speakers, names=names,
        quiet=args.quiet, pseudonymise=args.pseudonymise, participants=args.participants, insights=args.insights,
        llm_url=args.llm_url, llm_model=args.llm_model, llm_template=args.llm_template, llm_context=args.llm_context,
        allow_remote=True if args.allow_remote else None)
    settings = oogst.settings
    if (args.llm_url or args.llm_model) and settings.insights != "llm":
        log.warning("--llm-url/--llm-model are used only with --insights llm (insights = \"llm\" in [oogst]); "
                    "the insights stay extractive")
    if settings.speakers is not None and not 1 <= settings.speakers <= 10:
        raise ConfigError(f"--speakers {settings.speakers}: give a number from 1 to 10")
    inputs = collect_inputs([Path(p) for p in args.inputs])
    if not inputs:
        raise OogstError(f"{', '.join(args.inputs)}: no recordings found (put .m4a/.mp3/.wav files there)")
    requests = [oogst.checked(request_of(args, path, names, settings)) for path in inputs]
    from pipeline.jobs.engines import broker_url

    if broker_url(settings):  # the distributed queue: submit, then wait with progress
        return run_on_queue(args, oogst.settings, requests)
    from pipeline.core.stages import ConsoleReporter

    reporter = ConsoleReporter(settings.quiet)
    failed = 0
    for request in requests:
        path = Path(request.input)
        began = time.perf_counter()
        try:
            result = oogst.run(request, reporter=reporter)
        except OogstError as exc:
            if len(inputs) == 1:
                raise
            print(f"oogst: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if settings.quiet:
            continue
        state = "up to date" if not result.stage_seconds else f"done in {time.perf_counter() - began:.0f} s"
        print(f"{path.name}: {state} -> {result.session.root}/")
        for artefact in result.artefacts:
            print(f"  {artefact}")
    return 1 if failed else 0


def run_on_queue(args: argparse.Namespace, settings: Any, requests: list[RunRequest]) -> int:
    """`oogst run` with a broker: submit every input to the queue, then wait for them with progress."""
    from pipeline.jobs.engines import open_queue, submit_inputs, wait_for

    given = [f"--{o.replace('_', '-')}" for o in WORKER_OPTIONS if getattr(args, o, None) is not None]
    if given:
        raise ConfigError(f"{given[0]}: with a job broker the workers decode with their own settings; set it in "
                          "the workers' config file (or run without OOGST_BROKER_URL / [queue] broker)")
    queue = open_queue(settings)
    jobs = submit_inputs(queue, settings, requests)
    alive = {(k["model"], k.get("compute_type")) for k in getattr(queue, "kinds", list)()}
    for job in jobs:
        err(f"{job.session}: job #{job.id} {job.status} (for a {job.params.get('model')} "
            f"{job.params.get('compute_type')} worker)")
        if (job.params.get("model"), job.params.get("compute_type")) not in alive:
            err(f"  no {job.params.get('model')} {job.params.get('compute_type')} worker is running now; the job "
                "waits in its queue until one starts (oogst worker with that model and precision in its config)")
    out_dir = Path(settings.out_dir).resolve()
    if args.no_wait:
        print(f"follow them with `oogst jobs`; results land in {out_dir}")
        return 0
    try:
        final = wait_for(queue, jobs, lambda line: err(f"  {line}"), quiet=settings.quiet)
    except KeyboardInterrupt:
        err("oogst: stopped waiting; the jobs go on (see `oogst jobs`)")
        return 130
    for job in final:
        if job.status == "done" and not settings.quiet:
            print(f"{job.session}: done -> {out_dir / job.session}/")
    return 1 if any(job.status != "done" for job in final) else 0  # failed, cancelled or paused


def add_run(sub: Any) -> None:
    run = sub.add_parser("run", help="process recordings (or transcripts) into outputs/<name>/",
                         description="Process recordings or existing transcripts stage by stage: transcribe, "
                                     "speakers, analysis, names, insights, draft. Stages that are up to date are "
                                     "skipped.")
    run.add_argument("inputs", nargs="+", metavar="INPUT",
                     help="audio/video files (.m4a .mp3 .wav .ogg .flac .webm .mp4 …), transcripts (.vtt .srt "
                          ".txt .docx), or a folder: every recording in it (e.g. recordings/)")
    add_common(run)
    run.add_argument("--language", help="language spoken: nl (default), en, … or auto to detect (never "
                                        "translates)")
    run.add_argument("--model", help="the Whisper model for this session: base (default), or one installed with "
                                     "`oogst models get` (small, medium, large-v3, large-v3-turbo), or a model "
                                     "folder (with --backend openai-whisper also a .pt); the session keeps it. Never "
                                     "downloads")
    run.add_argument("--backend", choices=["faster-whisper", "openai-whisper"], help="speech recogniser "
                                                                                      "(default faster-whisper)")
    run.add_argument("--compute-type", choices=["float32", "int8", "int8_float32", "float16", "int8_float16"],
                     help="faster-whisper precision (default int8 with --fast, float32 with --no-fast; float16 and "
                          "int8_float16 on a CUDA GPU; with a job broker it picks the kind of worker)")
    run.add_argument("--fast", action=argparse.BooleanOptionalAction, default=None,
                     help="batched int8 decoding (the default: on real Dutch voices as accurate as float32 and "
                          "about 3x faster, more memory); --no-fast: float32, one piece at a time")
    run.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    run.add_argument("--vocabulary", metavar="WORDS|FILE",
                     help="names and domain words, comma-separated or a file (e.g. Sanne,Joris,intervisie,casus)")
    run.add_argument("--speakers", type=int, metavar="N", help="number of speakers (default: found "
                                                                "automatically, 1-10)")
    run.add_argument("--names", nargs="+", metavar="S1=NAME", help="speaker names, e.g. S1=Sanne S2=Joris")
    run.add_argument("--pseudonymise", action=argparse.BooleanOptionalAction, default=None,
                     help="replace third parties (pupils, clients, schools, towns, birth dates, phone numbers, "
                          "e-mail) by labels such as [Persoon 1] in draft, final document and mail; the mapping "
                          "stays in outputs/<session>/pseudonyms.json (default: pseudonymise = true in [oogst], "
                          "else the session's earlier choice, else off; only --no-pseudonymise turns it off)")
    run.add_argument("--participants", choices=["keep", "initials", "labels"],
                     help="with --pseudonymise: participants' names as is (keep, default), as initials, or as "
                          "[Deelnemer N] labels")
    run.add_argument("--insights", choices=["extractive", "llm"],
                     help="extractive (default, offline) or llm: summary and top 7 written by a language model you "
                          "point at, every point checked against what was said (insights in [oogst], "
                          "OOGST_INSIGHTS)")
    run.add_argument("--llm-url", metavar="URL", help="an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 "
                                                      "(Ollama) or http://127.0.0.1:8080 (llama.cpp); only this "
                                                      "machine or a private network unless --allow-remote "
                                                      "(url in [llm], OOGST_LLM_URL; API key: OOGST_LLM_API_KEY)")
    run.add_argument("--llm-model", metavar="NAME|FOLDER", help="the model name the server knows, or without "
                                                                "--llm-url a local model folder run by transformers "
                                                                "(model in [llm], OOGST_LLM_MODEL)")
    run.add_argument("--llm-template", metavar="NAME|FILE",
                     help="what to look for: intervisie (default), community-of-practice, learning-network, "
                          "team-meeting, or your own text file (template in [llm])")
    run.add_argument("--llm-context", type=int, metavar="TOKENS",
                     help="tokens the model reads at most (default 4096 for a server; longer meetings are "
                          "condensed chunk by chunk, never cut off; context in [llm])")
    run.add_argument("--allow-remote", action="store_true",
                     help="allow an --llm-url outside this machine and its private network: names are replaced "
                          "by labels before sending, and the draft says which server and model wrote the text")
    run.add_argument("--title", help="session title for the draft and mail (default: from the file name)")
    run.add_argument("--date", help="session date YYYY-MM-DD (default: the recording's file date)")
    run.add_argument("--series", metavar="NAME", help="the group's series this session belongs to (kept in the "
                                                      "session folder; see `oogst series`)")
    run.add_argument("--remember-voices", action=argparse.BooleanOptionalAction, default=None,
                     help="keep voice profiles of named speakers in the series, to propose names next time "
                          "(personal data: off by default; the series keeps the choice)")
    run.add_argument("--force", action="store_true", help="redo every stage")
    run.add_argument("--from", dest="start", metavar="STAGE", help="redo from this stage on (transcribe, "
                                                                   "speakers, analysis, names, insights, draft)")
    run.add_argument("--until", metavar="STAGE", help="stop after this stage")
    add_models_dir(run)
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.add_argument("--no-wait", action="store_true", help="with a job broker (OOGST_BROKER_URL): submit the "
                                                            "inputs and return at once")
    run.set_defaults(func=cmd_run)


def add_queue_commands(sub: Any) -> None:
    """Add `worker`, `jobs` and `status` to the `oogst` parser."""
    def cmd_worker(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import run_worker

        return run_worker(settings_of(args, models_dir=args.models_dir), announce=err)

    def cmd_jobs(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import control_jobs, jobs_lines, open_queue

        queue = open_queue(settings_of(args))
        if args.action is not None:
            if not args.target:
                raise ConfigError(f"oogst jobs {args.action}: give a job number or a session name (see `oogst jobs`)")
            print(*control_jobs(queue, args.action, args.target), sep="\n")
            return 0
        print(*jobs_lines(queue, limit=args.limit, session=args.session), sep="\n")
        return 0

    def cmd_status(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import open_queue, status_lines

        settings = settings_of(args)
        print(*status_lines(open_queue(settings), Path(settings.out_dir), args.session), sep="\n")
        return 0

    worker = sub.add_parser("worker", help="run queued sessions, one at a time (on several machines with a broker)",
                            description="Run jobs from the queue one at a time, with the models kept loaded. With "
                                        "OOGST_BROKER_URL (or broker in [queue]) it is a Celery worker on that "
                                        "Redis broker, on any machine that sees the shared outputs folder; "
                                        "without, it serves the embedded queue of `oogst serve` on this machine.")
    add_models_dir(worker)
    add_common(worker)
    worker.set_defaults(func=cmd_worker)

    jobs = sub.add_parser("jobs", help="list jobs (queued, running, paused, done, failed, cancelled); cancel, pause, "
                                       "resume or move one ahead",
                          description="The newest jobs of the queue first (the broker's, or the embedded one): "
                                      "queued, running (on which worker, which stage, how far), paused, done, failed "
                                      "(why), cancelled. `oogst jobs cancel JOB|SESSION` cancels a job (a running one "
                                      "stops within seconds at a safe point and keeps its transcription checkpoint); "
                                      "pause puts it back in the queue as paused (resume: it goes on where it was); "
                                      "first moves a waiting job to the front.")
    jobs.add_argument("action", nargs="?", choices=["cancel", "pause", "resume", "first"],
                      help="do this to a job instead of listing them")
    jobs.add_argument("target", nargs="?", metavar="JOB|SESSION",
                      help="the job's number (as `oogst jobs` lists it) or a session name: all its jobs")
    jobs.add_argument("--session", help="only this session's jobs")
    jobs.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    add_common(jobs)
    jobs.set_defaults(func=cmd_jobs)

    status = sub.add_parser("status", help="per session: its latest job (where, how far) and what is ready",
                            description="One line per session folder: its latest job (queued, running on which "
                                        "worker at which stage, done, or failed with the error) and the stages "
                                        "and documents that are ready.")
    status.add_argument("session", nargs="?", help="only this session")
    add_common(status)
    status.set_defaults(func=cmd_status)
