"""The benchmark's report: targets read from the run's figures, README kept in step."""

import json
from pathlib import Path

import pytest

from bench import report, run

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


def baselines() -> tuple[dict, dict]:
    return scenario("baseline_django", 1000, 1, 5), scenario("baseline_wsgi", 2000, 1, 3)


def test_read_scenarios_are_judged_against_the_bare_django_view():
    checks = by_what(
        report.targets(
            results(
                *baselines(),
                scenario("product_list_cached", 650, 2, 12),
                scenario("product_detail", 550, 2, 20),
                scenario("users_me", 400, 5, 30),
            )
        )
    )

    listed = checks["product_list_cached: throughput vs bare Django"]
    assert (listed["met"], listed["value"], listed["target"]) == (
        True,
        "0.65 (raw WSGI 0.33)",
        "≥ 0.60",
    )
    detail = checks["product_detail: throughput vs bare Django"]
    assert (detail["met"], detail["missed_by"]) == (False, "8% short")
    me = checks["users_me: throughput vs bare Django"]
    assert (me["met"], me["value"], me["target"]) == (True, "0.40 (raw WSGI 0.20)", "≥ 0.40")


def test_without_the_bare_view_there_is_no_ratio_to_judge():
    checks = report.targets(results(scenario("product_detail", 550, 2, 20)))

    assert checks == []


def test_the_mix_at_the_design_peak_must_keep_its_rate_a_p99_under_50_ms_and_no_errors():
    peak = scenario("mixed_167rps", 150, 8, 60, target_rps=167)

    checks = by_what(report.targets(results(peak)))

    assert checks["mix at 167 req/s: achieved rate"]["met"] is False
    assert checks["mix at 167 req/s: p99"] == {
        "what": "mix at 167 req/s: p99",
        "value": "60 ms",
        "target": "< 50 ms",
        "met": False,
        "missed_by": "1.2x the limit",
    }
    assert checks["mix at 167 req/s: errors"]["met"] is True


def test_the_mix_ceiling_must_reach_1000_per_second_with_a_p99_under_100_ms():
    ceiling = scenario("mixed_ceiling", 1100, 20, 90, connections=32)

    checks = by_what(report.targets(results(ceiling)))

    assert checks["mix ceiling: throughput"]["met"] is True
    assert checks["mix ceiling: p99"]["met"] is True
    slow = by_what(report.targets(results(scenario("mixed_ceiling", 400, 70, 300))))
    assert (
        slow["mix ceiling: throughput"]["met"],
        slow["mix ceiling: throughput"]["missed_by"],
    ) == (
        False,
        "60% short",
    )
    assert slow["mix ceiling: p99"]["met"] is False


def orders_row(created: int, captured: int, drift: int = 0) -> dict:
    stock = {"negative_stock_products": 0, "audit_drift": drift}
    return scenario(
        "order_create", created / 10, 20, 90, seconds=10, statuses={"201": created},
        stock=stock, payments_of_run={"captured": captured},
    )  # fmt: skip


def test_orders_count_only_placed_ones_and_need_every_payment_captured():
    checks = by_what(report.targets(results(orders_row(created=1300, captured=1290))))

    assert checks["orders: placed per second"]["value"] == "130.0 orders/s"
    assert checks["orders: placed per second"]["met"] is True
    assert checks["orders: placed, payment not captured"]["value"] == "10"
    assert checks["orders: placed, payment not captured"]["met"] is False
    assert checks["orders: oversell / stock drift"]["met"] is True


def test_orders_fail_on_any_oversell():
    checks = by_what(report.targets(results(orders_row(created=1300, captured=1300, drift=1))))

    assert checks["orders: placed, payment not captured"]["met"] is True
    assert checks["orders: oversell / stock drift"]["met"] is False


def test_markdown_shows_both_floors_and_every_ratio_to_the_bare_view_with_the_raw_one_beside():
    table = report.markdown(results(*baselines(), scenario("product_detail", 640, 2, 9)))

    assert "| product_detail | 640 | 0.64 | 0.32 | 2 |" in table
    assert "| baseline_django | 1,000 | 1.00 | 0.50 |" in table
    assert "| baseline_wsgi | 2,000 | 2.00 | 1.00 |" in table
    assert "gunicorn 5 sync workers, 2 RQ workers" in table


def test_the_header_says_how_long_the_whole_run_took():
    run = results(*baselines())
    assert "took" not in report.markdown(run)

    run["wall_seconds"] = 510

    assert "1,000 users; the whole run took 8.5 min." in report.markdown(run)


def test_markdown_says_what_each_baseline_includes():
    run = results(*baselines())
    run["config"]["baselines"] = {
        "baseline_django": "bare Django view: SecurityMiddleware and CommonMiddleware only",
        "baseline_wsgi": "raw WSGI callable",
    }

    table = report.markdown(run)

    assert (
        "- `baseline_django`: bare Django view: SecurityMiddleware and CommonMiddleware only."
        in table
    )
    assert "- `baseline_wsgi`: raw WSGI callable." in table


def response_cache(list_hits: int, list_misses: int, detail_hits: int) -> dict:
    return {
        "hits": list_hits + detail_hits,
        "misses": list_misses,
        "hit_ratio": (list_hits + detail_hits) / (list_hits + list_misses + detail_hits),
        "by_view": {
            "product-detail": {"hits": detail_hits, "misses": 0, "hit_ratio": 1.0},
            "product-list": {
                "hits": list_hits,
                "misses": list_misses,
                "hit_ratio": list_hits / (list_hits + list_misses),
            },
        },
    }


def test_mixed_runs_have_their_own_table_with_rate_percentiles_and_cache_hit_ratio():
    table = report.markdown(
        results(
            *baselines(),
            scenario("mixed_167rps", 167, 4, 30, target_rps=167,
                     response_cache=response_cache(780, 220, 1000)),
            scenario("mixed_835rps", 700.5, 400, 3000, target_rps=835,
                     response_cache=response_cache(700, 300, 900)),
            scenario("mixed_ceiling", 950, 30, 120, connections=32,
                     response_cache=response_cache(900, 100, 1000)),
        )
    )  # fmt: skip

    assert (
        "| mixed_167rps | 167 req/s | 167.0 | 4 | 30 | 30 | 60 | 0 | 89.0% | "
        "product-detail 100.0%, product-list 78.0% |"
    ) in table
    assert "| mixed_835rps | 835 req/s | 700.5 | 400 |" in table
    assert "| mixed_ceiling | closed loop, 32 connections | 950.0 | 30 |" in table
    # A constant-rate run's req/s is its schedule, not a capacity: no ratio row.
    assert "| mixed_167rps | 167 | " not in table


def test_every_target_is_printed_with_its_figure_and_by_how_much_it_is_missed():
    table = report.markdown(
        results(*baselines(), scenario("product_list_cached", 360, 2, 12),
                scenario("mixed_167rps", 167, 4, 30, target_rps=167))
    )  # fmt: skip

    assert (
        "| product_list_cached: throughput vs bare Django | 0.36 (raw WSGI 0.18) | ≥ 0.60 "
        "| **no** | 40% short |" in table
    )
    assert "| mix at 167 req/s: p99 | 30 ms | < 50 ms | yes |  |" in table


def test_cache_hits_are_the_counters_difference_over_the_run():
    before = {"product-list": {"hit": 100.0, "miss": 50.0}}
    after = {
        "product-list": {"hit": 880.0, "miss": 270.0},
        "product-detail": {"hit": 500.0, "miss": 0.0},
        "category-list": {"hit": 3.0, "miss": 0.0},
    }

    cache = run.cache_hits(before, {**after, "category-detail": {"hit": 0.0, "miss": 0.0}})

    assert cache == {
        "hits": 1283,
        "misses": 220,
        "hit_ratio": round(1283 / 1503, 4),
        "by_view": {
            "category-list": {"hits": 3, "misses": 0, "hit_ratio": 1.0},
            "product-detail": {"hits": 500, "misses": 0, "hit_ratio": 1.0},
            "product-list": {"hits": 780, "misses": 220, "hit_ratio": 0.78},
        },
    }
    assert run.cache_hits(after, after)["hit_ratio"] is None


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


def test_a_run_writes_its_table_into_the_readme_and_the_same_table_into_results(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    run = results(
        *baselines(),
        scenario("product_list_cached", 650, 2, 12),
        scenario("mixed_167rps", 167, 4, 30, target_rps=167,
                 response_cache=response_cache(780, 220, 1000)),
    )  # fmt: skip

    # No chart: matplotlib is make bench's dependency, not the suite's.
    report.write_reports(run, tmp_path / "results", readme=readme, chart=False)

    assert not (tmp_path / "results" / "latency.png").exists()
    table = (tmp_path / "results" / "results.md").read_text()
    written = json.loads((tmp_path / "results" / "results.json").read_text())
    assert table == report.markdown(written)
    assert written["targets"] == report.targets(run)
    listed = next(row for row in written["scenarios"] if row["scenario"] == "product_list_cached")
    assert (listed["vs_bare_django"], listed["vs_raw_wsgi"]) == (0.65, 0.325)
    assert "vs_bare_django" not in written["scenarios"][-1]  # the constant-rate run
    head, _, rest = (ROOT / "README.md").read_text().partition(report.README_START)
    tail = rest.partition(report.README_END)[2]
    assert readme.read_text() == f"{head}{report.README_START}\n{table}{report.README_END}{tail}"
    assert "| product_list_cached | 650 | 0.65 | 0.33 |" in readme.read_text()


def test_the_readme_shows_the_published_run():
    published = ROOT / "bench" / "results"
    run = json.loads((published / "results.json").read_text())
    table = (published / "results.md").read_text()

    readme = (ROOT / "README.md").read_text()

    assert f"{report.README_START}\n{table}{report.README_END}" in readme
    assert table == report.markdown(run)
    assert (published / "latency.png").read_bytes().startswith(b"\x89PNG")
