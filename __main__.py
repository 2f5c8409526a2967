"""vault-k8s: config -> validated model -> plan -> resources -> outputs. Providers and secrets are decided here."""

import atexit
import gc

import pulumi

from plan.build import PlanInputs, make_plan
from program import Material, build
from providers import kubernetes_provider, vault_provider
from stackconfig.load import load_stack_config

# Each resource leaves many long-lived SDK objects (Outputs, futures, callbacks); at the default threshold (700)
# the collector rescans them thousands of times. Measured by `make bench` (B1): 37 % less time at 500 apps, the
# same peak memory.
gc.set_threshold(200_000, 50, 100)
# Those objects are still there when the language host exits, and the interpreter's final collection would walk
# them all (2.4 s of a 12 s evaluation at 500 apps); frozen, the OS frees them with the process.
atexit.register(gc.freeze)
loaded = load_stack_config()
plan = make_plan(
    loaded.stack,
    PlanInputs(pulumi.get_stack(), pulumi.get_project(), loaded.chart_paths, loaded.vault_ca_path),
)
material = Material(
    loaded.kube_ca_pem, loaded.vault_ca_pem, loaded.vault_token, loaded.seed_values, loaded.database_passwords
)
built = build(
    plan,
    material,
    kubernetes_provider(plan.kubernetes),
    lambda release: vault_provider(plan.provider, loaded.vault_token, release),
)
pulumi.export("vaultMode", plan.exports["vaultMode"])
pulumi.export("authPath", built.platform.auth_path)
pulumi.export("apps", plan.exports["apps"])
