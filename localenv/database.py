"""What the local PostgreSQL says about delivered credentials: may they log in, what may they do, and which users
Vault has created and not yet dropped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql

from localenv.controlplane import postgres


@dataclass(frozen=True)
class Postgres:
    """The control plane's PostgreSQL, from its env.json."""

    port: int
    superuser_password: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Postgres:
        return cls(int(env["POSTGRES_PORT"]), env["POSTGRES_PASSWORD"])

    def _superuser(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(postgres.conninfo(self.port, postgres.SUPERUSER, self.superuser_password))

    def login(self, username: str, password: str) -> str | None:
        """The session user after logging in with these credentials, or None when PostgreSQL refuses them."""
        try:
            with psycopg.connect(postgres.conninfo(self.port, username, password)) as conn:
                row = conn.execute("SELECT session_user").fetchone()
        except psycopg.OperationalError:
            return None
        return str(row[0]) if row else None

    def may(self, username: str, password: str, statement: str) -> bool:
        """Whether the user may run `statement` (rolled back either way)."""
        with psycopg.connect(postgres.conninfo(self.port, username, password)) as conn:
            try:
                conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege:
                return False
            finally:
                conn.rollback()
        return True

    def users(self, prefix: str = "v-") -> set[str]:
        """Login roles whose name starts with `prefix` (Vault names its users `v-<auth>-<role>-...`)."""
        with self._superuser() as conn:
            rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (prefix + "%",)).fetchall()
        return {str(r[0]) for r in rows}

    def valid_until(self, username: str) -> str | None:
        """The user's VALID UNTIL, which Vault's creation and renew statements set to the lease's end."""
        with self._superuser() as conn:
            row = conn.execute("SELECT rolvaliduntil::text FROM pg_roles WHERE rolname = %s", (username,)).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def admin_password_works(self, password: str) -> bool:
        return self.login(postgres.VAULT_ADMIN, password) is not None

    def set_admin_password(self, password: str) -> None:
        """What an operator does when the only holder of a rotated admin password (Vault) lost it."""
        with self._superuser() as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(postgres.VAULT_ADMIN), sql.Literal(password))
            )
            conn.commit()


SELECT_ITEMS = f"SELECT count(*) FROM {postgres.TABLE}"
# What the read-only role must not do.
WRITE_ITEMS = f"INSERT INTO {postgres.TABLE} VALUES (99, 'x')"
CREATE_TABLE = "CREATE TABLE intruder (id int)"
