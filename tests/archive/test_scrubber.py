"""Finding people's names in free text: whole names ignoring case, words of real names, never made-up ones."""

from __future__ import annotations

from facilitator.archive.document import Scrubber


def test_names_are_found_whole_and_by_word_but_made_up_names_only_whole(app):
    people = [
        {"id": 1, "display_name": "Zelda  Quist"},
        {"id": 2, "display_name": "Calm Otter"},  # made up by the join page
        {"id": 3, "display_name": "Tom & Jerry"},
    ]
    with app.test_request_context():
        scrubber = Scrubber.for_people(people, lambda p: f"<P{p['id']}>", keep={"Jerry"})
    assert scrubber.scrub("ZELDA QUIST said: ask Zelda's team") == "<P1> said: ask <P1>'s team"
    assert scrubber.scrub("Zeldas and quist stay") == "Zeldas and quist stay"  # whole words, as written
    assert scrubber.scrub("A calm otter, Calm Otter, calm day") == "A <P2>, <P2>, calm day"
    assert scrubber.scrub("<data>Tom &amp; Jerry</data> Jerry") == "<data><P3></data> Jerry"
    assert scrubber.scrub({"with_whom": ["Zelda", 3, None]}) == {"with_whom": ["<P1>", 3, None]}
    assert scrubber.scrub("Participant 2 was here") == "<P2> was here"  # the label of an unnamed phone
    assert scrubber.matches("thanks zelda quist") and not scrubber.matches("Otter alone")
