"""Helpers for order and payment tests: parallel requests, the stock audit."""

import io
import json
import threading
from collections.abc import Callable

from django.core.management import call_command
from django.db import connection

# The one order body and address, named here too for the tests that import them from here.
from orders.tests.factories import ADDRESS as ADDRESS
from orders.tests.factories import order_body as order_body


def run_in_threads(count: int, target: Callable[[int], object]) -> list[object]:
    """Run ``target(i)`` in ``count`` threads released at the same instant.

    Each thread closes its own database connection, as a server's would.
    Exceptions are returned in place of results so the test can see them.
    """
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung (deadlock?)"
    return results


def stock_audit_report() -> dict:
    """``manage.py audit_stock --json``: what the audit found, as an operator sees it."""
    out = io.StringIO()
    try:
        call_command("audit_stock", "--json", stdout=out)
    except SystemExit as exc:
        # Exit 1 means drift; the report says which.
        assert exc.code == 1, exc.code
    return json.loads(out.getvalue())


def assert_no_stock_drift() -> dict:
    """The closing check of every concurrency and failure test: zero drift."""
    report = stock_audit_report()
    assert report["drift"] == [], report["drift"]
    return report
