"""The injector's MutatingWebhookConfiguration as the vault chart renders it, pointed at a loopback URL.

Same as the chart (vault 0.34.1, `injector-mutating-webhook.yaml` with default values): webhook
`vault.hashicorp.com` on pods CREATE, `sideEffects: None`, admission review v1 and v1beta1, `matchPolicy:
Exact`, `timeoutSeconds: 30`, every namespace, and pods of the injector itself excluded by label. Different:
`clientConfig.url` instead of an in-cluster Service, since the injector runs outside the cluster.
"""

from __future__ import annotations

import base64
from typing import Any

from localenv.controlplane.kubeapi import KubeApi

NAME = "vault-agent-injector-cfg"
WEBHOOK = "vault.hashicorp.com"
INJECTOR_LABEL = "vault-agent-injector"
API_VERSION = "admissionregistration.k8s.io/v1"
KIND = "MutatingWebhookConfiguration"


def webhook_configuration(url: str, ca_pem: bytes, failure_policy: str = "Ignore") -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": NAME,
            "labels": {"app.kubernetes.io/name": INJECTOR_LABEL, "app.kubernetes.io/instance": "vault"},
        },
        "webhooks": [
            {
                "name": WEBHOOK,
                "failurePolicy": failure_policy,
                "matchPolicy": "Exact",
                "sideEffects": "None",
                "timeoutSeconds": 30,
                "admissionReviewVersions": ["v1", "v1beta1"],
                "clientConfig": {"url": url, "caBundle": base64.b64encode(ca_pem).decode("ascii")},
                "rules": [
                    {
                        "operations": ["CREATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                        "scope": "Namespaced",
                    }
                ],
                "namespaceSelector": {},
                "objectSelector": {
                    "matchExpressions": [
                        {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": [INJECTOR_LABEL]}
                    ]
                },
            }
        ],
    }


def register(api: KubeApi, url: str, ca_pem: bytes, failure_policy: str = "Ignore") -> dict[str, Any]:
    return api.apply(webhook_configuration(url, ca_pem, failure_policy))[1]


def unregister(api: KubeApi) -> bool:
    return api.delete(API_VERSION, KIND, NAME)
