"""Vault Agent injector annotations and templates: the tutorial's, character for character."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from derive.annotations import injector_annotations, kv_template, pki_cert_template, pki_key_template
from stackconfig.models import AppDecl, PkiRef
from tests.unit import TUTORIAL, app, load_stack, tutorial_text

MY_CONFIG_TEMPLATE = """\
{{- with secret "for-injection/data/my-pass" -}}
password={{ .Data.data.password }}
{{- end }}
"""

CERT_TEMPLATE = """\
{{- with secret "pki/issue/my-role" "common_name=test.example.com" "ttl=30s" -}}
{{ .Data.certificate }}
{{ .Data.issuing_ca }}
{{- end }}
"""

KEY_TEMPLATE = """\
{{- with secret "pki/issue/my-role" "common_name=test.example.com" "ttl=30s" -}}
{{ .Data.private_key }}
{{- end }}
"""

TUTORIAL_ANNOTATIONS = {
    "vault.hashicorp.com/agent-inject": "true",
    "vault.hashicorp.com/agent-inject-status": "update",
    "vault.hashicorp.com/agent-inject-secret-my-config.txt": "for-injection/data/my-pass",
    "vault.hashicorp.com/agent-inject-template-my-config.txt": MY_CONFIG_TEMPLATE,
    "vault.hashicorp.com/agent-inject-secret-cert.pem": "pki/issue/my-role",
    "vault.hashicorp.com/agent-inject-template-cert.pem": CERT_TEMPLATE,
    "vault.hashicorp.com/agent-inject-secret-key.pem": "pki/issue/my-role",
    "vault.hashicorp.com/agent-inject-template-key.pem": KEY_TEMPLATE,
    "vault.hashicorp.com/role": "injection",
    "vault.hashicorp.com/template-static-secret-render-interval": "10s",
}


def _injection() -> AppDecl:
    return app(load_stack("dev"), "webapp-injection")


def _pki(ref: Any) -> PkiRef:
    assert isinstance(ref, PkiRef)
    return ref


def test_kv_template_is_the_tutorials() -> None:
    assert kv_template("for-injection", "my-pass", ["password"]) == MY_CONFIG_TEMPLATE


def test_kv_template_one_line_per_key() -> None:
    assert kv_template("/kvv2/", "webapp/config", ["username", "password"]) == (
        '{{- with secret "kvv2/data/webapp/config" -}}\n'
        "username={{ .Data.data.username }}\n"
        "password={{ .Data.data.password }}\n"
        "{{- end }}\n"
    )


def test_pki_templates_are_the_tutorials() -> None:
    ref = _pki(_injection().secrets[1])
    assert pki_cert_template(ref) == CERT_TEMPLATE
    assert pki_key_template(ref) == KEY_TEMPLATE


def test_cert_and_key_share_one_issue_call() -> None:
    """The agent issues once only if both templates call `secret` with identical arguments."""
    ref = _pki(_injection().secrets[1])
    first = [t.splitlines()[0] for t in (pki_cert_template(ref), pki_key_template(ref))]
    assert first == ['{{- with secret "pki/issue/my-role" "common_name=test.example.com" "ttl=30s" -}}'] * 2


def test_injection_annotations_are_the_tutorials() -> None:
    annotations = injector_annotations(_injection())
    assert annotations == TUTORIAL_ANNOTATIONS
    assert list(annotations) == list(TUTORIAL_ANNOTATIONS)


@pytest.mark.skipif(not TUTORIAL.exists(), reason="tutorial not available")
def test_injection_annotations_equal_the_tutorials_deployment() -> None:
    blocks = re.findall(r"```yaml\n(apiVersion: apps/v1\nkind: Deployment\n.*?)```", tutorial_text(), re.S)
    assert len(blocks) == 1
    deployment = yaml.safe_load(blocks[0])
    assert injector_annotations(_injection()) == deployment["spec"]["template"]["metadata"]["annotations"]


def test_without_render_interval_and_with_ca() -> None:
    decl = _injection().model_copy(update={"static_render_interval": None})
    annotations = injector_annotations(decl, ca_secret="vault-ca")
    expected = {k: v for k, v in TUTORIAL_ANNOTATIONS.items() if not k.endswith("render-interval")}
    expected["vault.hashicorp.com/tls-secret"] = "vault-ca"
    expected["vault.hashicorp.com/ca-cert"] = "/vault/tls/ca.crt"
    assert annotations == expected


def test_numeric_render_interval_is_seconds() -> None:
    decl = _injection().model_copy(update={"static_render_interval": 300})
    assert injector_annotations(decl)["vault.hashicorp.com/template-static-secret-render-interval"] == "300s"


def test_prod_billing() -> None:
    annotations = injector_annotations(app(load_stack("prod"), "billing"), ca_secret="vault-ca")
    call = 'secret "pki/issue/services" "common_name=billing.billing.svc.cluster.local" "ttl=24h"'
    assert annotations == {
        "vault.hashicorp.com/agent-inject": "true",
        "vault.hashicorp.com/agent-inject-status": "update",
        "vault.hashicorp.com/agent-inject-secret-api.env": "apps/data/billing/api",
        "vault.hashicorp.com/agent-inject-template-api.env": (
            '{{- with secret "apps/data/billing/api" -}}\ntoken={{ .Data.data.token }}\n{{- end }}\n'
        ),
        "vault.hashicorp.com/agent-inject-secret-tls.crt": "pki/issue/services",
        "vault.hashicorp.com/agent-inject-template-tls.crt": (
            f"{{{{- with {call} -}}}}\n{{{{ .Data.certificate }}}}\n{{{{ .Data.issuing_ca }}}}\n{{{{- end }}}}\n"
        ),
        "vault.hashicorp.com/agent-inject-secret-tls.key": "pki/issue/services",
        "vault.hashicorp.com/agent-inject-template-tls.key": (
            f"{{{{- with {call} -}}}}\n{{{{ .Data.private_key }}}}\n{{{{- end }}}}\n"
        ),
        "vault.hashicorp.com/role": "billing",
        "vault.hashicorp.com/template-static-secret-render-interval": "5m",
        "vault.hashicorp.com/tls-secret": "vault-ca",
        "vault.hashicorp.com/ca-cert": "/vault/tls/ca.crt",
    }


@pytest.mark.parametrize(("path", "annotation"), [("k8s-apps", "auth/k8s-apps"), ("/clusters/a/", "auth/clusters/a")])
def test_non_default_auth_mount_is_annotated(path: str, annotation: str) -> None:
    """The agent logs in at auth/kubernetes unless the pod names another mount."""
    annotations = injector_annotations(_injection(), auth_path=path)
    assert annotations == {**TUTORIAL_ANNOTATIONS, "vault.hashicorp.com/auth-path": annotation}


@pytest.mark.parametrize("path", ["kubernetes", "/kubernetes/"])
def test_default_auth_mount_is_not_annotated(path: str) -> None:
    assert injector_annotations(_injection(), auth_path=path) == TUTORIAL_ANNOTATIONS


def test_keys_that_are_not_go_identifiers_are_read_with_index() -> None:
    """`.Data.data.my-key` does not parse as a Go template; `index` takes any key."""
    assert kv_template("kv", "app", ["my-key", "_ok1", "1st", 'q"uote', "user.name"]) == (
        '{{- with secret "kv/data/app" -}}\n'
        'my-key={{ index .Data.data "my-key" }}\n'
        "_ok1={{ .Data.data._ok1 }}\n"
        '1st={{ index .Data.data "1st" }}\n'
        'q"uote={{ index .Data.data "q\\"uote" }}\n'
        'user.name={{ index .Data.data "user.name" }}\n'
        "{{- end }}\n"
    )
