"""Write a benchmark run's results: JSON (everything), Markdown (the table), PNG."""

import json
from pathlib import Path
from typing import Any

# The baselines every ratio is read against: the bare Django view (the
# denominator), and the raw WSGI callable shown beside it.
BARE, RAW = "baseline_django", "baseline_wsgi"
BASELINE_NAMES = (BARE, RAW)

# Issue 16's targets, on this 2-core machine with the load generator on it.
# Throughput as a share of the bare Django view (at least):
RATIO_TARGETS = {"product_list_cached": 0.60, "product_detail": 0.60, "users_me": 0.40}
PEAK_RUN = "mixed_167rps"  # the design's peak, 10,000 requests a minute
PEAK_P99_MS = 50
CEILING_RUN = "mixed_ceiling"
CEILING_RPS, CEILING_P99_MS = 1000, 100
ORDERS_PER_S = 120


def is_mixed(row: dict[str, Any]) -> bool:
    return row["scenario"].startswith("mixed_")


def ratios(row: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> tuple[float | None, ...]:
    """``row``'s throughput as a share of the bare Django view and of the raw WSGI one."""
    return tuple(
        row["rps"] / by_name[name]["rps"] if name in by_name and by_name[name]["rps"] else None
        for name in BASELINE_NAMES
    )


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {row["scenario"]: row for row in results["scenarios"]}
    checks: list[dict[str, Any]] = []
    for name, goal in RATIO_TARGETS.items():
        row = by_name.get(name)
        bare, raw = ratios(row, by_name) if row else (None, None)
        if bare is not None:
            beside = f" (raw WSGI {raw:.2f})" if raw is not None else ""
            checks.append(_at_least(f"{name}: throughput vs bare Django", bare, goal,
                                    f"{bare:.2f}{beside}", f"≥ {goal:.2f}"))  # fmt: skip
    peak = by_name.get(PEAK_RUN)
    if peak:
        lat, rate = peak["latency_ms"], peak["target_rps"]
        checks.append(_at_least(f"mix at {rate} req/s: achieved rate", peak["rps"], 0.99 * rate,
                                f"{peak['rps']} req/s", f"{rate} req/s"))  # fmt: skip
        checks.append(_below(f"mix at {rate} req/s: p99", lat["p99"], PEAK_P99_MS,
                             f"{lat['p99']} ms", f"< {PEAK_P99_MS} ms"))  # fmt: skip
        checks.append(_zero(f"mix at {rate} req/s: errors", peak["errors"]))
    ceiling = by_name.get(CEILING_RUN)
    if ceiling:
        lat = ceiling["latency_ms"]
        checks.append(_at_least("mix ceiling: throughput", ceiling["rps"], CEILING_RPS,
                                f"{ceiling['rps']} req/s", f"≥ {CEILING_RPS:,} req/s"))  # fmt: skip
        checks.append(_below("mix ceiling: p99", lat["p99"], CEILING_P99_MS,
                             f"{lat['p99']} ms", f"< {CEILING_P99_MS} ms"))  # fmt: skip
        checks.append(_zero("mix ceiling: errors", ceiling["errors"]))
    orders = by_name.get("order_create")
    if orders:
        placed = orders["statuses"].get("201", 0)
        rate = placed / orders["seconds"] if orders["seconds"] else 0.0
        checks.append(_at_least("orders: placed per second", rate, ORDERS_PER_S,
                                f"{rate:.1f} orders/s", f"≥ {ORDERS_PER_S}/s"))  # fmt: skip
        if "payments_of_run" in orders:
            captured = orders["payments_of_run"].get("captured", 0)
            checks.append(_zero("orders: placed, payment not captured", max(0, placed - captured)))
        stock = orders["stock"]
        checks.append(_zero("orders: oversell / stock drift",
                            stock["negative_stock_products"] + stock["audit_drift"]))  # fmt: skip
    return checks


def _at_least(what: str, value: float, goal: float, shown: str, target: str) -> dict[str, Any]:
    met = value >= goal
    return _check(what, shown, met, target, "" if met else f"{1 - value / goal:.0%} short")


def _below(what: str, value: float, limit: float, shown: str, target: str) -> dict[str, Any]:
    met = value < limit
    return _check(what, shown, met, target, "" if met else f"{value / limit:.1f}x the limit")


def _zero(what: str, value: int) -> dict[str, Any]:
    return _check(what, str(value), value == 0, "0", "" if value == 0 else f"{value} too many")


def _check(what: str, value: str, met: bool, target: str, missed_by: str = "") -> dict[str, Any]:
    return {"what": what, "value": value, "target": target, "met": met, "missed_by": missed_by}


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def _hits(cache: dict[str, Any] | None) -> tuple[str, str]:
    """The run's hit ratio, and each view's (the list's is the one orders move)."""
    if not cache or cache.get("hit_ratio") is None:
        return "", ""
    views = ", ".join(
        f"{view} {counts['hit_ratio']:.1%}"
        for view, counts in cache["by_view"].items()
        if counts["hit_ratio"] is not None
    )
    return f"{cache['hit_ratio']:.1%}", views


def markdown(results: dict[str, Any]) -> str:
    rows = results["scenarios"]
    by_name = {row["scenario"]: row for row in rows}
    machine, config = results["machine"], results["config"]
    lines = [
        f"Run {results['generated_at']} at commit `{results['git_commit'][:12]}` on "
        f"{machine['cpus']} x {machine['cpu_model'] or 'CPU'} (Python {machine['python']}); "
        f"{_front(config)}gunicorn {config['gunicorn_workers']} "
        f"{config['gunicorn_worker_class']} workers{_threads(config)}, "
        f"{config['rq_workers']} RQ workers, {config['load_generator']}; "
        f"{results['data']['products']:,} products, {results['data']['users']:,} users"
        f"{_took(results)}.",
        "",
    ]
    described = config.get("baselines", {})
    for name in BASELINE_NAMES:
        if what := name in by_name and (described.get(name) or by_name[name].get("note")):
            lines.append(f"- `{name}`: {what}.")
    lines += [
        "- Ratios are req/s over the bare Django view's (`vs bare Django`), with the raw "
        "WSGI callable's beside it (`vs raw WSGI`), both measured in the same rounds.",
        "",
        "| scenario | req/s | vs bare Django | vs raw WSGI | p50 ms | p95 ms | p99 ms | max ms "
        "| errors | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if is_mixed(row):
            continue
        lat = row["latency_ms"]
        bare, raw = ratios(row, by_name)
        lines.append(
            f"| {row['scenario']} | {row['rps']:,.0f} | {_ratio(bare)} | {_ratio(raw)} | "
            f"{lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} | {row['errors']} | "
            f"{row.get('note', '')} |"
        )
    mixed = [row for row in rows if is_mixed(row)]
    if mixed:
        lines += [
            "",
            "| shop mix | offered | achieved req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
            "| cache hits | by view |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in mixed:
            lat = row["latency_ms"]
            offered = (
                f"{row['target_rps']:,} req/s"
                if row.get("target_rps")
                else f"closed loop, {row.get('connections', '')} connections"
            )
            hits, views = _hits(row.get("response_cache"))
            lines.append(
                f"| {row['scenario']} | {offered} | {row['rps']:,.1f} | {lat['p50']} | "
                f"{lat['p95']} | {lat['p99']} | {lat['max']} | {row['errors']} | {hits} | "
                f"{views} |"
            )
    checks = targets(results)
    if checks:
        lines += [
            "",
            "| target (issue 16) | measured | goal | met | missed by |",
            "|---|---:|---:|:---:|---:|",
        ]
        lines += [
            f"| {c['what']} | {c['value']} | {c['target']} | {'yes' if c['met'] else '**no**'} "
            f"| {c['missed_by']} |"
            for c in checks
        ]
    return "\n".join(lines) + "\n"


def _took(results: dict[str, Any]) -> str:
    seconds = results.get("wall_seconds")
    return f"; the whole run took {seconds / 60:.1f} min" if seconds else ""


def _front(config: dict[str, Any]) -> str:
    # Runs before the web role had nginx recorded no "server": gunicorn alone.
    return "nginx in front of " if config.get("server") == "web" else ""


def _threads(config: dict[str, Any]) -> str:
    threads = config.get("gunicorn_threads", 1)
    return f" x {threads} threads" if threads > 1 else ""


# The README shows the published run's table between these lines.
README_START = "<!-- bench:results:start (written by make bench) -->"
README_END = "<!-- bench:results:end -->"


def readme_update(readme: Path, table: str) -> None:
    """Put ``table`` between the README's markers; the figures are never typed in."""
    text = readme.read_text()
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        raise RuntimeError(f"{readme} has no {README_START} ... {README_END} block")
    readme.write_text(f"{head}{start}\n{table}{end}{tail}")


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["scenarios"]
    keys = ["p50", "p95", "p99"]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    width = 0.8 / len(keys)
    for n, key in enumerate(keys):
        values = [row["latency_ms"][key] for row in rows]
        xs = [i + (n - 1) * width for i in range(len(rows))]
        bars = ax.bar(xs, values, width, label=key)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_xticks(range(len(rows)), [row["scenario"] for row in rows], rotation=20, ha="right")
    ax.set_title(
        f"Latency percentiles per scenario ({results['machine']['cpus']} CPUs, "
        f"{results['generated_at']})"
    )
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def rerender(out: Path, readme: Path | None) -> None:
    """Write the table, README block and plot again from a run's results.json."""
    results = json.loads((out / "results.json").read_text())
    write_reports(results, out, readme=readme)


def write_reports(
    results: dict[str, Any], out: Path, readme: Path | None = None, *, chart: bool = True
) -> None:
    """results.json, results.md, the README's table and (``chart``) latency.png.

    The chart needs matplotlib, which ``make bench`` installs (requirements/bench.txt)
    and ``make test`` does not.
    """
    out.mkdir(parents=True, exist_ok=True)
    by_name = {row["scenario"]: row for row in results["scenarios"]}
    for row in results["scenarios"]:
        if not is_mixed(row):
            bare, raw = ratios(row, by_name)
            row["vs_bare_django"] = round(bare, 4) if bare is not None else None
            row["vs_raw_wsgi"] = round(raw, 4) if raw is not None else None
    results["targets"] = targets(results)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (out / "results.md").write_text(table)
    if readme is not None:
        readme_update(readme, table)
    if chart:
        plot(results, out / "latency.png")
    print((out / "results.md").read_text())


if __name__ == "__main__":
    # python -m bench.report: re-render bench/results (and the README) from
    # the published run's results.json, after a change to the report's layout.
    root = Path(__file__).resolve().parents[1]
    rerender(root / "bench" / "results", root / "README.md")
