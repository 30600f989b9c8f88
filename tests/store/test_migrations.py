"""The migrations are found where an installed wheel puts them, and their absence is loud."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pylon_gql.store.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]


async def test_a_directory_without_migrations_is_an_error_not_an_empty_database(
    tmp_path: Path,
) -> None:
    with pytest.raises(FileNotFoundError, match="no database migrations"):
        await migrate(f"sqlite://{tmp_path / 'db.sqlite3'}", location=tmp_path)


@pytest.mark.skipif(shutil.which("uv") is None, reason="building the wheel needs uv")
def test_an_installed_wheel_finds_its_own_migrations(tmp_path: Path) -> None:
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("pylon_gql-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    shipped = sorted(p.name for p in (site / "pylon_gql/migrations/models").glob("*.py"))
    assert shipped == sorted(p.name for p in (ROOT / "migrations/models").glob("*.py"))

    # Imported from the unpacked wheel (as from site-packages), the store must pick the
    # migrations inside the package, not a `migrations/` next to it.
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from pylon_gql.store.migrations import MIGRATIONS_DIR; print(MIGRATIONS_DIR)",
            str(site),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert Path(found) == site / "pylon_gql" / "migrations"
