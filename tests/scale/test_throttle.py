"""The join-code throttle counts atomically: racing wrong guesses cannot all slip under the limit.

This runs on SQLite in `make test` and on PostgreSQL in `make test-postgres`; tests/scale/test_cluster.py
races guesses over two real workers sharing PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter

from facilitator.extensions import db
from facilitator.workshops import throttle
from facilitator.workshops.joining import DEVICE_COOKIE


def race(app, paths: list[str], device: str) -> Counter[int]:
    """One request per path, all let go at the same moment, every one from the same device."""
    go = threading.Barrier(len(paths))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def guess(path: str) -> None:
        browser = app.test_client()
        browser.set_cookie(DEVICE_COOKIE, device)
        try:
            go.wait(10)
            statuses.append(browser.get(path).status_code)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=guess, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return Counter(statuses)


def test_racing_wrong_codes_from_one_device_get_no_more_answers_than_the_limit(app, make_workshop):
    ws = make_workshop()
    app.config["JOIN_ATTEMPTS_PER_DEVICE"] = 5
    wrong = [f"/j/{n:06d}" for n in range(100000, 100016) if f"{n:06d}" != ws["code"]][:15]
    got = race(app, wrong, "d" * 32)
    # A wrong code is answered "no such workshop" (a redirect to the code form); past the limit, 429.
    assert got == Counter({302: 5, 429: 10}), got
    # The device is now blocked even for the right code; another phone at the same venue is not.
    late = app.test_client()
    late.set_cookie(DEVICE_COOKIE, "d" * 32)
    assert late.get(f"/j/{ws['code']}").status_code == 429
    assert app.test_client().get(f"/j/{ws['code']}").status_code == 200


def test_racing_guesses_at_one_code_from_many_devices_stop_at_the_code_limit(app, make_workshop):
    make_workshop()
    app.config["JOIN_ATTEMPTS_PER_CODE"] = 4
    statuses: list[int] = []
    go = threading.Barrier(12)

    def guess(i: int) -> None:
        browser = app.test_client()
        browser.set_cookie(DEVICE_COOKIE, f"{i:032d}")
        go.wait(10)
        statuses.append(browser.get("/j/999999").status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Counter(statuses) == Counter({302: 4, 429: 8}), statuses


def test_a_window_that_has_passed_starts_counting_again(app):
    from datetime import timedelta

    from facilitator.workshops.models import Throttle

    with app.app_context():
        assert [throttle.hit("device:x", 60) for _ in range(3)] == [1, 2, 3]
        assert throttle.is_blocked("device:x", 3, 60) and not throttle.is_blocked("device:x", 4, 60)
        assert not throttle.allow("device:x", 3, 60)
        row = db.session.get(Throttle, "device:x")
        row.window_start -= timedelta(seconds=61)
        db.session.commit()
        assert not throttle.is_blocked("device:x", 3, 60)
        assert throttle.hit("device:x", 60) == 1
        assert throttle.hit("device:other", 60) == 1
