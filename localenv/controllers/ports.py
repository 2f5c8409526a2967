"""Fixed loopback ports of the controllers, next to the control plane's and moved by the same offset.

vault-secrets-operator metrics   28080
vault-secrets-operator probes    28081
vault-csi-provider health        28082
vault-agent-injector webhook     28443  (https)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from localenv.controlplane.ports import HOST, offset_from_env, port_is_free

VSO_METRICS = 28080
VSO_PROBES = 28081
INJECTOR = 28443
CSI_PROVIDER_HEALTH = 28082


@dataclass(frozen=True)
class ControllerPorts:
    vso_metrics: int
    vso_probes: int
    injector: int
    # Defaulted so the three-port form still builds; from_env moves it with the others.
    csi_provider_health: int = CSI_PROVIDER_HEALTH

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ControllerPorts:
        offset = offset_from_env(environ)
        return cls(VSO_METRICS + offset, VSO_PROBES + offset, INJECTOR + offset, CSI_PROVIDER_HEALTH + offset)

    def all(self) -> list[int]:
        return [self.vso_metrics, self.vso_probes, self.injector, self.csi_provider_health]

    def busy(self) -> list[int]:
        return [p for p in self.all() if not port_is_free(p)]


def address(port: int) -> str:
    return f"{HOST}:{port}"
