"""Migrations match the models; vendored files are intact; nothing loads from the internet; the wheel serves."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_create_exactly_the_models_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    from facilitator import create_app
    from facilitator.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "SECRET_KEY": "k",
                      "ENV_NAME": "testing"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; run `flask --app facilitator db migrate`: {diff}"


def test_vendored_files_match_their_checksums():
    vendor = ROOT / "static" / "vendor"
    for line in (vendor / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    assert any(p.name.startswith("socket.io-4.") for p in vendor.iterdir())


def test_nothing_is_loaded_from_the_internet_at_run_time():
    pattern = re.compile(r"""(src|href)\s*=\s*["']https?://|@import\s+url\(\s*["']?https?://|from\s+["']https?://""")
    offenders = []
    for folder in ("templates", "static/js", "static/css"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and pattern.search(path.read_text(errors="ignore")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_raw_html_from_scripts():
    offenders = []
    for path in (ROOT / "static" / "js").rglob("*.js"):
        text = path.read_text()
        if re.search(r"innerHTML\s*\+?=|outerHTML\s*=|insertAdjacentHTML|document\.write", text):
            offenders.append(path.name)
    assert offenders == []


@pytest.mark.skipif(sys.platform != "linux", reason="builds a venv")
def test_a_wheel_carries_templates_static_and_migrations(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, timeout=300)
    wheel = next(tmp_path.glob("facilitator-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "facilitator/web_templates/base.html" in names
    assert "facilitator/web_static/js/live.js" in names
    assert "facilitator/web_static/vendor/socket.io-4.8.4.esm.min.js" in names
    assert any(n.startswith("facilitator/migrations/versions/") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, timeout=300)
    probe = (
        "import facilitator, sys\n"
        "assert facilitator.__file__.startswith(sys.argv[1]), facilitator.__file__\n"
        "app = facilitator.create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'k'})\n"
        "assert app.template_folder.startswith(sys.argv[1])\n"
        "c = app.test_client()\n"
        "assert c.get('/join').status_code == 200\n"
        "r = c.get('/static/js/live.js'); assert r.status_code == 200 and b'emitWithAck' in r.data\n"
        "print('served')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(target)], capture_output=True, text=True,
                         env={"PYTHONPATH": str(target), "FACILITATOR_INSTANCE_PATH": str(tmp_path / "inst"),
                              "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=120)
    assert "served" in out.stdout, out.stderr[-2000:]
