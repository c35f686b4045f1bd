#!/usr/bin/env bash
# CalmnessFi: one entry point.
#   ./start.sh            install into .venv, migrate, seed, serve on http://localhost:8000 (SQLite, DEBUG on), with
#                         the task worker (e-mails, channel access) beside the server, stopped with it
#   ./start.sh test       install the test tools, run ruff, mypy and the whole test suite (pytest arguments may follow)
#   ./start.sh test-next  the same on the next Django (requirements-django-next.txt) under Python 3.12, in .venv-next
#   ./start.sh prod       run gunicorn with the production settings (DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY...)
#   ./start.sh lock       recompile requirements.txt and requirements-dev.txt from the .in files (pip-compile arguments
#                         may follow, e.g. --upgrade-package django)
# From the environment: PYTHON (the interpreter that creates the venv), VENV (.venv), EXTRA_REQUIREMENTS (a file
# installed after the requirements, e.g. requirements-django-next.txt).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
EXTRA_REQUIREMENTS="${EXTRA_REQUIREMENTS:-}"

# The sha256 of what `install_requirements FILE` installs: FILE, then EXTRA_REQUIREMENTS.
requirements_sha256() {
    sha256sum "$1" ${EXTRA_REQUIREMENTS:+"$EXTRA_REQUIREMENTS"}
}

install_requirements() {
    local requirements="$1" stamp="$VENV/.installed-$1.sha256"
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "Python 3.11 ou plus récent est requis ($("$PYTHON" --version 2>&1))." >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> Création de l'environnement virtuel $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(requirements_sha256 "$requirements")" ]; then
        echo "==> $requirements${EXTRA_REQUIREMENTS:+ + $EXTRA_REQUIREMENTS} déjà installé dans $VENV"
        return
    fi
    echo "==> Installation de $requirements${EXTRA_REQUIREMENTS:+ puis $EXTRA_REQUIREMENTS} dans $VENV"
    # The files carry hashes, so pip checks every download; the stamp is written only once everything installed.
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    if [ -n "$EXTRA_REQUIREMENTS" ]; then
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$EXTRA_REQUIREMENTS"
    fi
    requirements_sha256 "$requirements" >"$stamp"
    if [ "$requirements" = requirements-dev.txt ]; then
        # requirements-dev.txt is compiled with requirements.txt as a constraint: it holds the runtime set too.
        requirements_sha256 requirements.txt >"$VENV/.installed-requirements.txt.sha256"
    fi
}

# `default_env NAME VALUE`: exports NAME=VALUE unless the environment or .env already sets NAME (the settings read
# .env without overriding the environment, so an export here would hide a value written in .env).
default_env() {
    if [ -z "${!1:-}" ] && ! grep -qsE "^[[:space:]]*(export[[:space:]]+)?$1=" .env; then
        export "$1=$2"
    fi
}

# Django 6.1 needs Python 3.12: pyenv's newest 3.12 (how these machines have it), else python3.12 on the PATH.
python312() {
    local pyenv version
    pyenv="$(command -v pyenv || echo "${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv")"
    if [ -x "$pyenv" ]; then
        version="$("$pyenv" versions --bare | grep -E '^3\.12\.[0-9]+$' | sort -V | tail -1 || true)"
        if [ -n "$version" ]; then
            PYENV_VERSION="$version" "$pyenv" which python
            return
        fi
    fi
    if python3.12 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
        command -v python3.12
        return
    fi
    echo "Python 3.12 introuvable (ni dans pyenv, ni python3.12 sur le PATH) : ./start.sh test-next en a besoin." >&2
    return 1
}

seed() {
    "$VENV/bin/python" manage.py migrate --noinput
    "$VENV/bin/python" manage.py create_plans
    "$VENV/bin/python" manage.py create_demo_payment_methods
    "$VENV/bin/python" manage.py create_admin
    "$VENV/bin/python" manage.py create_test_user
    "$VENV/bin/python" manage.py create_demo_content
}

run_tests() {
    install_requirements requirements-dev.txt
    # Subprocesses of the suite (./start.sh prod, manage.py) use the same venv and requirements.
    export VENV EXTRA_REQUIREMENTS
    echo "==> ruff"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    echo "==> mypy"
    "$VENV/bin/mypy" .
    if [ -n "${DATABASE_URL:-}" ]; then DB_LABEL="DATABASE_URL"; else DB_LABEL="SQLite"; fi
    echo "==> pytest ($DB_LABEL, $("$VENV/bin/python" -c 'import sys, django; print(f"Python {sys.version.split()[0]}, Django {django.__version__}")'))"
    # -rfEs: the summary names the failures and errors (pytest's default, -rfE) and says why each test was skipped.
    exec "$VENV/bin/python" -m pytest -rfEs "$@"
}

case "${1:-serve}" in
    serve)
        install_requirements requirements.txt
        export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
        HOST="${HOST:-localhost}"
        PORT="${PORT:-8000}"
        # Links in e-mails and the Discord OAuth addresses follow the address served.
        default_env FRONTEND_URL "http://$HOST:$PORT/espace"
        default_env DISCORD_REDIRECT_URI "http://$HOST:$PORT/api/auth/discord/callback/"
        default_env DISCORD_LINK_REDIRECT_URL "http://$HOST:$PORT/espace/profil/"
        seed
        echo "==> Worker des tâches (e-mails, accès aux canaux) : manage.py task_worker, arrêté avec le serveur"
        "$VENV/bin/python" manage.py task_worker &
        worker=$!
        # Ctrl-C reaches the worker with the server (one process group): it finishes its task and exits. When the
        # server stops otherwise (an error, a port already taken), the worker is asked to stop.
        trap 'interrupted=1' INT
        trap '[ -n "${interrupted:-}" ] || kill -TERM "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
        echo "==> Serveur sur http://$HOST:$PORT (espace membre : /espace/, admin : /admin/, API : /api/docs/)"
        "$VENV/bin/python" manage.py runserver "$HOST:$PORT"
        ;;
    test)
        shift
        run_tests "$@"
        ;;
    test-next)
        shift
        PYTHON="$(python312)"
        VENV=".venv-next"
        EXTRA_REQUIREMENTS="requirements-django-next.txt"
        run_tests "$@"
        ;;
    prod)
        install_requirements requirements.txt
        export DJANGO_SETTINGS_MODULE=config.settings.production
        "$VENV/bin/python" manage.py migrate --noinput
        "$VENV/bin/python" manage.py collectstatic --noinput -v0
        "$VENV/bin/python" manage.py create_plans
        # deploy/gunicorn.conf.py: workers (GUNICORN_WORKERS, 2 by default), no access log (Django logs
        # one JSON line per request), errors on stderr.
        exec "$VENV/bin/gunicorn" config.wsgi:application -c deploy/gunicorn.conf.py \
            --bind "${HOST:-0.0.0.0}:${PORT:-8000}"
        ;;
    lock)
        shift
        install_requirements requirements-dev.txt
        # Versions and hashes from PyPI alone (no local pip configuration, no find-links); the hashes cover every
        # file of each pinned version, so the lock installs on Python 3.11 and 3.12 alike.
        for name in requirements requirements-dev; do
            env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
                CUSTOM_COMPILE_COMMAND="./start.sh lock" \
                "$VENV/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
                --no-emit-index-url --no-emit-find-links -o "$name.txt" "$@" "$name.in"
        done
        ;;
    *)
        echo "Usage : ./start.sh [serve|test|test-next|prod|lock]" >&2
        exit 2
        ;;
esac
