"""Every environment variable the settings read is documented in .env.example and in README.md."""

import re

import pytest

from tests.harness import ROOT

SETTINGS = sorted((ROOT / "config" / "settings").glob("*.py"))
READ = re.compile(r"""\benv(?:\.(?:bool|int|list|db|email_url|str|float))?\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def names_read_by_settings() -> list[str]:
    return sorted({name for path in SETTINGS for name in READ.findall(path.read_text())})


def test_the_settings_are_parsed():
    names = names_read_by_settings()
    # A sample from each kind of call, so a broken regex cannot make the tests below pass on nothing.
    assert {"DJANGO_SECRET_KEY", "DJANGO_DEBUG", "JWT_ACCESS_MINUTES", "CORS_ALLOWED_ORIGINS", "DATABASE_URL"} <= set(
        names
    )
    assert {"EMAIL_URL", "DJANGO_SECURE_HSTS_SECONDS", "LOG_LEVEL"} <= set(names)


@pytest.mark.parametrize("name", names_read_by_settings())
def test_env_example_lists_the_variable_with_its_default(name):
    env_example = (ROOT / ".env.example").read_text()
    assert re.search(rf"^#?\s*{name}=", env_example, re.MULTILINE), f"{name} missing from .env.example"


@pytest.mark.parametrize("name", names_read_by_settings())
def test_readme_documents_the_variable(name):
    assert f"`{name}`" in (ROOT / "README.md").read_text(), f"{name} missing from README.md"
