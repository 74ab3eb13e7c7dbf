"""The web pages' words, Dutch and English; English when the browser prefers it (Accept-Language)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "sessions": "Sessies", "new": "Nieuwe sessie", "title": "Titel", "date": "Datum", "duration": "Duur",
        "stage": "Stap", "review": "Commentaar", "no_sessions": "Nog geen sessies. Begin met een nieuwe sessie.",
        "file": "Opname of transcript", "file_hint": "audio/video (.m4a .mp3 .wav .ogg …) of een transcript "
        "(.vtt .srt .txt .docx); sleep het bestand hierheen of kies het",
        "unplaced": "Deze verbeteringen zijn gemaakt op een eerder transcript en passen bij geen regel van dit "
        "transcript; ze zijn bewaard (corrections.json). Zet ze zo nodig opnieuw bij de juiste regel.",
        "unplaced_was": "toen verstaan als",
        "model": "Spraakherkenning", "model_hint": "een groter model verstaat meer, maar doet er langer over; meer "
        "modellen: oogst models list",
        "language": "Taal", "speakers_n": "Aantal sprekers (leeg: vanzelf)", "vocabulary": "Namen en vaktermen "
        "(met komma's)", "upload": "Uploaden en verwerken", "optional": "optioneel",
        "pseudonymise": "Derden pseudonimiseren in wat gedeeld wordt (concept, eindversie, mail): leerlingen, "
        "cliënten, scholen en plaatsen worden [Persoon 1], [School 1] …",
        "queued": "In de wachtrij", "running": "Bezig", "done": "Klaar", "failed": "Mislukt",
        "ahead": "wachtende taken vóór deze", "eta": "nog ongeveer", "on_worker": "op", "first_lines": "Eerste regels",
        "transcribe": "Uitschrijven", "speakers": "Sprekers", "names": "Namen", "insights": "Inzichten",
        "draft": "Concept", "overview": "Overzicht", "transcript": "Transcript", "top7": "Top 7 en acties",
        "mail": "Mail", "delete": "Verwijderen", "download_draft": "Concept downloaden (draft.docx)",
        "download_final": "Definitieve versie downloaden (final.docx)", "busy": "Bezig", "rerun": "Opnieuw "
        "verwerken", "confirm_delete": "Deze sessie met de opname en alle bestanden definitief verwijderen?",
        "yes_delete": "Ja, verwijderen", "cancel": "Annuleren", "deleted": "Verwijderd",
        "login": "Inloggen", "password": "Wachtwoord", "wrong_password": "Onjuist wachtwoord.",
        "audio_seconds": "audio", "of": "van", "error": "Fout", "back": "Terug",
        "speaking_time": "spreektijd", "name": "Naam", "save_names": "Namen opslaan",
        "names_saved": "Namen opgeslagen; concept en inzichten worden bijgewerkt.",
        "clip": "fragment", "correct": "Verbeteren", "save": "Opslaan", "corrected": "verbeterd",
        "low_conf": "onzeker herkend", "edited": "aangepast", "drop": "Weglaten", "up": "Omhoog",
        "restore": "Terugzetten", "owner": "Wie", "due": "Wanneer", "action": "Actiepunt", "actions": "Actiepunten",
        "promote": "Als inzicht toevoegen", "review_upload": "Becommentarieerde kopieën uploaden",
        "collect": "Commentaar verwerken", "final": "Definitieve top 7", "changes": "Wat er veranderde",
        "send_draft": "Concept versturen (bevriezen)", "sent_version": "Verstuurde versie",
        "recipients": "Ontvangers", "preview": "Voorbeeld", "dry_run": "Proefversie (.eml)",
        "send": "Versturen", "participants": "Deelnemers", "present": "aanwezig", "email": "E-mailadres",
        "paste_list": "Lijst plakken (één per regel: Naam <adres>)", "save_roster": "Deelnemers opslaan",
        "reviewers": "Reviewers", "not_ready": "Nog niet klaar: verwerk eerst de opname.",
        "stages_done": "Stappen klaar", "draft_mail": "Concept mailen (zonder commentaar)",
        "eml_written": "mail.eml geschreven", "send_again": "opnieuw versturen (al eerder verstuurd)",
        "rerun_note": "Opgeslagen; inzichten en concept worden bijgewerkt.", "saved": "Opgeslagen.",
        "review_final": "definitief", "review_sent": "verstuurd", "next_steps": "Volgende stappen",
        "step_speakers": "Luister naar de sprekers en geef ze een naam",
        "step_transcript": "Lees het transcript na en verbeter wat verkeerd verstaan is",
        "step_top7": "Kijk de top 7 en de actiepunten na",
        "step_review": "Verstuur het concept en verwerk het commentaar dat terugkomt",
        "step_mail": "Mail de definitieve top 7 naar de deelnemers",
        "series": "Reeks", "series_list": "Reeksen",
        "series_hint": "Sessies van één groep (intervisiegroep, leernetwerk) vormen een reeks: open actiepunten "
        "komen terug in het volgende concept, terugkerende thema's worden gemarkeerd. Kies een bestaande reeks of "
        "typ een nieuwe naam.",
        "remember_voices": "Stemmen herkennen in volgende sessies van de reeks",
        "voices_keep": "zoals de reeks het al heeft (een nieuwe reeks: nee)",
        "voices_on": "ja: stemprofielen van benoemde sprekers bewaren (persoonsgegevens; blijven op deze computer)",
        "voices_off": "nee: geen stemprofielen bewaren",
        "no_series": "Nog geen reeksen. Een sessie hoort bij een reeks als je bij het uploaden een reeks kiest "
        "(of met oogst run --series NAAM).",
        "sessions_n": "Sessies", "last_session": "Laatste sessie", "open_actions": "Open actiepunten",
        "voices": "Stemprofielen", "on": "aan", "off": "uit", "present_n": "Aanwezig",
        "download_series": "Overzicht downloaden (series.docx)",
        "gone_note": "Uit de reeks gehaald omdat de sessie is verwijderd:",
        "voices_kept": "Stemprofielen van benoemde sprekers worden bewaard (om namen voor te stellen).",
        "voices_not_kept": "Er worden geen stemprofielen bewaard.",
        "open_n": "open", "done_n": "gedaan", "no_themes": "geen thema's gevonden",
        "existing_series": "Bestaande reeksen", "themes": "Thema's",
    },
    "en": {
        "sessions": "Sessions", "new": "New session", "title": "Title", "date": "Date", "duration": "Duration",
        "stage": "Stage", "review": "Comments", "no_sessions": "No sessions yet. Start with a new session.",
        "file": "Recording or transcript", "file_hint": "audio/video (.m4a .mp3 .wav .ogg …) or a transcript "
        "(.vtt .srt .txt .docx); drop the file here or pick it",
        "unplaced": "These corrections were made on an earlier transcript and match no line of this one; they are kept "
        "(corrections.json). Put them on the right line again if needed.",
        "unplaced_was": "then heard as",
        "model": "Speech recognition", "model_hint": "a larger model hears more but takes longer; more models: oogst "
        "models list",
        "language": "Language", "speakers_n": "Number of speakers (empty: automatic)",
        "vocabulary": "Names and domain words (comma-separated)", "upload": "Upload and process",
        "pseudonymise": "Pseudonymise third parties in what is shared (draft, final, mail): pupils, clients, "
        "schools and towns become [Person 1], [School 1] …",
        "optional": "optional", "queued": "Queued", "running": "Running", "done": "Done", "failed": "Failed",
        "ahead": "jobs waiting before this one", "eta": "about", "on_worker": "on", "first_lines": "First lines",
        "transcribe": "Transcribing", "speakers": "Speakers", "names": "Names", "insights": "Insights",
        "draft": "Draft", "overview": "Overview", "transcript": "Transcript", "top7": "Top 7 and actions",
        "mail": "Mail", "delete": "Delete", "download_draft": "Download the draft (draft.docx)",
        "download_final": "Download the final version (final.docx)", "busy": "Busy", "rerun": "Process again",
        "confirm_delete": "Delete this session with its recording and every file, for good?",
        "yes_delete": "Yes, delete", "cancel": "Cancel", "deleted": "Deleted",
        "login": "Log in", "password": "Password", "wrong_password": "Wrong password.",
        "audio_seconds": "of audio", "of": "of", "error": "Error", "back": "Back",
        "speaking_time": "speaking time", "name": "Name", "save_names": "Save names",
        "names_saved": "Names saved; insights and draft are being updated.",
        "clip": "clip", "correct": "Correct", "save": "Save", "corrected": "corrected",
        "low_conf": "uncertain", "edited": "edited", "drop": "Drop", "up": "Up", "restore": "Restore",
        "owner": "Who", "due": "When", "action": "Action", "actions": "Action points",
        "promote": "Add as insight", "review_upload": "Upload annotated copies", "collect": "Collect comments",
        "final": "Final top 7", "changes": "What changed", "send_draft": "Send the draft (freeze it)",
        "sent_version": "Sent version", "recipients": "Recipients", "preview": "Preview",
        "dry_run": "Dry run (.eml)", "send": "Send", "participants": "Participants", "present": "present",
        "email": "E-mail address", "paste_list": "Paste a list (one per line: Name <address>)",
        "save_roster": "Save participants", "reviewers": "Reviewers",
        "not_ready": "Not ready yet: process the recording first.", "stages_done": "Stages done",
        "draft_mail": "Mail the draft (unreviewed)", "eml_written": "mail.eml written",
        "send_again": "send again (it was sent before)",
        "rerun_note": "Saved; insights and draft are being updated.", "saved": "Saved.",
        "review_final": "final", "review_sent": "sent", "next_steps": "Next steps",
        "step_speakers": "Listen to the speakers and give them a name",
        "step_transcript": "Read the transcript and correct what was misheard",
        "step_top7": "Check the top 7 and the action points",
        "step_review": "Send the draft and collect the comments that come back",
        "step_mail": "Mail the final top 7 to the participants",
        "series": "Series", "series_list": "Series",
        "series_hint": "The sessions of one group (an intervision group, a learning network) form a series: open "
        "action points come back in the next draft, recurring themes are marked. Pick a series or type a new name.",
        "remember_voices": "Recognise voices in later sessions of the series",
        "voices_keep": "as the series has it (a new series: no)",
        "voices_on": "yes: keep voice profiles of named speakers (personal data; they stay on this computer)",
        "voices_off": "no: keep no voice profiles",
        "no_series": "No series yet. A session belongs to a series when you choose one on upload (or with "
        "oogst run --series NAME).",
        "sessions_n": "Sessions", "last_session": "Last session", "open_actions": "Open action points",
        "voices": "Voice profiles", "on": "on", "off": "off", "present_n": "Present",
        "download_series": "Download the overview (series.docx)",
        "gone_note": "Left the series because the session was deleted:",
        "voices_kept": "Voice profiles of named speakers are kept (to propose names).",
        "voices_not_kept": "No voice profiles are kept.",
        "open_n": "open", "done_n": "done", "no_themes": "no themes found",
        "existing_series": "Existing series", "themes": "Themes",
    },
}


def preferred_language(accept_language: str | None) -> str:
    """"en" when the browser ranks English above Dutch, else "nl"."""
    best: dict[str, float] = {}
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in LABELS and base not in best:
            best[base] = q - order * 1e-3  # equal weights: the first named wins
    return max(best, key=lambda k: best[k]) if best else "nl"
