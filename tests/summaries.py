"""The fuzzing and failure-drill figures printed at the end of a test run.

The drills (tests/drills) and the fuzzer (tests/fuzz) record what they did in
their own process. Under pytest-xdist (make test) that is a worker: each
worker hands its figures to the controller when it finishes (the root
conftest's hooks), and the controller prints the sums. Without xdist the
figures are read in-process.
"""

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figures:
    drills: list[dict[str, Any]] = field(default_factory=list)
    fuzz_examples: Counter = field(default_factory=Counter)  # "identity operation" -> n
    fuzz_statuses: Counter = field(default_factory=Counter)  # "200" -> n
    fuzz_requests: int = 0
    fuzz_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "drills": self.drills,
            "fuzz_examples": dict(self.fuzz_examples),
            "fuzz_statuses": dict(self.fuzz_statuses),
            "fuzz_requests": self.fuzz_requests,
            "fuzz_seconds": self.fuzz_seconds,
        }

    def add(self, data: dict[str, Any]) -> None:
        self.drills.extend(data.get("drills", []))
        self.fuzz_examples.update(data.get("fuzz_examples", {}))
        self.fuzz_statuses.update(data.get("fuzz_statuses", {}))
        self.fuzz_requests += data.get("fuzz_requests", 0)
        self.fuzz_seconds += data.get("fuzz_seconds", 0.0)


# What the xdist workers sent, summed in the controller.
FROM_WORKERS = Figures()


def local() -> Figures:
    """This process's figures (a worker's, or the whole run's without xdist)."""
    import sys

    figures = Figures()
    drills = sys.modules.get("tests.drills.support")
    if drills is not None:
        figures.drills = [asdict(record) for record in drills.FIGURES]
    fuzz = sys.modules.get("tests.fuzz.conftest")
    if fuzz is not None and fuzz.STATS.examples:
        stats = fuzz.STATS
        figures.fuzz_examples = Counter(
            {f"{identity} {label}": n for (identity, label), n in stats.examples.items()}
        )
        figures.fuzz_statuses = Counter({str(s): n for s, n in stats.statuses.items()})
        figures.fuzz_requests = stats.requests()
        figures.fuzz_seconds = stats.seconds
    return figures


def write(terminalreporter: Any, figures: Figures) -> None:
    line = terminalreporter.write_line
    if figures.fuzz_examples:
        terminalreporter.section("fuzzing (schemathesis)")
        identities = {key.split(" ", 1)[0] for key in figures.fuzz_examples}
        operations = {key.split(" ", 1)[1] for key in figures.fuzz_examples}
        line(
            f"{len(operations)} operations, {sum(figures.fuzz_examples.values())} examples over "
            f"{len(identities)} identities, {figures.fuzz_requests} requests served (checks' "
            f"probes included), {figures.fuzz_seconds:.0f} s"
        )
        statuses = sorted(figures.fuzz_statuses.items(), key=lambda item: int(item[0]))
        line("responses: " + ", ".join(f"{status}: {n}" for status, n in statuses))
    if figures.drills:
        terminalreporter.section("failure drills")
        for record in figures.drills:
            notes = f" ({'; '.join(record['notes'])})" if record["notes"] else ""
            line(
                f"{record['name']}: faults injected {record['faults']}, orders placed during "
                f"faults {record['orders_during_faults']}, stock drift {record['drift']}{notes}"
            )
        line(
            f"total: faults injected {sum(r['faults'] for r in figures.drills)}, orders placed "
            f"during faults {sum(r['orders_during_faults'] for r in figures.drills)}, "
            f"stock drift {sum(r['drift'] for r in figures.drills)}"
        )
