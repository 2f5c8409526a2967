"""The local PostgreSQL that the database secrets engine manages users in: Debian's `postgresql` package, a
cluster in a temporary folder, listening on loopback only, stopped by pid with the rest of the control plane.

Vault connects as VAULT_ADMIN (CREATEROLE, no superuser), as a user would give it; the tests connect as the
superuser to look at what Vault did, and as the delivered users to see what they may do."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from .errors import ControlPlaneError

HOST = "127.0.0.1"
SUPERUSER = "postgres"
DATABASE = "app"
VAULT_ADMIN = "vault-admin"
# What the demo roles grant SELECT on; the delivered users may read it and nothing else.
TABLE = "items"
_PACKAGE_BIN = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class Binaries:
    postgres: Path
    initdb: Path


def find_binaries(package_dir: Path = _PACKAGE_BIN) -> Binaries:
    """The newest installed major version (Debian keeps them apart under /usr/lib/postgresql/<major>/bin)."""
    majors = sorted((d for d in package_dir.glob("*/bin") if (d / "postgres").is_file()),
                    key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)  # fmt: skip
    if not majors:
        raise ControlPlaneError(
            f"PostgreSQL is not installed (no {package_dir}/<major>/bin/postgres); "
            "`bash localenv/toolchain.sh install` installs Debian's postgresql package"
        )
    return Binaries(majors[-1] / "postgres", majors[-1] / "initdb")


def run_as() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise ControlPlaneError(f"running as root and there is no {SUPERUSER!r} user to run PostgreSQL as") from None
    return SUPERUSER


def make_data_dir(user: str | None) -> Path:
    """A fresh temporary folder owned by the user PostgreSQL runs as."""
    directory = Path(tempfile.mkdtemp(prefix="vault-k8s-postgres-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(directory, entry.pw_uid, entry.pw_gid)
    return directory


def init_cluster(binaries: Binaries, data_dir: Path, password: str, user: str | None, timeout: float = 120) -> None:
    """initdb with password authentication for every connection, TCP and socket alike."""
    pwfile = data_dir / ".pwfile"
    pwfile.write_text(password)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    pgdata = data_dir / "data"
    done = subprocess.run(
        [str(binaries.initdb), "-D", str(pgdata), "-U", SUPERUSER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
         "-E", "UTF8", "--no-instructions"],
        user=user, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    pwfile.unlink()
    if done.returncode != 0:
        raise ControlPlaneError(f"initdb failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}")


def server_args(binaries: Binaries, data_dir: Path, port: int) -> list[str]:
    """Loopback TCP only; the unix socket stays inside the data folder."""
    return [str(binaries.postgres), "-D", str(data_dir / "data"), "-h", HOST, "-p", str(port),
            "-k", str(data_dir), "-c", "max_connections=200"]  # fmt: skip


def conninfo(port: int, user: str, password: str, dbname: str = DATABASE) -> str:
    return psycopg.conninfo.make_conninfo(
        host=HOST, port=port, user=user, password=password, dbname=dbname, connect_timeout=5
    )


def ready(port: int, password: str) -> bool:
    try:
        with psycopg.connect(conninfo(port, SUPERUSER, password, "postgres")) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def bootstrap(port: int, password: str, admin_password: str) -> None:
    """The database, the admin Vault connects as, and a table to grant on."""
    with psycopg.connect(conninfo(port, SUPERUSER, password, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(VAULT_ADMIN), sql.Literal(admin_password)
            )
        )
    with psycopg.connect(conninfo(port, SUPERUSER, password), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, name text)").format(sql.Identifier(TABLE)))
        conn.execute(sql.SQL("INSERT INTO {} VALUES (1, 'first')").format(sql.Identifier(TABLE)))
        # The admin creates the users and grants them SELECT on it, so it must hold that grant to pass it on.
        conn.execute(
            sql.SQL("GRANT SELECT ON {} TO {} WITH GRANT OPTION").format(
                sql.Identifier(TABLE), sql.Identifier(VAULT_ADMIN)
            )
        )


def remove_data_dir(data_dir: Path) -> None:
    if data_dir.name.startswith("vault-k8s-postgres-"):
        shutil.rmtree(data_dir, ignore_errors=True)
