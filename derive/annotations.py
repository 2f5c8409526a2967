"""Vault Agent injector annotations and templates derived from an app's declaration."""

import json
import re

from derive.paths import clean_segment, database_creds_path, kv2_api_path, pki_issue_path
from derive.tls import CA_CERT_PATH
from derive.workloads import AGENT_TOKEN_VOLUME
from stackconfig.durations import as_duration_text
from stackconfig.models import DATABASE_KEYS, AppDecl, DatabaseRef, KvRef, PkiRef

PREFIX = "vault.hashicorp.com/"
DEFAULT_AUTH_PATH = "kubernetes"


_GO_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def kv_field(key: str) -> str:
    """A KV v2 value in an agent template: `.Data.data.<key>` as the tutorial writes it, `index` for any
    key that is not a Go identifier (`my-key`)."""
    return f".Data.data.{key}" if _GO_FIELD.match(key) else f"index .Data.data {json.dumps(key)}"


def kv_template(mount: str, path: str, keys: list[str]) -> str:
    """Render `key=value` lines of one KV v2 secret."""
    lines = "\n".join(f"{key}={{{{ {kv_field(key)} }}}}" for key in keys)
    return f'{{{{- with secret "{kv2_api_path(mount, path)}" -}}}}\n{lines}\n{{{{- end }}}}\n'


def _pki_call(ref: PkiRef) -> str:
    # Identical call text in the cert and key templates lets the agent share one issue call.
    return f'secret "{pki_issue_path(ref.mount, ref.role)}" "common_name={ref.common_name}" "ttl={ref.ttl}"'


def pki_cert_template(ref: PkiRef) -> str:
    """The certificate followed by its issuing CA."""
    return (
        f"{{{{- with {_pki_call(ref)} -}}}}\n{{{{ .Data.certificate }}}}\n{{{{ .Data.issuing_ca }}}}\n{{{{- end }}}}\n"
    )


def pki_key_template(ref: PkiRef) -> str:
    """The private key issued with the certificate."""
    return f"{{{{- with {_pki_call(ref)} -}}}}\n{{{{ .Data.private_key }}}}\n{{{{- end }}}}\n"


def database_template(ref: DatabaseRef) -> str:
    """`username=` and `password=` of one credential: one read of `creds/`, so one database user per render."""
    lines = "\n".join(f"{key}={{{{ .Data.{key} }}}}" for key in DATABASE_KEYS)
    return f'{{{{- with secret "{database_creds_path(ref.mount, ref.role)}" -}}}}\n{lines}\n{{{{- end }}}}\n'


def injector_annotations(
    app: AppDecl, ca_secret: str | None = None, auth_path: str = DEFAULT_AUTH_PATH, audience: str | None = None
) -> dict[str, str]:
    """Pod template annotations for the Vault Agent injector."""
    annotations = {
        f"{PREFIX}agent-inject": "true",
        f"{PREFIX}agent-inject-status": "update",
    }
    for ref in app.secrets:
        if isinstance(ref, KvRef):
            file = ref.file or ""
            annotations[f"{PREFIX}agent-inject-secret-{file}"] = kv2_api_path(ref.mount, ref.path)
            annotations[f"{PREFIX}agent-inject-template-{file}"] = kv_template(ref.mount, ref.path, ref.keys)
        elif isinstance(ref, DatabaseRef):
            file = ref.file or ""
            annotations[f"{PREFIX}agent-inject-secret-{file}"] = database_creds_path(ref.mount, ref.role)
            annotations[f"{PREFIX}agent-inject-template-{file}"] = database_template(ref)
        else:
            issue = pki_issue_path(ref.mount, ref.role)
            for file, template in (
                (ref.cert_file or "", pki_cert_template(ref)),
                (ref.key_file or "", pki_key_template(ref)),
            ):
                annotations[f"{PREFIX}agent-inject-secret-{file}"] = issue
                annotations[f"{PREFIX}agent-inject-template-{file}"] = template
    annotations[f"{PREFIX}role"] = app.role
    if any(isinstance(ref, DatabaseRef) for ref in app.secrets):
        # The agent revokes its token when the pod stops, and with it every lease it read: the pod's database
        # users are dropped at once instead of at their lease's end.
        annotations[f"{PREFIX}agent-revoke-on-shutdown"] = "true"
    if clean_segment(auth_path) != DEFAULT_AUTH_PATH:
        # The agent logs in at the injector's default mount (auth/kubernetes) unless told otherwise.
        annotations[f"{PREFIX}auth-path"] = f"auth/{clean_segment(auth_path)}"
    if audience:
        annotations[f"{PREFIX}agent-service-account-token-volume-name"] = AGENT_TOKEN_VOLUME
    if app.static_render_interval is not None:
        annotations[f"{PREFIX}template-static-secret-render-interval"] = as_duration_text(app.static_render_interval)
    if ca_secret:
        annotations[f"{PREFIX}tls-secret"] = ca_secret
        annotations[f"{PREFIX}ca-cert"] = CA_CERT_PATH
    return annotations
