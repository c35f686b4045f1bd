"""Fixtures for the project-level tests (tests/). Apps import the same fixture in their own conftest.py."""

from tests.smtp_server import smtp_server  # noqa: F401
