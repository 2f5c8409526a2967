"""vault-k8s: load the stack config, build providers and components, export outputs."""

import pulumi

from program import app_outputs, build
from providers import build_providers
from stackconfig.load import load_stack_config

loaded = load_stack_config()
built = build(loaded, build_providers(loaded))
pulumi.export("vaultMode", loaded.stack.vault.mode)
pulumi.export("authPath", built.platform.auth_path)
pulumi.export("apps", app_outputs(loaded))
