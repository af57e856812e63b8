"""Exports tests: the job queue and the export files live in the test's own folder."""

import pytest


@pytest.fixture
def config_overrides(tmp_path):
    return {
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "EXPORTS_PATH": str(tmp_path / "exports"),
    }
