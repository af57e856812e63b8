"""Benchmark the embed widget and the share image with wrk, on SQLite and PostgreSQL.

For each database: a fresh database, `flask db upgrade`, `flask campaigns load` (and, with
--seed N, N confirmed signatures, as bench/sign.py seeds them), the app under
`gunicorn -w 2` on a free loopback port with the settings bench/sign.py uses, then after
an unmeasured warm-up each, these wrk runs (bench/lua/get.lua, no cookie):

  embed        GET /embed/<slug>: the widget, with a fresh signed form token and render
               stamp in each response. Expects 200 and Cache-Control: no-store.
  embed ref    GET /embed/<slug>?referrer=bench-ally (an ally's link)
  embed ar     GET /embed/<slug>?lang=ar (right to left, the Arabic catalogue)
  share image  GET the campaign page's og:image (/c/<slug>/share-en-<bucket>.png) after
               one GET has drawn it: served from its file. Expects 200 and
               Cache-Control: ... immutable.

Before the runs, checks: two widget GETs a second apart carry different form tokens,
set no cookie and say no-store; the first share image GET draws it (its time is
reported), the second is served from the file. Goals (the issue's): the widget at
>= 1,000 req/s with p99 < 50 ms on both databases, the share image at >= 1,000 req/s.
Errors (unexpected status, socket errors, a wrong Cache-Control, a failed check) make
the exit status non-zero; missed speed goals alone do not. The JSON goes to
bench/out/embed-<timestamp>.json.

    .venv/bin/python bench/embed.py [--duration 20] [--connections 16] [--threads 2]
                                    [--databases sqlite,postgresql] [--pg-url URL]
                                    [--seed 0]
"""

import argparse
import os
import re
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sign import (  # noqa: E402
    ROOT,
    SLUG,
    VENV_BIN,
    BenchError,
    CpuAccount,
    Gunicorn,
    MeasuredRun,
    RssSampler,
    add_wrk_arguments,
    app_env,
    app_helper,
    exit_status,
    failures_recorded,
    fmt,
    http_get,
    log,
    measured_fields,
    migrate_and_load,
    parse_count,
    parse_wrk_arguments,
    print_run_notes,
    recreate_postgres,
    run_command,
    run_wrk,
    work_folder,
    write_report,
)

EMBED_PATH = f"/embed/{SLUG}"
CAMPAIGN_PATH = f"/c/{SLUG}"
RPS_TARGET = 1000.0
P99_TARGET_MS = 50.0

SCENARIOS = (
    # key, label, path (None: found at run time), Cache-Control word expected
    ("embed", "embed GET", EMBED_PATH, "no-store"),
    ("embed_referrer", "embed GET ?referrer=", f"{EMBED_PATH}?referrer=bench-ally", "no-store"),
    ("embed_ar", "embed GET ?lang=ar", f"{EMBED_PATH}?lang=ar", "no-store"),
    ("share_image", "share image GET", None, "immutable"),
)
# Which scenarios each goal applies to.
P99_GOAL = {"embed", "embed_referrer", "embed_ar"}
RPS_GOAL = {"embed", "embed_referrer", "embed_ar", "share_image"}


@dataclass(kw_only=True)
class Run(MeasuredRun):
    """One measured wrk run of GETs of one path."""

    path: str


def measure(opts, server: Gunicorn, key: str, label: str, path: str, cache_word: str) -> Run:
    """A warm-up, then one measured run of GETs of `path`, with memory and CPU accounting."""
    url = server.base_url + path
    run_wrk(opts, url, "get.lua", [cache_word], opts.warmup)
    with RssSampler(server) as sampler, CpuAccount(server) as cpu:
        result = run_wrk(opts, url, "get.lua", [cache_word], opts.duration)
    counted = {"wrong_cache_control": result.counters.get("wrong_cache_control", 0)}
    return Run(
        key=key,
        label=label,
        path=path,
        **measured_fields(result, server, sampler, cpu, 200, counted),
    )


def form_token(html: str) -> str | None:
    """The widget form's signed token."""
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    return match.group(1) if match else None


def check_widget(base_url: str, checks: dict) -> None:
    """Two widget GETs 1.1 s apart: different tokens, no cookie, no-store.

    The token carries its time in whole seconds, so only GETs in different seconds can
    tell a token made per response from one kept with a shared rendering.
    """
    first = http_get(base_url + EMBED_PATH)
    time.sleep(1.1)
    second = http_get(base_url + EMBED_PATH)
    tokens = [form_token(html) for _, html, _ in (first, second)]
    statuses = [status for status, _, _ in (first, second)]
    checks["token_per_render"] = {
        "ok": statuses == [200, 200] and None not in tokens and tokens[0] != tokens[1],
        "detail": f"statuses {statuses}, two GETs gave "
        + ("different tokens" if tokens[0] != tokens[1] else "the same token"),
    }
    headers = second[2]
    checks["widget_headers"] = {
        "ok": "no-store" in headers.get("cache-control", "") and "set-cookie" not in headers,
        "detail": f"Cache-Control {headers.get('cache-control')!r}, "
        f"Set-Cookie {'present' if 'set-cookie' in headers else 'absent'}",
    }


def share_image_path(base_url: str) -> str:
    """The path of the campaign page's og:image (its current count bucket)."""
    status, html, _ = http_get(base_url + CAMPAIGN_PATH)
    match = re.search(r'<meta property="og:image" content="([^"]+)"', html)
    if status != 200 or not match:
        raise BenchError(f"no og:image on {CAMPAIGN_PATH} (status {status})")
    return urlsplit(match.group(1).replace("&amp;", "&")).path


def draw_share_image(base_url: str, path: str, checks: dict, result: dict) -> None:
    """GET the image twice: the first draws it, the second is served from its file."""
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        status, _, headers = http_get(base_url + path)
        timings.append((status, (time.perf_counter() - started) * 1000))
    result["share_image_first_ms"] = round(timings[0][1], 1)
    result["share_image_second_ms"] = round(timings[1][1], 1)
    checks["share_image_drawn"] = {
        "ok": [t[0] for t in timings] == [200, 200] and headers.get("content-type") == "image/png",
        "detail": f"{path}: first GET {timings[0][1]:.0f} ms (drawn), second "
        f"{timings[1][1]:.1f} ms (from the file), Cache-Control "
        f"{headers.get('cache-control')!r}",
    }


def bench_database(opts, kind: str, work: Path) -> dict:
    """Prepare one database, serve the app, run every scenario; failures are recorded."""
    result = {"database": kind, "seed": opts.seed, "runs": {}, "checks": {}, "errors": []}
    with failures_recorded(opts, kind, kind, result):
        if kind == "sqlite":
            database_url = f"sqlite:///{work / 'rally.sqlite3'}"
        else:
            database_url = opts.pg_url
            recreate_postgres(opts.pg_url)
        env = app_env(database_url)
        env["SHARE_IMAGES_PATH"] = str(work / "share-images")
        migrate_and_load(kind, env)
        if opts.seed:
            log(f"[{kind}] seeding {opts.seed:,} confirmed signatures")
            app_helper(env, "seed", "--slug", SLUG, "--count", str(opts.seed))
            run_command([str(VENV_BIN / "flask"), "campaigns", "recount", SLUG], env)
        with Gunicorn("wsgi:app", env, ROOT, work / "gunicorn.log", opts.workers) as server:
            server.wait_ready(EMBED_PATH)
            check_widget(server.base_url, result["checks"])
            image_path = share_image_path(server.base_url)
            draw_share_image(server.base_url, image_path, result["checks"], result)
            for key, label, path, cache_word in SCENARIOS:
                path = path or image_path
                log(f"[{kind}] {label}: GET {path} for {opts.duration}s")
                result["runs"][key] = measure(opts, server, key, label, path, cache_word)
    return result


def evaluate(result: dict) -> None:
    """PASS/MISS per goal and run."""
    targets = []
    for key, run in result["runs"].items():
        if key in RPS_GOAL:
            targets.append(
                {
                    "target": f"{run.label} >= {RPS_TARGET:.0f} req/s",
                    "value": run.rps,
                    "pass": run.rps >= RPS_TARGET,
                }
            )
        if key in P99_GOAL:
            targets.append(
                {
                    "target": f"{run.label} p99 < {P99_TARGET_MS:.0f} ms",
                    "value": run.p99_ms,
                    "pass": run.p99_ms is not None and run.p99_ms < P99_TARGET_MS,
                }
            )
    result["targets"] = targets


def print_report(results: list[dict], opts, elapsed: float) -> None:
    """The table of runs, the goals, the checks and notes."""
    print()
    print(
        f"Rally embed benchmark: gunicorn -w {opts.workers}, wrk -t{opts.threads} "
        f"-c{opts.connections} -d{opts.duration}s --latency, {os.cpu_count()} CPUs; "
        f"seeded: {opts.seed:,} confirmed signatures. Rate limiting OFF."
    )
    header = (
        f"{'database':<11} {'scenario':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'peak RSS MB':>12} {'other CPU %':>12}"
    )
    print(header, "-" * len(header), sep="\n")
    for result in results:
        for key, label, _, _ in SCENARIOS:
            run = result["runs"].get(key)
            if run is None:
                print(f"{result['database']:<11} {label + ' (not run)':<22}")
                continue
            print(
                f"{result['database']:<11} {label:<22} {run.rps:>9.1f} "
                f"{fmt(run.p50_ms, '.1f'):>8} {fmt(run.p99_ms, '.1f'):>8} {run.errors:>7d} "
                f"{run.peak_rss_mb:>12.1f} {run.cpu_percent['other']:>12.0f}"
            )
    print("\nGoals")
    for result in results:
        for target in result["targets"]:
            verdict = "PASS" if target["pass"] else "MISS"
            print(
                f"  {result['database']:<11} {target['target']:<36} "
                f"{fmt(target['value'], '.1f'):>9}  {verdict}"
            )
    print("\nChecks")
    for result in results:
        for name, check in result["checks"].items():
            verdict = "OK" if check["ok"] else "FAILED"
            print(f"  {result['database']:<11} {name:<18} {verdict}: {check['detail']}")
        for error in result["errors"]:
            print(f"  {result['database']:<11} ERROR: {error}")
    print("\nNotes")
    for result in results:
        for run in result["runs"].values():
            print_run_notes(f"{result['database']:<11}", run)
    print(f"\nWhole run: {elapsed:.0f} s")


def write_json(results: list[dict], opts, started: datetime, elapsed: float) -> Path:
    """Write the results to bench/out/embed-<timestamp>.json."""
    targets = {"rps_min": RPS_TARGET, "embed_p99_ms_max": P99_TARGET_MS}
    databases = [{**r, "runs": {k: asdict(run) for k, run in r["runs"].items()}} for r in results]
    return write_report("embed", opts, started, elapsed, {"seed": opts.seed}, targets, databases)


def parse_args() -> argparse.Namespace:
    """Command-line options (the wrk, gunicorn and database ones from bench/sign.py)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_wrk_arguments(parser)
    parser.add_argument(
        "--seed", default="0", help="confirmed signatures to insert first (k and M allowed)"
    )
    opts = parse_wrk_arguments(parser)
    try:
        opts.seed = parse_count(opts.seed)
    except ValueError as error:
        parser.error(f"--seed: {error}")
    return opts


def main() -> int:
    """Run every selected database, report, and return the exit status."""
    opts = parse_args()
    started, clock = datetime.now(UTC), time.monotonic()
    results = []
    with work_folder(opts, "rally-bench-embed-") as work:
        for kind in opts.databases:
            folder = work / kind
            folder.mkdir()
            result = bench_database(opts, kind, folder)
            evaluate(result)
            results.append(result)
    elapsed = time.monotonic() - clock
    print_report(results, opts, elapsed)
    print(f"JSON: {write_json(results, opts, started, elapsed).relative_to(ROOT)}")
    return exit_status(results, "runs")


if __name__ == "__main__":
    sys.exit(main())
