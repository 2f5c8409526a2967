"""What the controllers take from the stack config: the values the charts would be given."""

from __future__ import annotations

from dataclasses import dataclass

from derive.paths import clean_segment
from stackconfig.models import StackConfig


@dataclass(frozen=True)
class ControllerSettings:
    vault_address: str
    """Where the controllers and the agents reach Vault (`vault.workloadAddress`)."""
    auth_path: str
    """The kubernetes auth mount (`kubernetesAuth.path`)."""
    namespace: str = "default"
    """Where the charts would install the controllers (`charts.namespace`)."""
    failure_policy: str = "Ignore"
    """The injector webhook's failure policy (`charts.injectorFailurePolicy`)."""

    @classmethod
    def from_config(cls, cfg: StackConfig) -> ControllerSettings:
        return cls(
            vault_address=cfg.vault.workload_address,
            auth_path=clean_segment(cfg.kubernetes_auth.path),
            namespace=cfg.charts.namespace,
            failure_policy=cfg.charts.injector_failure_policy,
        )
