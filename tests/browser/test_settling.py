"""The browser tests' teardown waits for the live server's statements before the flush."""

import threading
import time

from django.db import connection, connections, transaction

from tests.browser.conftest import wait_for_other_sessions_to_settle


def hold_a_transaction(seconds: float, started: threading.Event) -> None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            started.set()
            cursor.execute("SELECT pg_sleep(%s)", [seconds])
    finally:
        connections.close_all()


def test_the_wait_lasts_until_another_session_has_committed():
    # given: another session inside a transaction for 0.6 s
    started = threading.Event()
    other = threading.Thread(target=hold_a_transaction, args=(0.6, started))
    other.start()
    assert started.wait(5)
    begun = time.monotonic()
    # when
    settled = wait_for_other_sessions_to_settle(timeout=5)
    # then
    assert settled
    assert time.monotonic() - begun >= 0.4
    other.join(5)
    assert not other.is_alive()


def test_the_wait_gives_up_after_its_timeout():
    # given: another session busy for longer than the wait
    started = threading.Event()
    other = threading.Thread(target=hold_a_transaction, args=(1.5, started))
    other.start()
    assert started.wait(5)
    # when
    settled = wait_for_other_sessions_to_settle(timeout=0.2)
    # then
    assert not settled
    other.join(5)
