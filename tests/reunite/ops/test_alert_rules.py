"""The suggested alerts are valid rules and use functions fit for each metric's type."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "prometheus-alerts.yml"
# Functions that only mean something on a counter (or a histogram's counters).
COUNTER_ONLY = re.compile(r"\b(?:increase|rate|irate|resets)\(\s*(reunite_\w+)")


def _expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_counter_functions_are_used_only_on_counters():
    misused = [
        name
        for expr in _expressions()
        for name in COUNTER_ONLY.findall(expr)
        if not name.endswith(("_bucket", "_count", "_sum", "_total"))
    ]
    assert misused == [], "these reunite_* series are gauges: use delta() or deriv()"


def test_promtool_accepts_the_rules():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is needed: apt-get install prometheus (make lint installs it)")
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
