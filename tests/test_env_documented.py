"""Every environment variable is documented: the settings' in .env.example, and every variable the settings,
start.sh and deploy/gunicorn.conf.py read in docs/configuration.md, one table row each (name, default, meaning).
Every row of that page names a variable something reads, so the page cannot keep a removed one."""

import re

import pytest

from tests.harness import ROOT

SETTINGS = sorted((ROOT / "config" / "settings").glob("*.py"))
READ = re.compile(r"""\benv(?:\.(?:bool|int|list|db|email_url|str|float))?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
# os.environ.get("NAME", …), os.environ["NAME"], os.environ.setdefault("NAME", …), os.getenv("NAME")
PYTHON_READ = re.compile(r"""\b(?:environ(?:\.get|\.setdefault)?|getenv)\(?\[?\(?\s*["']([A-Z][A-Z0-9_]*)["']""")
# NAME="${NAME:-default}", ${NAME:-}, ${NAME:+…}
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]*):[-+]")
CONFIGURATION = ROOT / "docs" / "configuration.md"
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$", re.MULTILINE)


def names_read_by_settings() -> list[str]:
    return sorted({name for path in SETTINGS for name in READ.findall(path.read_text())})


def names_read_by_processes() -> list[str]:
    """What start.sh and gunicorn read from the environment (not settings: .env.example does not list them)."""
    names = set(SHELL_READ.findall((ROOT / "start.sh").read_text()))
    names |= set(PYTHON_READ.findall((ROOT / "deploy" / "gunicorn.conf.py").read_text()))
    return sorted(names)


def names_read_anywhere() -> set[str]:
    """Every name the project's code, scripts, tests and benchmarks read from (or set in) the environment."""
    names = set(names_read_by_settings()) | set(names_read_by_processes())
    python_files = [ROOT / "manage.py", *(ROOT / "config").glob("*.py")]
    for folder in ("tests", "bench"):
        python_files += (ROOT / folder).rglob("*.py")
    for path in python_files:
        names |= set(PYTHON_READ.findall(path.read_text()))
    names |= set(SHELL_READ.findall((ROOT / ".ci" / "run").read_text()))
    return names


def documented_rows() -> dict[str, list[str]]:
    """variable -> its cells after the name, from the tables of docs/configuration.md."""
    rows: dict[str, list[str]] = {}
    for name, rest in ROW.findall(CONFIGURATION.read_text()):
        assert name not in rows, f"{name} has two rows in docs/configuration.md"
        rows[name] = [cell.strip() for cell in rest.split("|")]
    return rows


def test_the_settings_are_parsed():
    names = names_read_by_settings()
    # A sample from each kind of call, so a broken regex cannot make the tests below pass on nothing.
    assert {"DJANGO_SECRET_KEY", "DJANGO_DEBUG", "JWT_ACCESS_MINUTES", "CORS_ALLOWED_ORIGINS", "DATABASE_URL"} <= set(
        names
    )
    assert {"EMAIL_URL", "DJANGO_SECURE_HSTS_SECONDS", "LOG_LEVEL"} <= set(names)


def test_the_processes_and_the_page_are_parsed():
    assert {"PYTHON", "VENV", "HOST", "PORT", "GUNICORN_WORKERS", "GUNICORN_MAX_REQUESTS"} <= set(
        names_read_by_processes()
    )
    assert {"CHROMIUM_PATH", "CI", "BENCH_ADMIN_URL", "DJANGO_SETTINGS_MODULE"} <= names_read_anywhere()
    assert len(documented_rows()) >= len(names_read_by_settings())


@pytest.mark.parametrize("name", names_read_by_settings())
def test_env_example_lists_the_variable_with_its_default(name):
    env_example = (ROOT / ".env.example").read_text()
    assert re.search(rf"^#?\s*{name}=", env_example, re.MULTILINE), f"{name} missing from .env.example"


@pytest.mark.parametrize("name", sorted(set(names_read_by_settings()) | set(names_read_by_processes())))
def test_configuration_page_documents_the_variable(name):
    rows = documented_rows()
    assert name in rows, f"{name} has no row `| \\`{name}\\` | default | meaning |` in docs/configuration.md"
    assert len(rows[name]) == 2 and all(rows[name]), f"{name}: its row needs a default and a meaning"


def test_every_documented_variable_is_read_somewhere():
    stale = sorted(set(documented_rows()) - names_read_anywhere())
    assert not stale, f"docs/configuration.md documents variables nothing reads: {stale}"
