"""The application service: one operation, the same result from every front end; run requests as job payloads."""

from __future__ import annotations

import email
import json
import re
import shutil
import zipfile
from email import policy
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.errors import ConfigError
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest
from pipeline.service import Oogst
from tests.web_helpers import ROOT, csrf, make_client

TRANSCRIPT = ROOT / "tests" / "data" / "phases" / "intervisie_wijkteam_nl.txt"
NAME = "2025-03-04_groep"
STAMPS = {"frozen_at", "at", "sent_at", "updated", "since", "heartbeat", "finished", "collected_at"}
ADDRESS = "Sanne de Vries <sanne@example.nl>"


# -- run requests: the command line's call and a job's payload ------------------------------------------------------
def test_a_request_is_the_job_payload_of_earlier_versions() -> None:
    """The keys a job carried before the application layer (the web form's and `oogst run`'s on a broker) give the
    same request back, so queued jobs still run and an equal submission still finds them (same payload)."""
    web = {"title": "Intervisie West", "date": "2025-03-04", "language": "nl", "speakers": 4,
           "vocabulary": ["Sanne", "casus"], "pseudonymise": False, "series": "west", "remember_voices": True}
    request = RunRequest.from_params("/out/s/s.m4a", web)
    assert request.vocabulary == ("Sanne", "casus") and request.pseudonymise is False
    assert request.to_params() == web
    rerun = {**web, "rerun": True}
    assert RunRequest.from_params("x", rerun).to_params() == rerun
    cli = {"language": "en", "names": {"S1": "Sanne"}, "start": "transcribe", "participants": "initials"}
    assert RunRequest.from_params("x", {**cli, "unknown_later_key": 1}).to_params() == cli
    assert RunRequest("x").to_params() == {}  # nothing given, nothing sent


def test_a_request_is_checked_once_whoever_made_it(tmp_path: Path) -> None:
    oogst = Oogst(Settings(out_dir=tmp_path))
    assert oogst.checked(RunRequest("x.vtt", date="20250304")).date == "2025-03-04"
    for bad, message in ((RunRequest("x", date="2025-13-01"), "--date 2025-13-01: give the date as YYYY-MM-DD"),
                         (RunRequest("x", speakers=11), "--speakers 11: give a number from 1 to 10"),
                         (RunRequest("x", start="summarise"), "--from summarise: unknown stage"),
                         (RunRequest("x", series="../weg"), "--series '../weg': use letters")):
        with pytest.raises(ConfigError, match=re.escape(message)):
            oogst.checked(bad)


def test_the_run_request_sets_the_run_settings_only(tmp_path: Path) -> None:
    oogst = Oogst(Settings(out_dir=tmp_path, language="nl", model="base-elsewhere"))
    settings = oogst.settings_for(RunRequest("x", language="en", speakers=3, vocabulary=("a",), pseudonymise=False))
    given = (settings.language, settings.speakers, settings.vocabulary, settings.pseudonymise)
    assert given == ("en", 3, ("a",), False)
    assert settings.model == "base-elsewhere" and settings.out_dir == tmp_path  # the front end's, untouched


# -- the same operation through the CLI and the web app ---------------------------------------------------------------
def _normalised(path: Path) -> Any:
    """A file's content with what must differ blanked: time stamps, where a returned copy was read from, who froze."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as z:
            return z.read("word/document.xml").decode("utf-8")
    if path.suffix == ".eml":
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(("plain",))
        return {"subject": message["Subject"], "to": message["To"], "from": message["From"],
                "text": body.get_content() if body is not None else None,
                "attachments": [(p.get_filename(), len(p.get_content())) for p in message.iter_attachments()]}
    if path.suffix == ".json":
        def clean(value: Any, key: str = "") -> Any:
            if isinstance(value, dict):
                return {k: clean(v, k) for k, v in value.items() if k not in STAMPS and k != "reason"}
            if isinstance(value, list):
                return [clean(v, key) for v in value]
            if key in ("file",) and isinstance(value, str):
                return Path(value).name
            return value
        return clean(json.loads(path.read_text(encoding="utf-8")))
    return path.read_bytes()


def _folder(root: Path) -> dict[str, Any]:
    skip = {".lock", ".lock.json", "returned"}
    return {str(p.relative_to(root)): _normalised(p) for p in sorted(root.rglob("*"))
            if p.is_file() and not (set(p.relative_to(root).parts) & skip)}


def _post(client: Any, url: str, **data: str) -> Any:
    return client.post(url, data={"csrf": csrf(client, url), **data}, follow_redirects=False)


@pytest.mark.slow
def test_send_collect_and_mail_give_the_same_session_from_the_cli_and_the_web_app(tmp_path: Path) -> None:
    """One processed session, copied: the draft sent, a commented copy collected and the final mailed (dry run),
    once with `oogst` commands and once through the web pages. The session folders and the series come out the
    same, and collecting in the web app brings the series up to date at once, as `oogst collect` does."""
    from docx_helpers import CommentSpec, add_comments

    from pipeline.cli import main

    base = tmp_path / "base"
    source = tmp_path / f"{NAME}.txt"
    shutil.copyfile(TRANSCRIPT, source)
    assert main(["run", str(source), "--out-dir", str(base), "--series", "groep", "--quiet"]) == 0
    cli, web = tmp_path / "cli", tmp_path / "web"
    shutil.copytree(base, cli)
    shutil.copytree(base, web)
    client, _ = make_client(web, tmp_path / "state")
    mail, review = f"/s/{NAME}/mail", f"/s/{NAME}/review"

    # a dry-run mail of the draft: written as mail.eml, nothing frozen (only sending freezes)
    assert main(["mail", NAME, "--draft", "--to", ADDRESS, "--out-dir", str(cli)]) == 0
    assert _post(client, mail, do="dryrun", extra=ADDRESS).status_code == 303
    assert not (cli / NAME / "sent").exists() and not (web / NAME / "sent").exists()

    # a participant's copy of the draft with a vote, collected
    insights = json.loads((cli / NAME / "insights.json").read_text(encoding="utf-8"))
    first = insights["insights"][0]
    copy = add_comments(cli / NAME / "draft.docx", tmp_path / "terug-an.docx",
                        [CommentSpec(first["title"], "+1 eens", "Annelies")])
    assert main(["collect", NAME, str(copy), "--out-dir", str(cli)]) == 0
    before = json.loads((web / ".series" / "groep" / "series.json").read_text(encoding="utf-8"))
    assert before["sessions"][NAME]["reviewed"] is False
    with open(copy, "rb") as fh:
        answer = client.post(f"{review}/collect?csrf={csrf(client, review)}",
                             files=[("copies", (copy.name, fh))], follow_redirects=False)
    assert answer.status_code == 303, answer.text
    after = json.loads((web / ".series" / "groep" / "series.json").read_text(encoding="utf-8"))
    assert after["sessions"][NAME]["reviewed"] is True  # the series follows the collect at once

    # mail the final top 7 (dry run)
    assert main(["mail", NAME, "--to", ADDRESS, "--out-dir", str(cli)]) == 0
    assert _post(client, mail, do="dryrun", extra=ADDRESS).status_code == 303

    by_cli, by_web = _folder(cli / NAME), _folder(web / NAME)
    assert set(by_cli) == set(by_web)
    assert {"review.json", "final.json", "final.docx", "mail.eml"} <= set(by_cli)
    for name in by_cli:
        assert by_cli[name] == by_web[name], f"{name} differs between the CLI and the web app"
    assert _folder(cli / ".series") == _folder(web / ".series")
    final = json.loads((cli / NAME / "final.json").read_text(encoding="utf-8"))
    assert final["reviewers"] == ["Annelies"] and final["insights"][0]["votes"]["up"] == 1
