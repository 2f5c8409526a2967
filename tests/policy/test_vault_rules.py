from typing import Any

from policy import vault_rules as vr
from policy.values import UNKNOWN

POLICY_URN = "urn:pulumi:dev::vault-k8s::vault-k8s:index:App$vault:index/policy:Policy::webapp-policy"
IDENTITY_URN = "urn:pulumi:dev::vault-k8s::vault-k8s:index:App::webapp"


class TestProviderAddress:
    def test_https_passes(self) -> None:
        assert vr.address_violations(vr.PROVIDER, {"address": "https://vault.example.com:8200"}) == []

    def test_http_is_flagged(self) -> None:
        assert vr.address_violations(vr.PROVIDER, {"address": "http://127.0.0.1:8200"}) == [
            'vault provider address "http://127.0.0.1:8200" is not https'
        ]

    def test_unknown_or_unset_says_nothing(self) -> None:
        assert vr.address_violations(vr.PROVIDER, {"address": UNKNOWN}) == []
        assert vr.address_violations(vr.PROVIDER, {}) == []

    def test_other_types_are_ignored(self) -> None:
        assert vr.address_violations(vr.MOUNT, {"address": "http://x"}) == []


class TestProviderTls:
    def test_verifying_passes(self) -> None:
        assert vr.tls_violations(vr.PROVIDER, {"skipTlsVerify": "false"}) == []
        assert vr.tls_violations(vr.PROVIDER, {}) == []

    def test_skip_is_flagged_as_string_or_bool(self) -> None:
        assert vr.tls_violations(vr.PROVIDER, {"skipTlsVerify": "true"}) == ["vault provider sets skipTlsVerify"]
        assert vr.tls_violations(vr.PROVIDER, {"skipTlsVerify": True}) == ["vault provider sets skipTlsVerify"]

    def test_unknown_says_nothing(self) -> None:
        assert vr.tls_violations(vr.PROVIDER, {"skipTlsVerify": UNKNOWN}) == []


class TestProtection:
    def test_protected_mounts_pass(self) -> None:
        for kind in ("kv", "kv-v2", "pki"):
            assert vr.protection_violations(vr.MOUNT, {"type": kind, "path": "m"}, True) == []
        assert vr.protection_violations(vr.AUTH_BACKEND, {"type": "kubernetes"}, True) == []

    def test_unprotected_kv_and_pki_are_flagged(self) -> None:
        assert vr.protection_violations(vr.MOUNT, {"type": "kv-v2", "path": "apps"}, False) == [
            'kv-v2 mount "apps" is not protected'
        ]
        assert vr.protection_violations(vr.MOUNT, {"type": "kv", "path": "legacy"}, False) == [
            'kv mount "legacy" is not protected'
        ]
        assert vr.protection_violations(vr.MOUNT, {"type": "pki", "path": UNKNOWN}, False) == [
            'pki mount "(unknown)" is not protected'
        ]

    def test_unprotected_kubernetes_auth_is_flagged(self) -> None:
        assert vr.protection_violations(vr.AUTH_BACKEND, {"type": "kubernetes"}, False) == [
            'kubernetes auth mount "kubernetes" is not protected'
        ]
        assert vr.protection_violations(vr.AUTH_BACKEND, {"type": "kubernetes", "path": "k8s-prod"}, False) == [
            'kubernetes auth mount "k8s-prod" is not protected'
        ]

    def test_other_engines_and_unknown_types_pass(self) -> None:
        assert vr.protection_violations(vr.MOUNT, {"type": "transit", "path": "t"}, False) == []
        assert vr.protection_violations(vr.MOUNT, {"type": UNKNOWN, "path": "t"}, False) == []
        assert vr.protection_violations(vr.AUTH_BACKEND, {"type": "userpass"}, False) == []


class TestRootCert:
    def test_internal_passes(self) -> None:
        assert vr.root_cert_violations(vr.ROOT_CERT, {"type": "internal"}) == []
        assert vr.root_cert_violations(vr.ROOT_CERT, {"type": UNKNOWN}) == []

    def test_exported_is_flagged(self) -> None:
        assert vr.root_cert_violations(vr.ROOT_CERT, {"type": "exported"}) == [
            'PKI root certificate type is "exported", must be "internal"'
        ]


class TestRoleBindings:
    def role(self, **overrides: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "roleName": "database",
            "boundServiceAccountNames": ["webapp-sa"],
            "boundServiceAccountNamespaces": ["default"],
        }
        return base | overrides

    def test_explicit_bindings_pass(self) -> None:
        assert vr.role_binding_violations(vr.AUTH_ROLE, self.role()) == []

    def test_wildcards_are_flagged(self) -> None:
        props = self.role(boundServiceAccountNames=["*"], boundServiceAccountNamespaces=["team-*"])
        assert vr.role_binding_violations(vr.AUTH_ROLE, props) == [
            'role "database" binds service account names by wildcard "*"',
            'role "database" binds namespaces by wildcard "team-*"',
        ]

    def test_empty_bindings_are_flagged(self) -> None:
        props = self.role(boundServiceAccountNames=[], boundServiceAccountNamespaces=[""])
        assert vr.role_binding_violations(vr.AUTH_ROLE, props) == [
            'role "database" has no bound service account names',
            'role "database" has an empty entry in its bound namespaces',
        ]
        props = self.role()
        del props["boundServiceAccountNamespaces"]
        assert vr.role_binding_violations(vr.AUTH_ROLE, props) == ['role "database" has no bound namespaces']

    def test_namespace_selector_is_flagged(self) -> None:
        props = self.role(boundServiceAccountNamespaceSelector='{"matchLabels":{"team":"a"}}')
        assert vr.role_binding_violations(vr.AUTH_ROLE, props) == [
            'role "database" selects namespaces by label instead of naming them'
        ]

    def test_unknowns_say_nothing(self) -> None:
        props = self.role(boundServiceAccountNames=UNKNOWN, boundServiceAccountNamespaces=[UNKNOWN])
        assert vr.role_binding_violations(vr.AUTH_ROLE, props) == []


def identity(policy: str = "internal-app", grants: Any = None) -> vr.StackResource:
    if grants is None:
        grants = [{"path": "secret/data/db-pass", "capabilities": ["read"]}]
    props = {"app": "webapp", "policyName": policy, "grants": grants}
    return vr.StackResource(vr.APP_IDENTITY, IDENTITY_URN, props)


def policy(text: str, name: str = "internal-app") -> vr.StackResource:
    return vr.StackResource(vr.POLICY, POLICY_URN, {"name": name, "policy": text})


READ_DB = 'path "secret/data/db-pass" {\n  capabilities = ["read"]\n}\n'


class TestGrants:
    def test_exact_match_passes(self) -> None:
        assert vr.grant_violations([identity(), policy(READ_DB)]) == []

    def test_capability_order_does_not_matter(self) -> None:
        grants = [{"path": "pki/issue/web", "capabilities": ["create", "update"]}]
        text = 'path "pki/issue/web" { capabilities = ["update", "create"] }'
        assert vr.grant_violations([identity(grants=grants), policy(text)]) == []

    def test_extra_capability_is_flagged(self) -> None:
        text = 'path "secret/data/db-pass" { capabilities = ["read", "list"] }'
        assert vr.grant_violations([identity(), policy(text)]) == [
            (
                POLICY_URN,
                'policy "internal-app" grants [read, list] on "secret/data/db-pass", which no App declares',
            )
        ]

    def test_undeclared_path_is_flagged(self) -> None:
        text = READ_DB + 'path "secret/data/other" { capabilities = ["read"] }'
        assert vr.grant_violations([identity(), policy(text)]) == [
            (POLICY_URN, 'policy "internal-app" grants [read] on "secret/data/other", which no App declares')
        ]

    def test_globs_and_sudo_are_flagged_even_when_declared(self) -> None:
        grants = [{"path": "secret/+/x*", "capabilities": ["read", "sudo"]}]
        text = 'path "secret/+/x*" { capabilities = ["read", "sudo"] }'
        assert vr.grant_violations([identity(grants=grants), policy(text)]) == [
            (POLICY_URN, 'policy "internal-app" grants glob path "secret/+/x*"'),
            (POLICY_URN, 'policy "internal-app" grants sudo on "secret/+/x*"'),
        ]

    def test_root_capability_is_flagged(self) -> None:
        text = 'path "secret/data/db-pass" { capabilities = ["root"] }'
        problems = vr.grant_violations([identity(), policy(text)])
        assert problems[0] == (POLICY_URN, 'policy "internal-app" grants root on "secret/data/db-pass"')

    def test_policy_without_identity_is_flagged(self) -> None:
        assert vr.grant_violations([policy(READ_DB, name="orphan")]) == [
            (POLICY_URN, 'policy "orphan" is not declared by any App')
        ]

    def test_unreadable_policy_is_flagged(self) -> None:
        text = 'path "secret/data/db-pass" { capabilities = ["read"] denied_parameters = {} }'
        assert vr.grant_violations([identity(), policy(text)]) == [
            (
                POLICY_URN,
                'policy "internal-app" could not be read: '
                "path \"secret/data/db-pass\" uses unsupported attribute 'denied_parameters'",
            )
        ]

    def test_identity_hiding_its_grants_is_flagged(self) -> None:
        hidden = vr.StackResource(vr.APP_IDENTITY, IDENTITY_URN, {"policy": "internal-app", "role": "database"})
        assert vr.grant_violations([hidden]) == [
            (IDENTITY_URN, 'App "webapp" does not expose "policyName" and "grants" to policies')
        ]

    def test_grants_from_several_identities_for_one_policy_combine(self) -> None:
        other = identity(grants=[{"path": "kv/data/x", "capabilities": ["read"]}])
        text = READ_DB + 'path "kv/data/x" { capabilities = ["read"] }'
        assert vr.grant_violations([identity(), other, policy(text)]) == []

    def test_unknowns_say_nothing(self) -> None:
        assert vr.grant_violations([identity(), policy(UNKNOWN)]) == []  # type: ignore[arg-type]
        assert vr.grant_violations([identity(grants=UNKNOWN), policy('path "x" { capabilities = ["read"] }')]) == []
        assert vr.grant_violations([identity(policy=UNKNOWN), policy(READ_DB, name="anything")]) == []  # type: ignore[arg-type]
