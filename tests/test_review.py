"""collect: comments from returned copies (python-docx and LibreOffice) -> review.json, final.json, final.docx."""

from __future__ import annotations

import datetime
import json
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx_helpers import (
    CommentSpec,
    ReplySpec,
    add_comments,
    add_replies,
    add_tracked_change,
    convert_to_pdf,
    libreoffice_comment,
    pdf_page_count,
)
from test_docx_draft import DATE, make_session

from pipeline import review
from pipeline.core.errors import ReviewError
from pipeline.core.session import hash_file, read_json
from pipeline.core.types import Insights
from pipeline.review import draft as docx_draft

MISSING = "Zet hier een opmerking"  # a piece of the "Mist er iets?" line (the how-to note also mentions it)
DAY = datetime.datetime(2026, 3, 7, 10, 0)

ANNA = [
    CommentSpec("Evalueren na een maand", "+1", "Anna de Vries", "AV"),
    CommentSpec("niemand zich eigenaar voelt", "Helemaal oneens", "Anna de Vries", "AV"),  # on a quote of #1
    CommentSpec("Warme overdracht", "Eens, maar beter: Een warme overdracht met de cliënt erbij werkt beter "
                "dan een formulier.", "Anna de Vries", "AV"),
    CommentSpec(MISSING, "Mist: werkdruk maakt een goede overdracht bijna onmogelijk", "Anna de Vries", "AV"),
    CommentSpec("Bram bracht een casus in", "Mooie samenvatting", "Anna de Vries", "AV"),
    CommentSpec("Lees de top 7", "Duidelijke uitleg", "Anna de Vries", "AV"),
    CommentSpec("Notitie voor de manager", "Ik help Dirk hiermee", "Anna de Vries", "AV"),
]
BRAM = [
    CommentSpec("Evalueren na een maand", "👍", "Bram Jansen", "BJ"),
    CommentSpec("Eigenaarschap expliciet maken", "-1", "Bram Jansen", "BJ"),
    CommentSpec("Checklist als hulpmiddel", "Eens", "Bram Jansen", "BJ"),
    CommentSpec(MISSING, "De werkdruk maakt een goede overdracht bijna onmogelijk.", "Bram Jansen", "BJ"),
    CommentSpec("Ja, dat neem ik op me", "Hier bedoelde ik iets anders mee", "Bram Jansen", "BJ"),
]
BRAM_AGAIN = [  # a second copy two days later, author typed differently: the same person
    CommentSpec("Evalueren na een maand", "👍", "bram  jansen", "BJ"),
    CommentSpec("Checklist als hulpmiddel", "Niet mee eens", "bram  jansen", "BJ"),  # changed his mind
]
CARLA = [
    CommentSpec("Evalueren na een maand", "mee eens", "Carla Smit", "CS"),
    CommentSpec("Tijd voor overdracht plannen", "klopt", "Carla Smit", "CS"),
    CommentSpec("Vaste vervanger", "Dit is eigenlijk hetzelfde als het eerste punt over eigenaarschap",
                "Carla Smit", "CS"),
    CommentSpec(MISSING, "Supervisie door de manager", "Carla Smit", "CS"),
]


def _title_rank(final: dict, title: str) -> int | None:
    return next((i["rank"] for i in final["insights"] if i["title"] == title), None)


def _lines(problems: list[str]) -> None:
    for problem in problems:
        assert "\n" not in problem


@pytest.fixture()
def copies(tmp_path):
    session, turns, insights = make_session(tmp_path / "out")
    draft = docx_draft.write_draft(session, turns, insights, title="Intervisie overdracht", date=DATE)
    returned = tmp_path / "returned"
    returned.mkdir()
    files = {
        "anna": add_comments(draft, returned / "anna.docx", ANNA, DAY),
        "bram": add_comments(draft, returned / "bram.docx", BRAM, DAY - datetime.timedelta(days=1)),
        "bram2": add_comments(draft, returned / "bram-v2.docx", BRAM_AGAIN, DAY + datetime.timedelta(days=1)),
        "carla": add_comments(draft, returned / "carla.docx", CARLA, DAY),
    }
    return session, insights, draft, files


def test_interpretation_of_comment_texts():
    ups = ["+1", "+ 1", "👍", "👍🏽", "eens", "Eens!", "mee eens", "Helemaal eens", "helemaal mee eens", "ja",
           "Ja, klopt", "klopt", "agree", "Agreed.", "Ik ben het er helemaal mee eens", "goed punt +1"]
    downs = ["-1", "−1", "👎", "oneens", "Niet eens", "niet mee eens", "disagree", "nee", "Nee, want dat is niet zo",
             "Ik ben het er niet mee eens", "helemaal oneens"]
    for text in ups:
        assert review.interpret(text, "insight").vote == 1, text
    for text in downs:
        assert review.interpret(text, "insight").vote == -1, text
    both = review.interpret("Eens, maar liever: overdracht vraagt tijd in de planning", "insight")
    assert (both.kind, both.vote, both.rewording, both.explicit) == (
        "rewording", 1, "overdracht vraagt tijd in de planning", True)
    quoted = review.interpret("\u201cEen warme overdracht werkt altijd beter\u201d", "insight")
    assert quoted.rewording == "Een warme overdracht werkt altijd beter" and quoted.explicit
    long = review.interpret("Dit gaat volgens mij vooral over vertrouwen tussen collega's onderling", "insight")
    assert long.kind == "rewording" and not long.explicit
    assert review.interpret("Waarom staat dit zo hoog in de lijst eigenlijk?", "insight").kind == "remark"
    assert review.interpret("Goed punt", "insight").kind == "remark"
    assert review.interpret("eenszaamheid", "insight").vote == 0  # a word that starts like "eens" is no vote
    missing = review.interpret("Ontbreekt: aandacht voor nazorg", "missing")
    assert (missing.kind, missing.proposal) == ("missing", "aandacht voor nazorg")


def test_collect_maps_counts_and_reranks(copies):
    session, insights, draft, files = copies
    before = {name: (hash_file(p), p.stat().st_mtime_ns) for name, p in files.items()}
    started = time.monotonic()
    result = review.collect(session, list(files.values()))
    elapsed = time.monotonic() - started
    after = {name: (hash_file(p), p.stat().st_mtime_ns) for name, p in files.items()}
    assert before == after, "returned files must never be modified"
    assert result.problems == [] and result.notes == [] and result.files_read == 4
    assert result.review_path == session.path("review.json") and result.final_docx_path.is_file()
    assert not [p for p in session.root.iterdir() if p.name.endswith(".tmp")]

    rv = read_json(result.review)
    comments = rv["comments"]
    total = len(ANNA) + len(BRAM) + len(BRAM_AGAIN) + len(CARLA)
    assert len(comments) == total == result.comments, "every comment is kept"
    for spec in ANNA + BRAM + BRAM_AGAIN + CARLA:
        assert any(c["text"] == spec.text and c["author"] == spec.author for c in comments), spec

    def find(text: str, author: str = "") -> dict:
        return next(c for c in comments if c["text"] == text and (not author or c["author"] == author))

    assert find("Helemaal oneens")["target"] == {"kind": "insight", "index": 1, "via": "oogst_insight_1",
                                                 "title": "Eigenaarschap expliciet maken"}
    assert find("Mooie samenvatting")["target"]["kind"] == "summary"
    assert find("Ik help Dirk hiermee")["target"]["kind"] == "action"
    assert find("Ik help Dirk hiermee")["target"]["index"] == 2
    assert find("Hier bedoelde ik iets anders mee")["target"]["kind"] == "transcript"
    assert find("Hier bedoelde ik iets anders mee")["target"]["turn"] == "t10282"  # by the turn's id (issue 27)
    assert find("Hier bedoelde ik iets anders mee")["target"]["via"] == "oogst_turn_t10282"
    assert find("Supervisie door de manager")["target"]["kind"] == "missing"
    assert "niemand zich eigenaar voelt" in find("Helemaal oneens")["anchor_text"]
    assert find("+1")["date"].startswith("2026-03-07")
    mapped = sum(1 for c in comments if c["target"] and c["target"]["kind"] != "other")
    print(f"collect: {len(comments)} comments from 4 files, {mapped} mapped, {len(rv['unmapped'])} unmapped "
          f"(on the how-to note), {elapsed:.2f} s")
    assert [c["text"] for c in rv["unmapped"]] == ["Duidelijke uitleg"] and result.unmapped == 1
    assert find("👍", "bram  jansen")["duplicate_of"] == find("👍", "Bram Jansen")["id"]
    assert find("Dit is eigenlijk hetzelfde als het eerste punt over eigenaarschap")["interpretation"][
        "kind"] == "rewording"
    assert rv["reviewers"] == ["Anna de Vries", "Bram Jansen", "Carla Smit"]

    final = read_json(result.final_json)
    original = Insights.from_dict(read_json(session.path("insights.json"))).to_dict()
    assert set(original) <= set(final) and len(final["insights"]) == 7
    assert set(original["insights"][0]) <= set(final["insights"][0])
    Insights.from_dict(final)  # loads as an Insights artefact
    by_title = {i["title"]: i for i in final["insights"]}

    evaluate = by_title["Evalueren na een maand"]
    assert evaluate["votes"]["up"] == 3 and evaluate["votes"]["down"] == 0, "one vote per person"
    assert set(evaluate["votes"]["voters"]) == {"Anna de Vries", "Bram Jansen", "Carla Smit"}
    assert evaluate["rank"] < 7 and evaluate["original_rank"] == 7
    owner = by_title["Eigenaarschap expliciet maken"]
    assert owner["votes"]["down"] == 2 and owner["rank"] > 1
    assert _title_rank(final, "Checklist als hulpmiddel") is None, "Bram's latest copy says -1: it drops out"
    checklist = next(i for i in final["not_in_top"] if i["title"] == "Checklist als hulpmiddel")
    assert checklist["votes"]["voters"] == {"Bram Jansen": -1}
    warm = by_title["Warme overdracht"]
    assert warm["text"].startswith("Een warme overdracht met de cliënt erbij werkt beter")
    assert warm["original_text"] == original["insights"][1]["text"]
    assert by_title["Vaste vervanger"]["text"] == original["insights"][3]["text"], "implicit, single: not adopted"
    added = [i for i in final["insights"] if i.get("added")]
    assert len(added) == 1 and "werkdruk" in added[0]["text"].lower()
    assert set(added[0]["proposed_by"]) == {"Anna de Vries", "Bram Jansen"}
    assert any(not p["added"] and "Supervisie" in p["text"] for p in final["proposals"])
    kinds = {c["kind"] for c in final["changes"]}
    assert {"moved_up", "moved_down", "reworded", "added", "dropped", "not_added"} <= kinds
    print("final order:", [(i["rank"], i["original_rank"], i["title"], i["votes"]["net"]) for i in final["insights"]])

    text = "\n".join(p.text for p in docx.Document(str(result.final_docx)).paragraphs)
    assert "Wat is er veranderd" in text and "valt uit de top 7" in text and "Nieuw:" in text
    assert "Zo geef je commentaar" not in text and "Bijlage" not in text
    numbered = [p for p in docx.Document(str(result.final_docx)).paragraphs if p.style.name == "List Number"]
    assert [p.text.split(":")[0] for p in numbered] == [i["title"] for i in final["insights"]]


def test_the_review_starts_from_the_order_as_sent():
    """The facilitator moved "Vierde" (scored lower by the ranking) above "Derde" before sending: the final keeps
    that order unless votes move it, and what changed names the rank as sent."""
    from pipeline.core.types import Insight
    from pipeline.review.aggregate import _aggregate, _changes

    scores = {"Eerste": 0.9, "Tweede": 0.8, "Vierde": 0.5, "Derde": 0.7}
    sent = Insights("nl", (), tuple(Insight(rank, title, f"{title} zin.", (), score, ())
                                    for rank, (title, score) in enumerate(scores.items(), 1)), ())

    def vote(rank: int, person: str, value: int) -> dict:
        return {"id": f"{person}:{rank}", "person": person, "author": person, "file": "x", "order": rank,
                "target": {"kind": "insight", "index": rank}, "duplicate_of": None,
                "interpretation": {"kind": "vote", "vote": value, "rewording": None, "explicit": False}}

    quiet = _aggregate([vote(1, "An", 1)], sent)
    assert [e["insight"].title for e in quiet["entries"]] == list(scores)  # not put back by the scores
    assert [e["original_rank"] for e in quiet["entries"]] == [1, 2, 3, 4]
    assert _changes(quiet["entries"], quiet, "nl", 1)[1]["text"] == (
        "De top 4 is niet veranderd: de volgorde is die van het verstuurde concept.")
    moved = _aggregate([vote(3, "An", -1), vote(3, "Bo", -1)], sent)
    assert [e["insight"].title for e in moved["entries"]] == ["Eerste", "Tweede", "Derde", "Vierde"]
    texts = [c["text"] for c in _changes(moved["entries"], moved, "nl", 2)]
    assert "\u201cVierde\u201d daalt van 3 in het verstuurde concept naar 4 (0x eens, 2x oneens)." in texts
    assert "Uitgangspunt is de volgorde van het concept zoals het verstuurd is" in texts[0]


def _rezip(src: Path, dst: Path, replace: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename in replace:
                continue
            zout.writestr(item, zin.read(item.filename))
        for name, data in replace.items():
            if data is not None:
                zout.writestr(name, data)
    return dst


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'.encode()
                     for i in range(1, 10))
          + b']>\n<w:comments xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b'<w:comment w:id="0" w:author="x"><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:comment></w:comments>')
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
       b"<w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>")


def test_bad_files_are_reported_and_good_ones_still_collected(copies, tmp_path):
    session, insights, draft, files = copies
    bad = tmp_path / "bad"
    bad.mkdir()
    anna = files["anna"]
    (bad / "scan.docx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (bad / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
                                      + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512)
    (bad / "half.docx").write_bytes(anna.read_bytes()[: anna.stat().st_size // 2])
    (bad / "empty.docx").write_bytes(b"")
    _rezip(anna, bad / "laughs.docx", {"word/comments.xml": LAUGHS})
    _rezip(anna, bad / "xxe.docx", {"word/document.xml": XXE})
    with zipfile.ZipFile(bad / "notes.docx", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    other, other_turns, other_insights = make_session(tmp_path / "other", "andere-sessie")
    changed = Insights.from_dict({**other_insights.to_dict(), "summary": ["Een andere sessie."]})
    other_draft = docx_draft.write_draft(other, other_turns, changed, title="Andere", date=DATE)
    add_comments(other_draft, bad / "other.docx", [CommentSpec("Vaste vervanger", "+1", "Zoë")])
    first = review.collect(session, [files["carla"]])
    (bad / "final.docx").write_bytes(first.final_docx.read_bytes())

    names = ["scan", "locked", "half", "empty", "laughs", "xxe", "notes", "other", "final", "missing"]
    given = [bad / f"{n}.docx" for n in names]
    started = time.monotonic()
    result = review.collect(session, [given[0], anna, *given[1:]], keep_previous=False)
    elapsed = time.monotonic() - started
    _lines(result.problems)
    print("\n".join(result.problems))
    print(f"collect with {len(names)} bad files: {elapsed:.2f} s")
    assert elapsed < 10
    assert result.files_read == 1
    expected = {"scan": "but a PDF", "locked": "password-protected", "half": "damaged", "empty": "empty file",
                "laughs": "DTD", "xxe": "DTD", "notes": "OpenDocument", "other": "andere-sessie",
                "final": "final.docx", "missing": "not found"}
    assert len(result.problems) == len(expected)
    for name, words in expected.items():
        line = next(p for p in result.problems if p.startswith(str(bad / f"{name}.docx")))
        assert words in line, line
    rv = read_json(result.review)
    assert len(rv["comments"]) == len(ANNA)
    assert set(rv["problems"]) == {str(p) for p in given}
    assert [f["status"] for f in rv["files"]].count("rejected") == len(names)
    assert "root:" not in json.dumps(rv), "the external entity must never be resolved"


def test_all_files_bad_raises_one_line(copies, tmp_path):
    session, *_ = copies
    junk = tmp_path / "junk.docx"
    junk.write_text("hello")
    with pytest.raises(ReviewError) as info:
        review.collect(session, [junk])
    assert "junk.docx" in str(info.value) and "\n" not in str(info.value)
    assert session.path("review.json").is_file()


def test_draft_of_changed_insights_is_refused(copies, tmp_path):
    session, insights, draft, files = copies
    stale = add_comments(draft, tmp_path / "stale.docx", [CommentSpec("Vaste vervanger", "+1", "Dirk Bakker")])
    changed = Insights.from_dict({**insights.to_dict(), "summary": ["Nieuwe samenvatting."]})
    session.path("insights.json").write_text(json.dumps(changed.to_dict(), ensure_ascii=False))
    with pytest.raises(ReviewError):
        review.collect(session, [stale])
    rv = read_json(session.path("review.json"))
    assert "earlier version of insights.json" in rv["problems"][str(stale)][0]


def test_tracked_changes_are_reported(copies, tmp_path):
    session, insights, draft, files = copies
    edited = add_tracked_change(files["carla"], tmp_path / "carla-edit.docx", "Dossier als respect",
                                " en dat bouwt vertrouwen op", "Carla Smit")
    result = review.collect(session, [edited])
    (change,) = read_json(result.review)["tracked_changes"]
    assert change["type"] == "insert" and change["author"] == "Carla Smit"
    assert change["text"] == " en dat bouwt vertrouwen op"
    assert change["target"]["kind"] == "insight" and change["target"]["index"] == 6


def test_copy_without_marks_is_matched_by_text(copies, tmp_path):
    session, insights, draft, files = copies
    with zipfile.ZipFile(files["anna"]) as z:
        document = z.read("word/document.xml")
    document = re.sub(rb"<w:bookmark(Start|End)[^>]*/>", b"", document)
    stripped = _rezip(files["anna"], tmp_path / "retyped.docx", {"word/document.xml": document,
                                                                   "docProps/custom.xml": None})
    result = review.collect(session, [stripped])
    assert result.problems == [] and len(result.notes) == 1 and "matched by text" in result.notes[0]
    comments = {c["text"]: c for c in read_json(result.review)["comments"]}
    assert comments["+1"]["target"]["kind"] == "insight" and comments["+1"]["target"]["index"] == 7
    assert comments["Helemaal oneens"]["target"]["index"] == 1  # anchored on a quote paragraph
    assert comments["Mooie samenvatting"]["target"]["kind"] == "summary"
    assert comments["Mist: werkdruk maakt een goede overdracht bijna onmogelijk"]["target"]["kind"] == "missing"


def test_rerun_with_more_files_keeps_earlier_copies(copies):
    session, insights, draft, files = copies
    review.collect(session, [files["anna"], files["bram"]])
    result = review.collect(session, [files["carla"], files["bram"]])
    rv = read_json(result.review)
    assert {Path(f["file"]).name for f in rv["files"]} == {"anna.docx", "bram.docx", "carla.docx"}
    assert len(rv["comments"]) == len(ANNA) + len(BRAM) + len(CARLA)
    final = read_json(result.final_json)
    evaluate = next(i for i in final["insights"] if i["title"] == "Evalueren na een maand")
    assert evaluate["votes"]["up"] == 3
    fresh = review.collect(session, [files["carla"], files["carla"]], keep_previous=False)
    assert len(read_json(fresh.review)["comments"]) == len(CARLA)
    assert fresh.problems == [] and len(fresh.notes) == 1 and "given twice" in fresh.notes[0]


def test_damaged_review_json_stops_collect_until_fresh(copies):
    session, insights, draft, files = copies
    review.collect(session, [files["carla"]])
    damaged = b'{"session": "intervisie", "files": [{"file": "carla.docx", '  # cut off mid-write by hand
    session.path("review.json").write_bytes(damaged)
    with pytest.raises(ReviewError) as info:
        review.collect(session, [files["anna"]])
    message = str(info.value)
    assert str(session.path("review.json")) in message and "--fresh" in message and "\n" not in message
    assert session.path("review.json").read_bytes() == damaged, "the earlier copies' record is not overwritten"

    result = review.collect(session, [files["anna"]], keep_previous=False)
    rv = read_json(result.review)
    assert [Path(f["file"]).name for f in rv["files"]] == ["anna.docx"] and len(rv["comments"]) == len(ANNA)


WARM = "Warme overdracht"  # insight 2 of the fixture
# long and without "beter:": an implicit rewording, adopted only when a second person backs it
IMPLICIT = "Een warme overdracht met de cliënt erbij werkt beter dan elk papieren formulier"


def _warm(result: review.CollectResult) -> dict:
    return next(i for i in read_json(result.final_json)["insights"] if i["title"] == WARM)


@pytest.mark.parametrize("agree", ["+1", "eens"])
def test_agreeing_reply_backs_a_rewording_like_a_second_proposer(copies, tmp_path, agree):
    session, insights, draft, files = copies
    anna = add_comments(draft, tmp_path / "anna.docx", [CommentSpec(WARM, IMPLICIT, "Anna de Vries", "AV")], DAY)
    alone = _warm(review.collect(session, [anna], keep_previous=False))
    assert "original_text" not in alone and alone["text"] != IMPLICIT, "one implicit proposer: not adopted"

    # Bram replies in Anna's copy, the way Word stores a reply (commentsExtended.xml)
    replied = add_replies(anna, tmp_path / "anna-bram.docx", [ReplySpec(IMPLICIT, agree, "Bram Jansen", "BJ")], DAY)
    result = review.collect(session, [replied], keep_previous=False)
    warm = _warm(result)
    assert warm["text"] == IMPLICIT and warm["original_text"] == insights.insights[1].text
    assert set(warm["reworded_by"]) == {"Anna de Vries", "Bram Jansen"}
    assert warm["votes"]["voters"] == {"Bram Jansen": 1}

    comments = read_json(result.review)["comments"]
    parent = next(c for c in comments if c["text"] == IMPLICIT)
    reply = next(c for c in comments if c["text"] == agree)
    assert parent["reply_to"] is None and reply["reply_to"] == parent["id"]
    assert reply["target"]["kind"] == "insight" and reply["target"]["index"] == 2
    assert reply["interpretation"]["supports"] == parent["id"]


def test_remark_in_a_reply_changes_no_votes(copies, tmp_path):
    session, insights, draft, files = copies
    anna = add_comments(draft, tmp_path / "anna.docx", [CommentSpec(WARM, "+1", "Anna de Vries", "AV"),
                                                       CommentSpec("Vaste vervanger", IMPLICIT, "Anna de Vries")],
                        DAY)
    replied = add_replies(anna, tmp_path / "anna-bram.docx", [
        ReplySpec("+1", "Waarom staat dit zo hoog?", "Bram Jansen", "BJ"),
        ReplySpec(IMPLICIT, "Hoe bedoel je dat precies?", "Carla Smit", "CS")], DAY)
    result = review.collect(session, [replied], keep_previous=False)
    comments = read_json(result.review)["comments"]
    assert {c["text"]: bool(c["reply_to"]) for c in comments} == {
        "+1": False, IMPLICIT: False, "Waarom staat dit zo hoog?": True, "Hoe bedoel je dat precies?": True}
    final = read_json(result.final_json)
    by_title = {i["title"]: i for i in final["insights"] + final["not_in_top"]}
    assert by_title[WARM]["votes"]["voters"] == {"Anna de Vries": 1}
    assert by_title["Vaste vervanger"]["votes"]["voters"] == {}
    assert "original_text" not in by_title["Vaste vervanger"], "a question is no backing for a rewording"


@pytest.mark.parametrize("names", [("", ""), ("Author", "Author"), ("Onbekend", "onbekend")])
def test_anonymous_authors_are_one_person_per_file(copies, tmp_path, names):
    session, insights, draft, files = copies
    first = add_comments(draft, tmp_path / "first.docx", [CommentSpec(WARM, "+1", names[0], "X"),
                                                        CommentSpec(WARM, "Helemaal eens", names[0], "X")], DAY)
    second = add_comments(draft, tmp_path / "second.docx", [CommentSpec(WARM, "👍", names[1], "X")], DAY)
    result = review.collect(session, [first, second], keep_previous=False)
    warm = _warm(result)
    assert warm["votes"]["up"] == 2, "two anonymous files are two people, two comments in one file are one"
    assert len(read_json(result.review)["reviewers"]) == 2
    only_first = _warm(review.collect(session, [first], keep_previous=False))
    assert only_first["votes"]["up"] == 1


@pytest.mark.slow
@pytest.mark.needs_system("soffice")
def test_libreoffice_saved_copy_and_pdf_rendering(copies, tmp_path):
    session, insights, draft, files = copies
    started = time.monotonic()
    eva = [CommentSpec("Dossier als respect", "+1 helemaal eens", "Eva Mulder", "EM"),
           CommentSpec(MISSING, "Werkdruk maakt een goede overdracht bijna onmogelijk", "Eva Mulder", "EM")]
    # Carla's copy goes through LibreOffice (which renumbers comment ids), Eva comments there
    (carla_lo,) = libreoffice_comment([(files["carla"], tmp_path / "carla-eva-lo.docx", eva)])
    lo_seconds = time.monotonic() - started
    given = [*files.values(), carla_lo]
    before = [hash_file(p) for p in given]
    result = review.collect(session, given)
    assert [hash_file(p) for p in given] == before
    assert result.problems == []

    rv = read_json(result.review)
    lo_file = next(f for f in rv["files"] if f["file"] == str(carla_lo))
    assert lo_file["application"].lower().startswith("libreoffice") and lo_file["comments"] == len(CARLA) + 2
    lo_comments = [c for c in rv["comments"] if c["file"] == str(carla_lo)]
    assert all(c["target"] and c["target"]["kind"] != "other" for c in lo_comments)
    eva_vote = next(c for c in lo_comments if c["author"] == "Eva Mulder" and c["text"] == "+1 helemaal eens")
    assert eva_vote["target"]["index"] == 6 and eva_vote["interpretation"]["vote"] == 1
    carla_twice = [c for c in rv["comments"] if c["author"] == "Carla Smit" and c["text"] == "klopt"]
    assert len(carla_twice) == 2 and sum(c["duplicate_of"] is None for c in carla_twice) == 1

    final = read_json(result.final_json)
    by_title = {i["title"]: i for i in final["insights"]}
    assert by_title["Tijd voor overdracht plannen"]["votes"]["up"] == 1, "Carla's two copies count once"
    assert by_title["Dossier als respect"]["votes"]["voters"] == {"Eva Mulder": 1}
    added = next(i for i in final["insights"] if i.get("added"))
    assert set(added["proposed_by"]) == {"Anna de Vries", "Bram Jansen", "Eva Mulder"}
    assert len(rv["reviewers"]) == 4

    pages = {}
    for path in (draft, result.final_docx):
        pdf = convert_to_pdf(path, tmp_path / "pdf")
        pages[path.name] = pdf_page_count(pdf)
    print(f"LibreOffice: comment + save {lo_seconds:.1f} s, total {time.monotonic() - started:.1f} s; "
          f"PDF pages {pages}")
    assert pages["draft.docx"] >= 3 and pages["final.docx"] >= 1


def test_final_keeps_recognition_confidence_except_for_rewordings(tmp_path):
    session, turns, insights = make_session(tmp_path / "out")
    data = read_json(session.path("insights.json"))
    for k, item in enumerate(data["insights"]):
        item["confidence"] = round(0.6 + 0.05 * k, 2)
    session.path("insights.json").write_text(json.dumps(data), encoding="utf-8")
    insights = Insights.from_dict(data)
    draft = docx_draft.write_draft(session, turns, insights, title="Intervisie overdracht", date=DATE)
    anna = add_comments(draft, tmp_path / "anna.docx", ANNA, DAY)
    carla = add_comments(draft, tmp_path / "carla.docx", CARLA, DAY)
    final = read_json(review.collect(session, [anna, carla]).final_json)
    given = {item["text"]: item["confidence"] for item in data["insights"]}
    reworded = [i for i in final["insights"] if "original_text" in i]
    assert reworded, "Anna's rewording is adopted"
    for item in final["insights"]:
        if "original_text" in item:
            assert "confidence" not in item  # typed by a participant: nothing was recognised
        elif not item.get("added"):
            assert item["confidence"] == given[item["text"]]


def test_a_proposed_insights_title_does_not_stop_mid_phrase() -> None:
    """The title of an insight a participant adds: a short sentence whole, a long one cut before an article,
    preposition or adjective (it read "Werkdruk maakt een goede" once)."""
    from pipeline.review.aggregate import _title_from

    said = "De werkdruk maakt een goede overdracht bijna onmogelijk."
    assert _title_from(said) == "Werkdruk maakt een goede overdracht"
    assert _title_from("We should agree on a clear owner for every handover between teams.") == "We should agree"
    assert _title_from("Een vaste vervanger bij ziekte.") == "Vaste vervanger bij ziekte"
    long = _title_from("Ik mis het punt dat de leiding van het team ook verantwoordelijk is voor de overdracht")
    assert long.split()[-1].lower() not in {"de", "het", "van", "voor", "een"} and len(long.split()) <= 8
