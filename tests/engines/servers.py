"""A real PostgreSQL server in a temporary folder, for the engine tests (``make test``).

The server is Debian's (``/usr/lib/postgresql/<version>/bin``, which the Makefile installs when
absent). PostgreSQL refuses to run as root, and CI runs as root: then the folder is given to the
unprivileged ``nobody`` account and ``initdb``/``pg_ctl`` run as that user through ``runuser``.
The server listens on a free port of 127.0.0.1 only, trusts local connections (nothing else can
reach it), and is stopped and deleted at the end of the test run.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: the unprivileged account that runs the server when the tests run as root
SERVER_USER = "nobody"


@dataclass(frozen=True)
class PostgresServer:
    """Where the test server listens, and who may connect."""

    host: str
    port: int
    user: str
    database: str


def postgres_bindir() -> Path:
    """The folder of Debian's PostgreSQL server programs (the newest version installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise RuntimeError(
        "the engine tests need a PostgreSQL server: `make test` installs Debian's postgresql"
    )


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server in a new temporary folder; stop it and delete the folder after."""
    bindir = postgres_bindir()
    folder = Path(tempfile.mkdtemp(prefix="itpcohort-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(folder, account.pw_uid, account.pw_gid)
        folder.chmod(0o700)
    port = _free_port()
    user = "itpcohort"
    run = {"check": True, "capture_output": True, "text": True, "cwd": folder}
    try:
        subprocess.run(
            _as_server_user(
                [
                    *(str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust"),
                    *("-E", "UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale"),
                ]
            ),
            **run,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        subprocess.run(
            _as_server_user(
                [
                    *(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log")),
                    *("-w", "-o", options, "start"),
                ]
            ),
            **run,
        )
    except subprocess.CalledProcessError as error:
        log = folder / "log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {error.stderr}{detail}") from error
    try:
        yield PostgresServer("127.0.0.1", port, user, "postgres")
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
            cwd=folder,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _has_c_utf8() -> bool:
    result = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    return any(name.lower() in ("c.utf8", "c.utf-8") for name in result.stdout.split())
