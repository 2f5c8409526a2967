"""Injector: the webhook puts the agent into the stored pods, and that agent renders exactly Vault's values."""

from __future__ import annotations

import hvac
from cryptography.hazmat.primitives.asymmetric import rsa

from derive.annotations import kv_template, pki_cert_template, pki_key_template
from derive.tls import CA_CERT_PATH
from derive.workloads import workload_labels
from localenv import agent
from localenv.controlplane import KubeApi
from localenv.controlplane.waiting import wait_until
from localenv.stack import LocalStack
from localenv.x509 import cert_info, issued_by, key_matches, normalize_serial, private_key, vault_serial
from stackconfig.models import KvRef, StackConfig
from tests.delivery.conftest import INJECTOR_APP, InitRun, app_named, injector_pki
from tests.delivery.watch import CertWatch


def kv_ref(config: StackConfig) -> KvRef:
    return next(r for r in app_named(config, INJECTOR_APP).secrets if isinstance(r, KvRef))


def expected_kv_file(stack: LocalStack, ref: KvRef) -> str:
    values = stack.values[f"{ref.mount}/{ref.path}"]
    return "".join(f"{key}={values[key]}\n" for key in ref.keys)


def pems(text: str) -> list[str]:
    marker = "-----END CERTIFICATE-----"
    return [block.strip() + "\n" + marker for block in text.split(marker) if block.strip()]


def test_stored_pods_carry_the_injected_agent(injected: agent.InjectedPod, kube: KubeApi, config: StackConfig) -> None:
    app = app_named(config, INJECTOR_APP)
    pod = kube.read("v1", "Pod", injected.name, app.namespace)
    assert pod is not None and agent.is_injected(pod)
    assert [c["name"] for c in pod["spec"]["initContainers"]] == [agent.INIT]
    assert [c["name"] for c in pod["spec"]["containers"]] == ["webapp", agent.SIDECAR]
    kv, pki = kv_ref(config), injector_pki(config)
    expected_templates = {
        f"/vault/secrets/{kv.file}": kv_template(kv.mount, kv.path, kv.keys),
        f"/vault/secrets/{pki.cert_file}": pki_cert_template(pki),
        f"/vault/secrets/{pki.key_file}": pki_key_template(pki),
    }
    for name, exits in ((agent.INIT, True), (agent.SIDECAR, False)):
        cfg = agent.agent_config(agent.container(pod, name))
        assert cfg["exit_after_auth"] is exits
        assert cfg["auto_auth"]["method"]["type"] == "kubernetes"
        assert cfg["auto_auth"]["method"]["config"]["role"] == app.role
        assert cfg["vault"] == {"address": config.vault.workload_address, "ca_cert": CA_CERT_PATH}
        assert {t["destination"]: t["contents"] for t in cfg["template"]} == expected_templates
        assert cfg["template_config"]["static_secret_render_interval"] == "10s"
    # The pods the controller-manager created for the Deployment all went through the webhook.
    replicaset_pods = agent.list_pods(kube, app.namespace, workload_labels(app))
    assert replicaset_pods and all(agent.is_injected(p) for p in replicaset_pods)


def test_init_agent_renders_the_exact_files_from_one_issue_call(
    init_run: InitRun, stack: LocalStack, root_vault: hvac.Client, config: StackConfig
) -> None:
    assert init_run.returncode == 0, init_run.output[-3000:]
    kv, pki = kv_ref(config), injector_pki(config)
    assert kv.file and pki.cert_file and pki.key_file
    assert init_run.files[kv.file] == expected_kv_file(stack, kv)
    cert_pem, key_pem = init_run.files[pki.cert_file], init_run.files[pki.key_file]
    leaf = cert_info(cert_pem)
    # One `pki/issue` call served both templates: one certificate was issued, and the key belongs to it.
    assert init_run.issued == {leaf.serial}
    assert key_matches(cert_pem, key_pem)
    assert leaf.common_name == pki.common_name
    stored = root_vault.read(f"{pki.mount}/cert/{vault_serial(leaf.serial)}")["data"]["certificate"]
    ca = root_vault.read(f"{pki.mount}/cert/ca")["data"]["certificate"]
    assert pems(cert_pem) == [stored.strip(), ca.strip()]
    assert cert_pem == f"{stored.strip()}\n{ca.strip()}\n"
    label = "RSA PRIVATE KEY"  # PKCS#1, as Vault's pki returns with key_type rsa
    assert key_pem.startswith(f"-----BEGIN {label}-----") and key_pem.endswith(f"-----END {label}-----\n")
    key = private_key(key_pem)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 4096
    assert issued_by(cert_pem, ca)


def test_sidecar_renders_the_same_secret_with_a_certificate_of_its_own(
    sidecar: agent.LocalAgent,
    injected: agent.InjectedPod,
    init_run: InitRun,
    agent_cert_watch: CertWatch,
    stack: LocalStack,
    config: StackConfig,
) -> None:
    kv, pki = kv_ref(config), injector_pki(config)
    init_serial = cert_info(init_run.files[str(pki.cert_file)]).serial
    wait_until(lambda: any(s.cert.serial != init_serial for s in agent_cert_watch.history),
               "the sidecar's first certificate", 60)  # fmt: skip
    # The sidecar does not reuse the init container's certificate: a pod start issues two.
    first_own = next(s for s in agent_cert_watch.history if s.cert.serial != init_serial)
    assert first_own.key_matches
    assert normalize_serial(first_own.cert.serial) != init_serial
    directory = injected.app_secrets_dir()
    assert agent.stable_read(directory / str(kv.file)) == expected_kv_file(stack, kv)
