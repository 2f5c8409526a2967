"""Where in-cluster consumers find the CA of an external Vault."""

from stackconfig.models import StackConfig
from stackconfig.names import CA_SECRET_NAME

__all__ = ["CA_CERT_PATH", "CA_MOUNT_DIR", "CA_SECRET_NAME", "vault_ca_in_use"]
CA_MOUNT_DIR = "/vault/tls"
CA_CERT_PATH = f"{CA_MOUNT_DIR}/ca.crt"


def vault_ca_in_use(cfg: StackConfig) -> bool:
    """In-cluster consumers need Vault's CA when it is external and verified."""
    return cfg.vault.mode == "external" and cfg.vault.ca_cert_file is not None
