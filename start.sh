#!/usr/bin/env bash
# CalmnessFi: one entry point.
#   ./start.sh        install into .venv, migrate, seed, serve on http://localhost:8000 (SQLite, DEBUG on)
#   ./start.sh test   install the test tools, run ruff and the whole test suite
#   ./start.sh prod   run gunicorn with the production settings (DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY...)
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=".venv"

ensure_venv() {
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "Python 3.11 ou plus récent est requis ($("$PYTHON" --version 2>&1))." >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> Création de l'environnement virtuel $VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --upgrade pip
    fi
    echo "==> Installation de $1"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$1"
}

seed() {
    "$VENV/bin/python" manage.py migrate --noinput
    "$VENV/bin/python" manage.py create_plans
    "$VENV/bin/python" manage.py create_admin
    "$VENV/bin/python" manage.py create_test_user
    "$VENV/bin/python" manage.py create_demo_content
}

case "${1:-serve}" in
    serve)
        ensure_venv requirements.txt
        export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
        seed
        HOST="${HOST:-localhost}"
        PORT="${PORT:-8000}"
        echo "==> Serveur sur http://$HOST:$PORT (espace membre : /espace/, admin : /admin/, API : /api/docs/)"
        exec "$VENV/bin/python" manage.py runserver "$HOST:$PORT"
        ;;
    test)
        ensure_venv requirements-dev.txt
        echo "==> ruff"
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        if [ -n "${DATABASE_URL:-}" ]; then DB_LABEL="DATABASE_URL"; else DB_LABEL="SQLite"; fi
        echo "==> pytest ($DB_LABEL)"
        shift || true
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    prod)
        ensure_venv requirements.txt
        export DJANGO_SETTINGS_MODULE=config.settings.production
        "$VENV/bin/python" manage.py migrate --noinput
        "$VENV/bin/python" manage.py collectstatic --noinput -v0
        "$VENV/bin/python" manage.py create_plans
        # deploy/gunicorn.conf.py: workers (GUNICORN_WORKERS, 2 by default), no access log (Django logs
        # one JSON line per request), errors on stderr.
        exec "$VENV/bin/gunicorn" config.wsgi:application -c deploy/gunicorn.conf.py \
            --bind "${HOST:-0.0.0.0}:${PORT:-8000}"
        ;;
    *)
        echo "Usage : ./start.sh [serve|test|prod]" >&2
        exit 2
        ;;
esac
