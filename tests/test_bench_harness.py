"""The benchmarks' judgement: wrk's report read right, and a missed budget is a failure."""

from __future__ import annotations

from bench.harness import WrkResult
from bench.lookup import Outcome, judge

# wrk 4.1.0's report, as printed with --latency.
WRK_REPORT = """\
Running 4s test @ http://127.0.0.1:40123
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.52ms    3.10ms  45.01ms   80.12%
    Req/Sec     1.53k   120.45     1.80k    70.00%
  Latency Distribution
     50%    9.87ms
     75%   11.20ms
     90%   13.45ms
     99%   21.30ms
  12204 requests in 4.00s, 3.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   3050.12
Transfer/sec:    793.45KB
"""


def test_a_wrk_report_is_read_with_its_units_and_errors() -> None:
    result = WrkResult.parse(WRK_REPORT)
    assert result.rps == 3050.12
    assert (result.p50, result.p90, result.p99) == (9.87, 13.45, 21.30)
    assert result.errors == 5 + 2 + 1


def test_microseconds_and_seconds_become_milliseconds() -> None:
    report = WRK_REPORT.replace("9.87ms", "870.00us").replace("21.30ms", "1.20s")
    result = WrkResult.parse(report)
    assert result.p50 == 0.87
    assert result.p99 == 1200.0
    clean = WrkResult.parse(
        WRK_REPORT.replace("  Non-2xx or 3xx responses: 5\n", "").replace(
            "  Socket errors: connect 0, read 2, write 0, timeout 1\n", ""
        )
    )
    assert clean.errors == 0


def outcome(lookup_rps: float, lookup_p99: float, write_rps: float) -> Outcome:
    def run(rps: float, p99: float) -> list[WrkResult]:
        return [WrkResult(rps=rps, p50=p99 / 2, p90=p99 * 0.8, p99=p99, errors=0)]

    return Outcome(
        "sqlite",
        {
            "bare": run(4000, 20.0),
            "lookup": run(lookup_rps, lookup_p99),
            "write": run(write_rps, 40.0),
        },
    )


def test_budgets_met_leave_no_failure() -> None:
    met = outcome(lookup_rps=3200, lookup_p99=30.0, write_rps=2000)
    judge(met)
    assert met.failures == []


def test_each_missed_budget_is_named() -> None:
    missed = outcome(lookup_rps=3100, lookup_p99=31.0, write_rps=1900)
    judge(missed)
    assert len(missed.failures) == 3
    assert missed.failures[0].startswith("lookup 0.78x")
    assert missed.failures[1].startswith("lookup p99 1.55x")
    assert missed.failures[2].startswith("write 0.47x")
