"""The application service: the operations a person can do, each taking the session's lock and doing its
follow-ups, the same for every front end (the CLI, the web app, a worker).

    oogst = Oogst(settings, front="web", rerun=queue_rerun)
    oogst.name_speakers(session, {"S1": "Sanne"})      # names.toml, turns.json, then the follow-up (a re-run)

`run` checks a `RunRequest` once and runs the stages with the series, pseudonymisation and (when chosen) the
generative backend plugged in. Changes that make insights and draft stale (names, corrections, edits) end with
`rerun`: the web app queues a re-run; the CLI leaves it to `oogst run`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.editing import Edit as Edit  # the web pages build it
from pipeline.core.editing import edited
from pipeline.core.errors import ConfigError, EditConflict, InputError, OogstError, SessionError
from pipeline.core.language import session_name
from pipeline.core.layers import apply_edits, edited_actions, with_correction
from pipeline.core.lock import SessionBusyError, session_lock
from pipeline.core.replace import ReplacedLine, Rule
from pipeline.core.session import CORRECTIONS, EDITS, MEMBER, NAMES, REPLACEMENTS, ROSTER, TRANSCRIPT, TURNS, Session
from pipeline.core.settings import Settings
from pipeline.core.stages import Reporter
from pipeline.core.types import Action, Insights, Recognised, RunRequest, Turns
from pipeline.models.catalog import PRECISIONS as PRECISIONS  # what a session may choose (the web form)
from pipeline.models.catalog import session_model as session_model  # moved there: service.py under 600 lines
from pipeline.run import STAGE_NAMES, RunResult, run_stages
from pipeline.speakers.per_turn import correction_key, migrate_corrections

if TYPE_CHECKING:
    from email.message import EmailMessage

    from pipeline.export import Export
    from pipeline.mail.command import MailOutcome
    from pipeline.mail.message import DraftCopy
    from pipeline.retention.forget import Forgotten
    from pipeline.retention.policy import Policy
    from pipeline.retention.sweep import Swept
    from pipeline.review.final import CollectResult
    from pipeline.review.versions import DraftVersion
    from pipeline.search.index import SearchIndex

log = logging.getLogger(__name__)

_GATES: dict[Path, threading.RLock] = {}  # per session folder, for the threads of one process
_GATES_GUARD = threading.Lock()


def _gate(root: Path) -> threading.RLock:
    with _GATES_GUARD:
        return _GATES.setdefault(Path(root).resolve(), threading.RLock())


OWNERS = {"cli": "oogst {op}", "web": "the web page", "worker": "the web worker"}  # for the "busy" message
LANGUAGES = ("nl", "en", "auto")  # what the web form offers; the command line takes any Whisper code


class Oogst:
    """The operations on the sessions of one outputs folder, for one front end."""

    def __init__(self, settings: Settings, *, front: str = "cli",
                 rerun: Callable[[Session], None] | None = None, wait: float = 0.0,
                 state_dir: Path | None = None) -> None:
        """`front` names who is writing, for the message another writer gets; `rerun` is called after a change
        that makes insights and draft stale (the web app queues a re-run; None: the user runs `oogst run`);
        `wait`: seconds a change waits for another writer to finish (the web app: a re-run holds the session for
        seconds after every save) before it is refused as busy (0: at once, the command line); `state_dir`: the
        state folder (the queue's, where the search index lives; None: `core.session.state_folder`)."""
        self.settings = settings
        self.front = front
        self.rerun = rerun
        self.wait = wait
        self.state_dir = state_dir

    @property
    def out_dir(self) -> Path:
        return Path(self.settings.out_dir)

    def owner(self, op: str) -> str:
        return OWNERS.get(self.front, self.front).format(op=op)

    @contextmanager
    def locked(self, session: Session, op: str, *, layer: str | None = None, base: str | None = None
               ) -> Iterator[None]:
        """Hold the session's lock; with `base`, the version of `layer` the change was made on, first check that
        nothing was saved in between (`EditConflict` otherwise: a save never silently undoes another)."""
        gate = _gate(session.root)  # the flock is per process: two requests of the web app take turns here
        if not (gate.acquire(timeout=self.wait) if self.wait > 0 else gate.acquire(blocking=False)):
            raise SessionBusyError(f"{session.name} is busy: another change is being saved; try again", "busy_now",
                                   name=session.name)
        try:
            deadline = time.monotonic() + self.wait
            with ExitStack() as held:
                while True:
                    try:
                        held.enter_context(session_lock(session.root, self.owner(op)))
                        break
                    except SessionBusyError:
                        if time.monotonic() >= deadline:
                            raise
                        time.sleep(0.25)
                if layer is not None and base is not None and base != session.version(layer):
                    raise EditConflict(session.name, layer, session.version(layer))
                yield
        finally:
            gate.release()

    def version(self, session: Session, layer: str) -> str:
        """The version of a layer (names, corrections, edits, roster) a page's form carries (`core.session`)."""
        return session.version(layer)

    def session(self, ref: str | Path) -> Session:
        return Session.open(ref, self.out_dir)

    def _changed(self, session: Session) -> None:
        if self.rerun is not None:
            self.rerun(session)

    def process_again(self, session: Session) -> None:
        """Bring the session up to date (after a failed job, or after changes): the front end's re-run."""
        if self.rerun is None:
            raise ConfigError(f"{session.name}: run `oogst run` on its recording to process it again")
        self.rerun(session)

    # -- running ---------------------------------------------------------------------------------------------------
    def checked(self, request: RunRequest) -> RunRequest:
        """The request with its values checked once (one-line ConfigError for a wrong one), whoever made it."""
        from pipeline.series.store import check_name

        if request.date:
            try:
                request = dataclasses.replace(request, date=dt.date.fromisoformat(request.date).isoformat())
            except ValueError:
                raise ConfigError(f"--date {request.date}: give the date as YYYY-MM-DD", "date_format",
                                  value=request.date) from None
        if request.speakers is not None and not 1 <= request.speakers <= 10:
            raise ConfigError(f"--speakers {request.speakers}: give a number from 1 to 10", "speakers_range",
                              value=request.speakers)
        for value, option in ((request.start, "--from"), (request.until, "--until")):
            if value is not None and value not in STAGE_NAMES:
                raise ConfigError(f"{option} {value}: unknown stage; choose one of {', '.join(STAGE_NAMES)}")
        if request.series is not None:
            request = dataclasses.replace(request, series=check_name(request.series))
        if request.title is not None and len(request.title) > 200:
            request = dataclasses.replace(request, title=request.title[:200])
        if request.model is not None:
            request = dataclasses.replace(request, model=chosen_model(request.model))
        return request

    def settings_for(self, request: RunRequest) -> Settings:
        """The front end's settings with what the request sets for its run (language, speakers, ...)."""
        values = request.settings_values()
        if "vocabulary" in values:
            values["vocabulary"] = tuple(values["vocabulary"])
        return dataclasses.replace(self.settings, **values)

    def run_settings(self, request: RunRequest) -> Settings:
        """The settings a run of `request` uses: `settings_for`, with the session's own Whisper model unless the
        request chooses one (the worker loads its recogniser from these)."""
        settings = self.settings_for(request)
        if request.model is None:
            kept = session_model(Session(self.out_dir / session_name(Path(request.input))))
            if kept is not None:
                settings = dataclasses.replace(settings, model=kept)
        return settings

    def model_choices(self, kinds: Sequence[Mapping[str, Any]] | None = None) -> list[tuple[str, str]]:
        """The Whisper models a new session can choose, the default first, as (form value, label). With a job
        broker (`kinds`: the kinds of worker alive) each is `model@precision`, so the session goes to that kind of
        worker; on one machine it is a model installed here."""
        from pipeline.models.catalog import DEFAULT, MODELS, canonical
        from pipeline.models.install import installed_models

        default = canonical(self.settings.model or DEFAULT) or DEFAULT
        if kinds is not None:
            choices = [(f"{k['model']}@{k.get('compute_type')}",
                        f"{k['model']} ({k.get('compute_type')}, {'GPU' if k.get('device') == 'cuda' else 'CPU'})")
                       for k in kinds if k.get("model")]
            if not any(value.split("@")[0] == default for value, _ in choices):
                choices.append((f"{default}@{self.settings.compute_type}", f"{default} ({self.settings.compute_type})"))
        else:
            names = {p.name for p in installed_models(self.settings.models_dir) if p.backend == "faster-whisper"}
            choices = [(name, name) for name in MODELS if name in names or name == default]
        return sorted(choices, key=lambda c: c[0].split("@")[0] != default)

    def plugs(self, settings: Settings) -> list[Any]:
        """The extensions of a run: the series and pseudonymisation always (they decide from the session and
        the settings), the generative backend when the settings ask for it."""
        from pipeline.privacy.shared import PrivacyPlug
        from pipeline.series.stage import SeriesPlug

        plugs: list[Any] = [SeriesPlug(), PrivacyPlug()]
        if settings.insights == "llm":
            from pipeline.llm.backend import LlmPlug

            plugs.append(LlmPlug())
        return plugs

    def run(self, request: RunRequest, *, reporter: Reporter | None = None, asr_backend: Any = None,
            force: bool = False) -> RunResult:
        """Process one recording or transcript into outputs/<name>/, skipping what is up to date.

        A session keeps the Whisper model it was transcribed with unless the request chooses one (`--model`, the
        new-session form): a changed default in the config never redoes an earlier session's transcription."""
        request = self.checked(request)
        settings = self.run_settings(request)
        path = Path(request.input)
        session = Session(self.out_dir / session_name(path))
        with session_lock(session.root, self.owner("run")):
            return run_stages(path, settings, plugs=self.plugs(settings), reporter=reporter,
                              force=force,
                              start=request.start, until=request.until, title=request.title,
                              date=dt.date.fromisoformat(request.date) if request.date else None,
                              asr_backend=asr_backend, series=request.series,
                              remember_voices=request.remember_voices, keep_heard=request.keep_heard)

    def cut_clips(self, session: Session) -> None:
        """Each speaker's clip cut from the recording into .clips/ (the worker, after a run: the web app then only
        serves files). Best effort: a problem is logged, the speakers page cuts them again when asked."""
        from pipeline.ingest.audio import is_audio_file
        from pipeline.speakers.clips import write_clips

        recording = session.recording()
        if recording is None or not is_audio_file(recording) or not session.has(TURNS):
            return
        try:
            with self.locked(session, "clips"):
                write_clips(session)
        except (OogstError, OSError) as exc:
            log.warning("%s: no clips cut (%s)", session.name, exc)

    # -- speakers and transcript -------------------------------------------------------------------------------------
    def name_speakers(self, session: Session, mapping: Mapping[str, str], *, base: str | None = None) -> Turns:
        """`oogst names`: merge the names into names.toml and rewrite turns.json (no stage runs again). `base`:
        the version of names.toml the names were typed on (a page's form), checked."""
        from pipeline.speakers.names import apply_names

        with self.locked(session, "names", layer=NAMES, base=base):
            turns = apply_names(session, dict(mapping))
        self._changed(session)
        return turns

    def correct_line(self, session: Session, index: int, text: str, *, base: str | None = None) -> None:
        """Correct one transcript line (turn `index`); an empty text, or the original one, removes the correction.
        `base`: the version of corrections.json the page showed, checked."""
        turns = session.turns()
        if not 0 <= index < len(turns.turns):
            raise SessionError("that transcript line does not exist (any more); reload the page", "line_gone")
        turn = turns.turns[index]
        text = " ".join(text.split())[:5000]
        key = correction_key(session, turn)  # its id: the correction stays with it when it is moved, split or merged
        with self.locked(session, "correct", layer=CORRECTIONS, base=base):
            migrate_corrections(session)  # a file keyed by starts (before ids) rewritten by ids first
            previous = session.corrections().get(key, {})
            session.save_corrections(with_correction(session.corrections(), turn.start, text,
                                                     original=previous.get("original") or turn.text,
                                                     speaker=turn.speaker, key=key))
        self._changed(session)

    def change_speaker(self, session: Session, op: str, *, base: str | None = None, **what: Any) -> dict[str, Any]:
        """`oogst speakers`, the transcript and speakers pages: a turn moved or split, two speakers merged, or "undo"
        the last change (`speakers.per_turn.record_change`); turns.json shows it at once, insights and draft follow."""
        from pipeline.speakers.per_turn import LAYER, record_change

        with self.locked(session, "speakers", layer=LAYER, base=base):
            change = record_change(session, op, **what)
        self._changed(session)
        return change

    def replace_preview(self, session: Session, find: str, replacement: str, *, whole_word: bool = True,
                        match_case: bool = False) -> list[ReplacedLine]:
        """The transcript lines a find-and-replace rule would change, before and after (nothing is saved)."""
        from pipeline.core.replace import new_rule, preview

        rule = new_rule(find, replacement, whole_word=whole_word, match_case=match_case)
        return preview(session.turns(), _diarization(session), session.corrections(), session.replacements(), rule)

    def replace(self, session: Session, find: str, replacement: str, *, whole_word: bool = True,
                match_case: bool = False, base: str | None = None,
                lines: Sequence[int] | None = None) -> list[ReplacedLine]:
        """Find and replace across the transcript, kept as a rule in replacements.json (the names stage applies it
        after the line corrections, also to a later transcription); the lines it changed. `base`: the version of
        replacements.json the preview was made on, and `lines` the lines it listed, checked (`EditConflict`
        when they differ now: only what was previewed changes)."""
        from pipeline.core.replace import MAX_RULES, new_rule, preview

        rule = new_rule(find, replacement, whole_word=whole_word, match_case=match_case)
        with self.locked(session, "replace", layer=REPLACEMENTS, base=base):
            rules = session.replacements()
            found = preview(session.turns(), _diarization(session), session.corrections(), rules, rule)
            if lines is not None and [line.n for line in found] != list(lines):
                raise EditConflict(session.name, REPLACEMENTS, session.version(REPLACEMENTS))
            if not found:
                raise InputError(f"no line of the transcript has {rule.find!r}; nothing replaced", "replace_none",
                                 find=rule.find)
            if len(rules) >= MAX_RULES:
                raise InputError(f"this session has {MAX_RULES} replacements already; remove one first",
                                 "replace_full", n=MAX_RULES)
            session.save_replacements([*rules, rule])
        self._changed(session)
        return found

    def replacements(self, session: Session) -> list[Rule]:
        """The session's find-and-replace rules, in the order they are applied (`oogst replace --list`)."""
        return session.replacements()

    def remove_replacement(self, session: Session, number: int, *, base: str | None = None) -> Rule:
        """Undo a find-and-replace rule (numbered from 1, as listed): its lines read as before it."""
        with self.locked(session, "replace", layer=REPLACEMENTS, base=base):
            rules = session.replacements()
            if not 1 <= number <= len(rules):
                raise InputError(f"there is no replacement {number} (this session has {len(rules)}; see "
                                 "`oogst replace SESSION --list`)", "replace_gone", n=number, total=len(rules))
            gone = rules.pop(number - 1)
            session.save_replacements(rules)
        self._changed(session)
        return gone

    def recognition(self, session: Session) -> Recognised | None:
        """How well the session's speech was recognised, for the warnings (None: not transcribed yet, or an
        imported transcript, which has no word probabilities)."""
        if not session.has(TRANSCRIPT):
            return None
        stat = session.path(TRANSCRIPT).stat()
        return _recognised(session.root, stat.st_mtime_ns, stat.st_size)

    # -- the top 7 and the actions ----------------------------------------------------------------------------------
    def shown_insights(self, session: Session) -> Insights:
        """insights.json with the edits, dropped ones kept (marked) so they can be restored."""
        return apply_edits(session.insights(), session.edits(), keep_dropped=True)

    def shown_actions(self, session: Session) -> list[tuple[Action, bool]]:
        """The actions with the edits, each with its id and whether it was dropped (kept so it can be restored)."""
        return edited_actions(session.insights().actions, session.edits())

    def edit(self, session: Session, edit: Edit, *, base: str | None = None) -> None:
        """One change on the top 7 or the actions, kept in edits.json; the draft follows. `base`: the version of
        edits.json the page showed, checked."""
        with self.locked(session, "edit", layer=EDITS, base=base):
            session.save_edits(edited(session, session.edits(), edit))
        self._changed(session)

    # -- review and mail ----------------------------------------------------------------------------------------------
    def send_draft(self, session: Session, *, reason: str) -> DraftVersion:
        """Freeze the current draft as the next sent version (sent/vN/), or find the same one sent before."""
        from pipeline.review.versions import freeze_draft

        with self.locked(session, "send"):
            return freeze_draft(session, reason=reason)

    def collect(self, session: Session, files: Sequence[Path], *, title: str | None = None, close: bool = False,
                date: dt.date | None = None, keep_previous: bool = True) -> tuple[CollectResult, list[str]]:
        """`oogst collect`: the returned copies and the browser answers (`close`: the round ends) into review.json,
        final.json, final.docx, then the series. Returns the result and the series' notes (actions marked done)."""
        from pipeline.review.final import collect
        from pipeline.series.overview import after_collect

        with self.locked(session, "collect"):
            result = collect(session, [Path(f) for f in files], title=title, date=date,
                             keep_previous=keep_previous, answers=(self.state_dir, close))
        return result, after_collect(session)

    def mail(self, session: Session, *, to: Sequence[str] = (), to_file: Path | None = None, send: bool = False,
             draft: bool = False, yes: bool = False, env: Mapping[str, str] | None = None,
             password_prompt: Callable[[str], str] | None = None,
             confirm: Callable[[str], bool] | None = None, reason: str = "oogst mail --draft",
             facilitator: str | None = None) -> tuple[MailOutcome, DraftVersion | None]:
        """`oogst mail`: the mail is composed, written as mail.eml and, with `send`, sent. An unreviewed draft that
        is sent is frozen first (what goes out is kept as sent/vN); a dry run freezes nothing and shows the draft as
        it is. Returns the outcome and the version frozen. `facilitator`: "Name <address>" (default: the
        settings'), the name under the mail and its From when SMTP names no sender."""
        from pipeline.mail import run_mail
        from pipeline.mail.approval import configured
        from pipeline.mail.message import DraftCopy
        from pipeline.review.versions import freeze_draft

        version = None
        with self.locked(session, "mail"):
            copy = None
            if draft and session.final() is None:
                if send:
                    version = freeze_draft(session, reason=reason)
                    copy = DraftCopy(version.insights(), version.source, version.draft)
                else:
                    copy = self.draft_copy(session)
            outcome = run_mail(session, to=to, to_file=to_file, send=send, draft=draft, yes=yes, env=env,
                               config_path=self.settings.config_path, password_prompt=password_prompt,
                               confirm=confirm, facilitator=facilitator or self.settings.facilitator, copy=copy,
                               approval=configured(self.settings))
        return outcome, version

    def draft_copy(self, session: Session) -> DraftCopy | None:
        """The draft a draft mail shows without sending: the sent version it is (stamped), or the draft as it is now,
        edits and all (SessionError while draft.docx is older than the edits); None before there is one."""
        from pipeline.core.session import DRAFT, INSIGHTS
        from pipeline.mail.message import DraftCopy
        from pipeline.review.versions import current_draft, sent_as_is

        if not session.has(INSIGHTS) or not session.has(DRAFT):
            return None  # the mail says there is no draft yet
        version = sent_as_is(session)
        if version is not None:
            return DraftCopy(version.insights(), version.source, version.draft)
        insights, draft = current_draft(session)
        return DraftCopy(insights, session.path(INSIGHTS), draft)

    def mail_preview(self, session: Session, to: Sequence[str], *, facilitator: str | None = None,
                     env: Mapping[str, str] | None = None) -> EmailMessage:
        """The mail as it would go out now (the final top 7, or else the draft as it is), for a page to show."""
        from pipeline.mail.addresses import read_recipients
        from pipeline.mail.command import sender_and_signature
        from pipeline.mail.message import compose
        from pipeline.mail.settings import load_mail_settings

        settings = load_mail_settings(env or {}, self.settings.config_path)
        sender, signature = sender_and_signature(settings, facilitator or self.settings.facilitator)
        draft = session.final() is None
        return compose(session, read_recipients(list(to)) or read_recipients(["preview@example.nl"]), sender=sender,
                       draft=draft, signature=signature, copy=self.draft_copy(session) if draft else None)

    def save_roster(self, session: Session, people: list[dict[str, Any]], *, base: str | None = None) -> None:
        """The participants (roster.json); `base`: the version the page showed, checked."""
        with self.locked(session, "participants", layer=ROSTER, base=base):
            session.save_roster(people)

    # -- privacy ----------------------------------------------------------------------------------------------------
    def hide(self, session: Session, names: Sequence[str], kind: str = "person") -> list[str]:
        from pipeline.privacy.mapping import hide

        with self.locked(session, "hide"):
            return hide(session, names, kind)

    def unhide(self, session: Session, names: Sequence[str]) -> list[str]:
        from pipeline.privacy.mapping import unhide

        with self.locked(session, "unhide"):
            return unhide(session, names)

    # -- sessions and series -------------------------------------------------------------------------------------------
    def sessions_with(self, size: int, sha256: str) -> list[Session]:
        """The sessions whose kept recording (or transcript) is this very file: same size, same sha256 (only a
        recording of the same size is read)."""
        from pipeline.core.session import hash_file, sessions_in

        found = []
        for folder in sessions_in(self.out_dir):
            recording = Session(folder).recording()
            if recording is not None and recording.stat().st_size == size and hash_file(recording) == sha256:
                found.append(Session(folder))
        return found

    def delete(self, session: Session) -> None:
        """Delete the session folder with its recording, its browser answers and search texts; leave its series."""
        from pipeline.retention.forget import drop_session_in_state
        from pipeline.series.store import member_of

        series = member_of(session) if session.has(MEMBER) else None
        with self.locked(session, "delete"):
            shutil.rmtree(session.root)
            drop_session_in_state(self.out_dir, self.state_dir, session.name)  # its answers and search texts too
        self.leave_series(series, session.name)

    def leave_series(self, name: str | None, session: str) -> None:
        """After a session folder was deleted: its series drops it (not listed, its actions not carried, its voices
        dropped). Best effort: a series busy now notices the missing folder when it is next shown or run."""
        from pipeline.series.snapshot import refresh_series
        from pipeline.series.store import series_root

        if name is None:
            return
        try:
            refresh_series(series_root(self.out_dir, name), self.out_dir, self.owner("delete"))
        except (OogstError, OSError) as exc:
            log.warning("series %s: not updated after deleting %s (%s); it will be when next shown", name, session,
                        exc)

    def series(self, name: str) -> dict[str, Any]:
        """A series record brought up to date with the outputs folder (what `oogst series show` does first)."""
        from pipeline.series.snapshot import refresh_series
        from pipeline.series.store import existing_series

        return refresh_series(existing_series(self.out_dir, name), self.out_dir, self.owner("series show"))

    def series_lines(self, name: str) -> list[str]:
        from pipeline.series.overview import show

        return show(self.out_dir, name)

    def forget_voice(self, name: str, person: str) -> str:
        from pipeline.series.overview import forget

        return forget(self.out_dir, name, person)

    # -- retention ----------------------------------------------------------------------------------------------------
    def retention_policy(self, state_dir: Path | None = None) -> Policy:
        """The retention policy in force: the settings page's (in the state folder), else [retention] of the config."""
        from pipeline.retention.policy import load_policy

        return load_policy(self.settings.section("retention"), state_dir)

    def hold(self, session: Session, hold: bool = True) -> None:
        """Put a session on hold (the retention policy never deletes anything of it), or take it off hold."""
        from pipeline.retention.sweep import set_hold

        with self.locked(session, "hold"):
            set_hold(session, hold)

    def sweep(self, policy: Policy, *, now: dt.datetime | None = None, busy: Sequence[str] = (),
              dry_run: bool = False) -> Swept:
        """`oogst retention`, the daily sweep: delete the sound of the sessions past their date (and, with
        copies_days, returned copies and sent versions); the series drop the voices of those sessions. `busy`: the
        sessions and input files of queued, running or paused jobs, left alone."""
        from pipeline.retention.sweep import sweep
        from pipeline.series.store import series_root
        from pipeline.series.voices import drop_sessions

        def drop(series: str, session: str) -> None:
            drop_sessions(series_root(self.out_dir, series), {session}, owner=self.owner("retention"))

        return sweep(self.out_dir, policy, now=now, busy=busy, dry_run=dry_run,
                     locked=lambda session: self.locked(session, "retention"), series_changed=drop)

    def forget_person(self, series: str, person: str, *, label: str | None = None, dry_run: bool = False
                      ) -> Forgotten:
        """`oogst forget`, the series page's "Forget a person": their voice profile, clips and roster entries
        deleted, their name replaced by `label` in every kept file of the series (each session under its lock)."""
        from pipeline.core.language import texts
        from pipeline.retention.forget import forget_person

        label = (label or "").strip() or texts(self.settings.language, "retention")["forgotten_label"]
        return forget_person(self.out_dir, series, person, label=label, dry_run=dry_run, state_dir=self.state_dir,
                             locked=lambda session: self.locked(session, "forget"))

    # -- exports ----------------------------------------------------------------------------------------------------
    def export(self, session: Session, fmt: str, *, originals: bool = False) -> Export:
        """`oogst export`, the session page's Export links: the corrected transcript (txt, docx, vtt, srt), the top 7
        (md) or the dated actions (ics) as bytes with a safe file name; pseudonymised unless `originals`."""
        from pipeline.export import export

        return export(session, fmt, originals=originals)

    # -- search across sessions (the operations are the index's: words, and in `search.meaning` ask and answer) ---
    def search_index(self) -> SearchIndex:
        from pipeline.search.index import open_index

        return open_index(self.out_dir, self.state_dir, self.settings.section("search"))


def _diarization(session: Session) -> Turns | None:
    """diarization.json, what was heard before any correction (None for a session the stages did not make)."""
    from pipeline.core.session import DIARIZATION

    return session.diarization() if session.has(DIARIZATION) else None


@functools.lru_cache(maxsize=16)
def _recognised(root: Path, mtime_ns: int, size: int) -> Recognised | None:
    """`Oogst.recognition` of one version of a transcript.json (a long session's pages do not parse it again)."""
    from pipeline.insights.confidence import recognised

    transcript = Session(root).transcript()
    return None if transcript.words_estimated else recognised(transcript.words, transcript.model)


def chosen_model(model: str) -> str:
    """A model chosen for a session: its catalog name (`whisper-large-v3` -> `large-v3`), or a local model folder or
    checkpoint as given (the command line on this machine). A name of a model hub is refused with one line: nothing
    is downloaded during a run."""
    from pipeline.models.assemble import refused_name
    from pipeline.models.catalog import canonical

    name = canonical(model)
    if name is not None:
        return name
    if Path(model).expanduser().exists():
        return model
    raise refused_name(model)


def run_recording(path: Path, settings: Settings, *, reporter: Reporter | None = None, force: bool = False,
                  start: str | None = None, until: str | None = None, title: str | None = None,
                  date: dt.date | None = None, asr_backend: Any = None, series: str | None = None,
                  remember_voices: bool | None = None) -> RunResult:
    """`Oogst(settings).run(...)` for one file, for scripts and benches that call Oogst as a library."""
    request = RunRequest(str(path), title=title, date=date.isoformat() if date else None, start=start, until=until,
                         series=series, remember_voices=remember_voices)
    return Oogst(settings).run(request, reporter=reporter, asr_backend=asr_backend, force=force)
