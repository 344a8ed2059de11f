"""Write a benchmark run's results: JSON (everything), Markdown (the table), PNG."""

import json
from pathlib import Path
from typing import Any

# The targets, checked against the run's own figures.
CACHED = ("product_list_cached", "product_detail")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {row["scenario"]: row for row in results["scenarios"]}
    checks: list[dict[str, Any]] = []
    base = by_name.get("baseline")
    for name in CACHED:
        row = by_name.get(name)
        if row and base:
            ratio = row["rps"] / base["rps"]
            checks.append(_check(f"{name}: throughput vs baseline", f"{ratio:.0%}", ratio >= 0.6,
                                 "≥ 60%"))  # fmt: skip
        if row:
            p99 = row["latency_ms"]["p99"]
            checks.append(_check(f"{name}: p99 at {results['config']['connections']} connections",
                                 f"{p99} ms", p99 < 15, "< 15 ms"))  # fmt: skip
    # The target rate: ten times the design's peak of 10,000 requests a minute.
    mixed = by_name.get("mixed_1667rps")
    if mixed:
        lat = mixed["latency_ms"]
        checks.append(_check("mixed at constant rate: achieved rate",
                             f"{mixed['rps']} req/s", mixed["rps"] >= 0.99 * mixed["target_rps"],
                             f"{mixed['target_rps']} req/s"))  # fmt: skip
        checks.append(_check("mixed: p50", f"{lat['p50']} ms", lat["p50"] < 10, "< 10 ms"))
        checks.append(_check("mixed: p99", f"{lat['p99']} ms", lat["p99"] < 50, "< 50 ms"))
        checks.append(_check("mixed: errors", str(mixed["errors"]), mixed["errors"] == 0, "0"))
    orders = by_name.get("order_create")
    if orders:
        lat = orders["latency_ms"]
        checks.append(_check("orders: throughput", f"{orders['rps']} orders/s",
                             orders["rps"] >= 300, "≥ 300/s"))  # fmt: skip
        checks.append(_check("orders: p99", f"{lat['p99']} ms", lat["p99"] < 100, "< 100 ms"))
        stock = orders["stock"]
        oversold = stock["negative_stock_products"] + stock["audit_drift"]
        checks.append(_check("orders: oversell / stock drift", str(oversold), oversold == 0, "0"))
    return checks


def _check(what: str, value: str, met: bool, target: str) -> dict[str, Any]:
    return {"what": what, "value": value, "target": target, "met": met}


def markdown(results: dict[str, Any]) -> str:
    base = next((r for r in results["scenarios"] if r["scenario"] == "baseline"), None)
    machine, config = results["machine"], results["config"]
    lines = [
        f"Run {results['generated_at']} at commit `{results['git_commit'][:12]}` on "
        f"{machine['cpus']} x {machine['cpu_model'] or 'CPU'} (Python {machine['python']}); "
        f"{_front(config)}gunicorn {config['gunicorn_workers']} "
        f"{config['gunicorn_worker_class']} workers{_threads(config)}, "
        f"{config['rq_workers']} RQ workers, {config['load_generator']}; "
        f"{results['data']['products']:,} products, {results['data']['users']:,} users.",
        "",
        "| scenario | req/s | vs baseline | p50 ms | p95 ms | p99 ms | max ms | errors | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["scenarios"]:
        lat = row["latency_ms"]
        # A constant-rate run's req/s is its schedule, not a capacity: no ratio.
        ratio = f"{row['rps'] / base['rps']:.0%}" if base and "target_rps" not in row else ""
        lines.append(
            f"| {row['scenario']} | {row['rps']:,.0f} | {ratio} | {lat['p50']} | {lat['p95']} | "
            f"{lat['p99']} | {lat['max']} | {row['errors']} | {row.get('note', '')} |"
        )
    checks = targets(results)
    if checks:
        lines += ["", "| target | measured | goal | met |", "|---|---:|---:|:---:|"]
        lines += [
            f"| {c['what']} | {c['value']} | {c['target']} | {'yes' if c['met'] else '**no**'} |"
            for c in checks
        ]
    return "\n".join(lines) + "\n"


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


def write_reports(results: dict[str, Any], out: Path, readme: Path | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    results["targets"] = targets(results)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (out / "results.md").write_text(table)
    if readme is not None:
        readme_update(readme, table)
    plot(results, out / "latency.png")
    print((out / "results.md").read_text())


if __name__ == "__main__":
    # python -m bench.report: re-render bench/results (and the README) from
    # the published run's results.json, after a change to the report's layout.
    root = Path(__file__).resolve().parents[1]
    rerender(root / "bench" / "results", root / "README.md")
