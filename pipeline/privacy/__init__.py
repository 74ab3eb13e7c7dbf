"""Pseudonymisation of what leaves the facilitator: third parties in draft.docx, final.docx and mail.eml become
stable labels ("[Persoon 1]", "[School 1]", "[Plaats 1]", "[Geboortedatum]", ...).

`mapping` owns pseudonyms.json (label <-> original, the "always hide" and "never hide" lists: one source of truth,
in the outputs folder only), `detect` finds third parties (deduce for Dutch, rules and capitalised-name heuristics
for English, e-mail/phone/URL/birth-date rules for both), `spoken` the contact details a transcript writes in words
(phone numbers, e-mail addresses, id numbers, birth dates) and street addresses, `lists` reads deduce's name and
place lists as data, `lexicon` Frog's tagger lexicon, `names` joins Frog's analysis of Dutch to
deduce and the rules (names at a sentence start, in lower case, known in the session; `context`: names given by
their place in a sentence), `shared` turns a session's
turns and insights into their shareable form. Internal artefacts (transcript.json, turns.json, insights.json) keep
the originals.

May import `pipeline.core` and `pipeline.analysis` (Frog's analysis, read only).
"""

from pipeline.privacy.mapping import PARTICIPANT_MODES, Entity, Pseudonyms
from pipeline.privacy.shared import Shared, load_shared, prepare_shared

__all__ = ["PARTICIPANT_MODES", "Entity", "Pseudonyms", "Shared", "load_shared",
           "prepare_shared"]
