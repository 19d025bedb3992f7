"""Generated payloads for every socket command and the main forms: always a clear answer, never a crash,
a dropped connection, or a changed database after a refusal."""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitator.extensions import db
from facilitator.realtime.protocol import COMMANDS
from tests.security.conftest import row_counts

FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\u202egnp.exe",
        "<script>alert(1)</script>",
        "'; DROP TABLE participant; --",
        '=HYPERLINK("x")',
        "🙂" * 500,
        "é" * 5000,
        "x" * 20000,
        "\x00\x01\x02",
        "\ud7ff\ufeff",
        "a\nb\r\nc\td",
    ]
)
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40) | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _value(real_ids: list[int]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(real_ids),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.text(max_size=200),
        ODD_TEXT,
        st.lists(st.sampled_from(real_ids) | st.text(max_size=20), max_size=5),
        JUNK,
    )


def _payload(schema: Any, real_ids: list[int]) -> st.SearchStrategy[Any]:
    fields = [name for name in schema.model_fields if name != "cid"]
    shaped = st.fixed_dictionaries(
        {},
        optional={
            **{name: _value(real_ids) for name in fields},
            "cid": st.text(max_size=70) | st.sampled_from(["abcdefgh12", "abcdefgh12"]),
        },
    )
    extra = st.dictionaries(st.text(max_size=12), JUNK, max_size=3)
    return st.one_of(
        shaped,
        st.builds(lambda a, b: {**b, **a}, shaped, extra),
        JUNK,  # not even an object
    )


def test_every_command_answers_every_payload(app: Flask, world: dict[str, Any]) -> None:
    app.config["COMMAND_RATE"] = 1_000_000
    real_ids = sorted(
        {
            *world["activities"],
            world["topic"],
            world["my_topic"],
            world["gp"],
            world["answer"],
            world["mine"],
            world["slot"],
            world["space"],
            world["participant"],
        }
    )
    checked = 0

    def fuzz(name: str, schema: Any, sio: Any) -> None:
        @FUZZ
        @given(payload=_payload(schema, real_ids))
        def attempt(payload: Any) -> None:
            nonlocal checked
            with app.app_context():
                before = row_counts()
            result = sio.emit(name, payload, callback=True)
            assert isinstance(result, dict) and isinstance(result.get("ok"), bool), (name, payload, result)
            assert sio.is_connected(), (name, payload)
            if not result["ok"]:
                assert result["error"]["code"] != "server_error", (name, payload, result)
                assert isinstance(result["error"]["message"], str) and result["error"]["message"]
                with app.app_context():
                    db.session.expire_all()
                    assert row_counts() == before, (name, payload, result)
            checked += 1

        attempt()

    for name, (schema, roles) in sorted(COMMANDS.items()):
        fuzz(name, schema, world["sockets"]["participant" if "participant" in roles else "facilitator"])
    assert checked >= len(COMMANDS) * 10


FORM_TEXT = st.one_of(st.text(max_size=300), ODD_TEXT, st.just(None))


def _form(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    extra = st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=30), max_size=3)
    named = st.fixed_dictionaries({}, optional=fields)
    return st.builds(lambda a, b: {k: v for k, v in {**b, **a}.items() if v is not None}, named, extra)


def test_main_forms_never_fail_on_odd_input(app: Flask, make_workshop, facilitator) -> None:
    ws = make_workshop()
    seen: list[int] = []

    @FUZZ
    @given(form=_form({"display_name": FORM_TEXT, "organisation": FORM_TEXT, "sector": FORM_TEXT}))
    def join(form: dict[str, Any]) -> None:
        response = app.test_client().post(f"/j/{ws['code']}", data=form)
        seen.append(response.status_code)
        assert response.status_code < 500, (form, response.status_code)

    @FUZZ
    @given(
        form=_form({"title": FORM_TEXT, "purpose": FORM_TEXT, "starts_at": FORM_TEXT, "language": FORM_TEXT})
    )
    def create(form: dict[str, Any]) -> None:
        response = facilitator.post("/workshops/new", data=form)
        seen.append(response.status_code)
        assert response.status_code < 500, (form, response.status_code)

    kinds = st.sampled_from(
        ["check_in", "stakeholder_map", "open_space", "work_avoidance", "commitment_tree"]
    )

    @FUZZ
    @given(
        form=_form(
            {"kind": kinds | FORM_TEXT, "title": FORM_TEXT, "prompt": FORM_TEXT, "checklist": FORM_TEXT}
        )
    )
    def add_activity(form: dict[str, Any]) -> None:
        response = facilitator.post(f"/workshops/{ws['id']}/activities", data=form)
        seen.append(response.status_code)
        assert response.status_code < 500, (form, response.status_code)

    join()
    create()
    add_activity()
    assert len(seen) >= 30
