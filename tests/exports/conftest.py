"""Exports tests: the job queue and the export files live in the test's own folder."""

import pytest


@pytest.fixture
def extra_config():
    """Parametrize this (not config_overrides) to change more settings in a test."""
    return {}


@pytest.fixture
def config_overrides(tmp_path, extra_config):
    return {
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "EXPORTS_PATH": str(tmp_path / "exports"),
        **extra_config,
    }
