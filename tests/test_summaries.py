"""The end-of-run figures: what xdist workers send is summed, then printed."""

import json

from tests import summaries


class Reporter:
    def __init__(self):
        self.lines: list[str] = []

    def section(self, title: str) -> None:
        self.lines.append(f"== {title}")

    def write_line(self, line: str) -> None:
        self.lines.append(line)


def worker(drill: str, faults: int, examples: dict, statuses: dict, requests: int) -> dict:
    figures = summaries.Figures(
        drills=[{"name": drill, "faults": faults, "orders_during_faults": 2, "drift": 0,
                 "notes": []}],
        fuzz_requests=requests,
        fuzz_seconds=1.5,
    )  # fmt: skip
    figures.fuzz_examples.update(examples)
    figures.fuzz_statuses.update(statuses)
    return json.loads(json.dumps(figures.to_json()))  # as it crosses from the worker


def test_figures_from_two_workers_are_summed_and_printed():
    total = summaries.Figures()
    total.add(worker("a", 3, {"anon GET /v1/products": 4}, {"200": 4}, 10))
    total.add(worker("b", 5, {"customer GET /v1/products": 6}, {"200": 5, "404": 1}, 7))
    reporter = Reporter()

    summaries.write(reporter, total)

    assert reporter.lines == [
        "== fuzzing (schemathesis)",
        "1 operations, 10 examples over 2 identities, 17 requests served (checks' probes "
        "included), 3 s",
        "responses: 200: 9, 404: 1",
        "== failure drills",
        "a: faults injected 3, orders placed during faults 2, stock drift 0",
        "b: faults injected 5, orders placed during faults 2, stock drift 0",
        "total: faults injected 8, orders placed during faults 4, stock drift 0",
    ]


def test_nothing_is_printed_when_no_drill_or_fuzz_ran():
    reporter = Reporter()

    summaries.write(reporter, summaries.Figures())

    assert reporter.lines == []
