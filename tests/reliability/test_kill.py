"""SIGKILL the real server mid-write, restart it: nothing committed is lost, nothing is
half-written, an interrupted run is marked failed and can be run again.

One kill per scenario here, at a seeded random moment; ``benchmarks/bench_reliability.py``
runs 30.
"""

from pathlib import Path

import pytest

from tests.reliability.kill import KILL_SCENARIOS, Template, make_template, run_scenario

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("kill") / "template.db")


@pytest.mark.parametrize("scenario", KILL_SCENARIOS)
def test_a_server_killed_mid_write_restarts_with_everything_committed_and_nothing_half_written(
    scenario: str, template: Template, tmp_path: Path
) -> None:
    outcome = run_scenario(scenario, template, tmp_path, seed=KILL_SCENARIOS.index(scenario))
    assert outcome.scenario == scenario
