"""Fail fast, with the fix, when PostgreSQL or Redis (needed by `make test`) is not reachable."""

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = {
    "PostgreSQL": ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm", 5432),
    "Redis": ("REDIS_URL", "redis://127.0.0.1:6379/0", 6379),
}


def main() -> int:
    missing = []
    for name, (variable, default, port) in SERVICES.items():
        url = urlparse(os.environ.get(variable) or default)
        host, port = url.hostname or "127.0.0.1", url.port or port
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError as error:
            missing.append(f"  {name} at {host}:{port} ({variable}): {error}")
    if missing:
        print("The test suite needs PostgreSQL and Redis, and cannot reach:", file=sys.stderr)
        print("\n".join(missing), file=sys.stderr)
        print(
            "Start them with `docker compose up -d db redis`, or point DATABASE_URL and "
            "REDIS_URL at running servers.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
