"""Fetch GraphiQL's browser files from the npm registry: each pinned tarball is downloaded,
checked against its sha512, and only the files the page loads are kept (each checked against its
sha384, written whole by a rename, with a gzip copy beside it).

    python -m pylon_gql.graphiql.fetch [--dest DIR] [--registry URL]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import os
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from .assets import ASSETS, PACKAGE_DIR, Asset, NpmPackage, complete_copy

REGISTRY = "https://registry.npmjs.org"

#: The largest tarball taken (graphiql's is 3.7 MB).
MAX_TARBALL_BYTES = 32 * 1024 * 1024


class FetchError(Exception):
    """A file could not be fetched, or was not the pinned one."""


def fetch(
    dest: Path,
    *,
    registry: str = REGISTRY,
    assets: Sequence[Asset] = ASSETS,
    timeout: float = 60.0,
) -> list[Path]:
    """Fetch every asset into `dest`; returns the files written."""
    packages: dict[NpmPackage, list[Asset]] = {}
    for asset in assets:
        packages.setdefault(asset.package, []).append(asset)
    written: list[Path] = []
    for package, wanted in packages.items():
        tarball = _download(package.tarball_url(registry), timeout)
        _check(tarball, package.integrity, f"{package.name}@{package.version}'s tarball")
        written.extend(_extract(tarball, wanted, dest))
    return written


def _download(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(MAX_TARBALL_BYTES + 1)
    except OSError as error:  # URLError, HTTPError and timeouts are OSErrors
        raise FetchError(f"cannot download {url}: {error}") from error
    if len(data) > MAX_TARBALL_BYTES:
        raise FetchError(f"{url} is larger than {MAX_TARBALL_BYTES} bytes")
    return data


def _check(data: bytes, integrity: str, what: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise FetchError(f"{what} is not the pinned one ({algorithm} {actual}, not {expected})")


def _extract(tarball: bytes, assets: Sequence[Asset], dest: Path) -> list[Path]:
    written = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for asset in assets:
            member = f"package/{asset.path}"
            try:
                extracted = archive.extractfile(member)
            except KeyError:
                extracted = None
            if extracted is None:
                raise FetchError(f"{asset.package.name}'s tarball has no file {asset.path}")
            data = extracted.read()
            _check(data, asset.sri, asset.name)
            target = dest / asset.name
            _write_whole(target, data)
            # Served to browsers that accept gzip: graphiql.min.js is 3.5 MB, 0.9 MB gzipped.
            _write_whole(target.with_name(target.name + ".gz"), gzip.compress(data, mtime=0))
            written.append(target)
    return written


def _write_whole(target: Path, data: bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pylon_gql.graphiql.fetch",
        description="Fetch GraphiQL's browser files (react, react-dom, graphiql, its explorer "
        "plugin) from the npm registry, so that GraphiQL works without internet.",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=PACKAGE_DIR,
        help=f"where to put them (default: {PACKAGE_DIR}); the server also looks in "
        "$PYLON_DATA_DIR/graphiql",
    )
    parser.add_argument("--registry", default=REGISTRY, help=f"npm registry (default: {REGISTRY})")
    options = parser.parse_args(argv)
    if complete_copy([options.dest]) is not None:
        print(f"GraphiQL's files are already in {options.dest}")
        return 0
    try:
        written = fetch(options.dest, registry=options.registry)
    except PermissionError as error:
        print(
            f"cannot write {error.filename}: give a folder this user can write, "
            "e.g. --dest $PYLON_DATA_DIR/graphiql",
            file=sys.stderr,
        )
        return 1
    except (FetchError, OSError, tarfile.TarError) as error:
        print(f"GraphiQL's files were not fetched: {error}", file=sys.stderr)
        return 1
    total = sum(path.stat().st_size for path in written)
    print(f"GraphiQL's files: {len(written)} files, {total / 1e6:.1f} MB in {options.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
