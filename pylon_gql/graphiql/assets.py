"""GraphiQL's browser files: the npm packages strawberry's GraphiQL page loads (the same versions
and files), pinned by the tarball's sha512 (npm's `dist.integrity`) and by each file's sha384
(the page's `integrity` attributes, the ones strawberry's page gives), and where a fetched copy is
looked for."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: The command that fetches the files (`python -m pylon_gql.graphiql.fetch`).
FETCH_COMMAND = "python -m pylon_gql.graphiql.fetch"

#: Where the files live by default: beside this module (not in git, not in the wheel).
PACKAGE_DIR = Path(__file__).resolve().parent / "static"

#: The public CDN strawberry's page loads them from: the fallback when no local copy is found.
CDN = "https://unpkg.com/"


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    #: npm's `dist.integrity` of the tarball.
    integrity: str

    def tarball_url(self, registry: str) -> str:
        basename = self.name.rpartition("/")[2]
        return f"{registry.rstrip('/')}/{self.name}/-/{basename}-{self.version}.tgz"


@dataclass(frozen=True)
class Asset:
    package: NpmPackage
    #: Path inside the package (the tarball's `package/` folder).
    path: str
    #: sha384 of the file, as a subresource-integrity value.
    sri: str

    @property
    def name(self) -> str:
        """Its name as served, locally and by the CDN alike: `graphiql@3.8.3/graphiql.min.js`."""
        return f"{self.package.name}@{self.package.version}/{self.path}"


REACT = NpmPackage(
    "react",
    "18.2.0",
    "sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
)
REACT_DOM = NpmPackage(
    "react-dom",
    "18.2.0",
    "sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
)
GRAPHIQL = NpmPackage(
    "graphiql",
    "3.8.3",
    "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
)
EXPLORER = NpmPackage(
    "@graphiql/plugin-explorer",
    "1.0.2",
    "sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
)

# In the order the page loads them. graphiql.min.js bundles graphql-ws (subscriptions) and
# CodeMirror; its CSS carries its fonts as data URLs: nothing else is fetched.
STYLES = (
    Asset(
        GRAPHIQL,
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    Asset(
        EXPLORER,
        "dist/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    ),
)
SCRIPTS = (
    Asset(
        REACT,
        "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    Asset(
        REACT_DOM,
        "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    Asset(
        GRAPHIQL,
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    Asset(
        EXPLORER,
        "dist/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    ),
)
ASSETS: tuple[Asset, ...] = STYLES + SCRIPTS
ASSETS_BY_NAME = {asset.name: asset for asset in ASSETS}


def locations(data_dir: Path) -> tuple[Path, ...]:
    """Where a fetched copy is looked for, in order: beside the package, then in the data dir
    (for an installation whose package folder the server cannot write)."""
    return (PACKAGE_DIR, data_dir / "graphiql")


def complete_copy(places: Sequence[Path]) -> Path | None:
    """The first of `places` holding every file (each is written whole, by a rename)."""
    for place in places:
        if all((place / asset.name).is_file() for asset in ASSETS):
            return place
    return None


def writable(place: Path) -> bool:
    """Whether `place`, or its nearest existing parent, can be written."""
    for candidate in (place, *place.parents):
        if candidate.exists():
            return os.access(candidate, os.W_OK)
    return False
