"""The image's HEALTHCHECK: exit 0 when the server in this container answers /health with 200.

It asks on the port and address the server was configured with (`PYLON_PORT`, `PYLON_HOST`;
the loopback address when it listens on all of them), and names the first of
`PYLON_ALLOWED_HOSTS` as the Host when that is set, since the server refuses any other (400).
Standard library only: it runs in the image's interpreter in a few milliseconds.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def health_url() -> str:
    port = os.environ.get("PYLON_PORT", "8000").strip() or "8000"
    host = os.environ.get("PYLON_HOST", "127.0.0.1").strip()
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/health"


def host_header() -> str | None:
    """The first name of PYLON_ALLOWED_HOSTS without a wildcard, if any."""
    names = os.environ.get("PYLON_ALLOWED_HOSTS", "").split(",")
    return next((n.strip() for n in names if n.strip() and "*" not in n), None)


def main() -> int:
    url = health_url()
    host = host_header()
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            healthy = response.status == 200
    except (OSError, ValueError) as error:  # refused, timed out, or a 503 (HTTPError)
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
