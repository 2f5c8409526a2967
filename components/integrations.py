"""The delivery methods' own charts: the Secrets Store CSI driver and the Vault Secrets Operator. (The injector
and the Vault CSI provider run from the vault chart, the platform's.)"""

import pulumi
import pulumi_kubernetes as k8s

from components.common import Namespaces, helm_release
from plan.model import IntegrationPlan


class MethodIntegration(pulumi.ComponentResource):
    """One method's chart release; the apps using it wait for it (components.app)."""

    release: k8s.helm.v3.Release

    def __init__(self, plan: IntegrationPlan, namespaces: Namespaces, opts: pulumi.ResourceOptions | None = None):
        super().__init__(plan.type, plan.name, None, opts)
        self.release = helm_release(self, plan.release, namespaces)
        self.register_outputs({"release": self.release.name})
