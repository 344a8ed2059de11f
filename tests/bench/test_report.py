"""The benchmark's report: targets read from the run's figures, README kept in step."""

import json
from pathlib import Path

import pytest

from bench import report

ROOT = Path(__file__).resolve().parents[2]


def scenario(name: str, rps: float, p50: float, p99: float, **extra) -> dict:
    latency = {"p50": p50, "p90": p99, "p95": p99, "p99": p99, "max": p99 * 2}
    return {"scenario": name, "rps": rps, "errors": 0, "latency_ms": latency, **extra}


def results(*scenarios: dict) -> dict:
    return {
        "generated_at": "2026-11-28T10:00:00Z",
        "git_commit": "0123456789abcdef",
        "machine": {"cpus": 2, "cpu_model": "Test CPU", "python": "3.11.7"},
        "config": {
            "gunicorn_workers": 5,
            "gunicorn_worker_class": "sync",
            "gunicorn_threads": 1,
            "rq_workers": 2,
            "connections": 32,
            "load_generator": "wrk",
        },
        "data": {"products": 10000, "users": 1000},
        "scenarios": list(scenarios),
    }


def by_what(checks: list[dict]) -> dict[str, dict]:
    return {check["what"]: check for check in checks}


def test_cached_scenarios_are_judged_against_the_baseline():
    checks = by_what(
        report.targets(
            results(
                scenario("baseline", 1000, 1, 5),
                scenario("product_list_cached", 650, 2, 12),
                scenario("product_detail", 550, 2, 20),
            )
        )
    )

    assert checks["product_list_cached: throughput vs baseline"]["met"] is True
    assert checks["product_list_cached: throughput vs baseline"]["value"] == "65%"
    assert checks["product_detail: throughput vs baseline"]["met"] is False
    assert checks["product_list_cached: p99 at 32 connections"]["met"] is True
    assert checks["product_detail: p99 at 32 connections"]["met"] is False


def test_mixed_run_must_reach_its_rate_with_no_errors():
    slow = scenario("mixed_1667rps", 1200, 8, 40, target_rps=1667)

    checks = by_what(report.targets(results(slow)))

    assert checks["mixed at constant rate: achieved rate"]["met"] is False
    assert checks["mixed: p50"]["met"] is True
    assert checks["mixed: p99"]["met"] is True
    assert checks["mixed: errors"]["met"] is True


def test_orders_fail_on_any_oversell():
    stock = {"negative_stock_products": 0, "audit_drift": 1}
    orders = scenario("order_create", 320, 20, 90, stock=stock)

    checks = by_what(report.targets(results(orders)))

    assert checks["orders: throughput"]["met"] is True
    assert checks["orders: p99"]["met"] is True
    assert checks["orders: oversell / stock drift"]["met"] is False


def test_markdown_has_a_row_per_scenario_and_the_ratio_to_the_baseline():
    table = report.markdown(
        results(scenario("baseline", 1000, 1, 5), scenario("product_detail", 640, 2, 9))
    )

    assert "| product_detail | 640 | 64% | 2 |" in table
    assert "gunicorn 5 sync workers, 2 RQ workers" in table


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Shop\n\n{report.README_START}\nold\n{report.README_END}\n\nafter\n")

    report.readme_update(readme, "| new | table |\n")

    assert readme.read_text() == (
        f"# Shop\n\n{report.README_START}\n| new | table |\n{report.README_END}\n\nafter\n"
    )


def test_readme_without_the_block_is_an_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Shop\n")

    with pytest.raises(RuntimeError, match="bench:results"):
        report.readme_update(readme, "| table |\n")


def test_the_readme_shows_the_published_run():
    published = ROOT / "bench" / "results"
    run = json.loads((published / "results.json").read_text())
    table = (published / "results.md").read_text()

    readme = (ROOT / "README.md").read_text()

    assert f"{report.README_START}\n{table}{report.README_END}" in readme
    assert table == report.markdown(run)
    assert (published / "latency.png").read_bytes().startswith(b"\x89PNG")


def test_constant_rate_rows_have_no_ratio_to_the_baseline():
    table = report.markdown(
        results(
            scenario("baseline", 1000, 1, 5),
            scenario("mixed_167rps", 167, 4, 30, target_rps=167),
        )
    )

    assert "| mixed_167rps | 167 |  | 4 |" in table
