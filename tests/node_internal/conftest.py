"""The tutorial on the real node, exactly like `dev`: `pulumi up --stack local-internal` from an empty node installs
the vault chart's dev server and writes every Vault object into it through its NodePort, in one run; then the
tutorial's checks; last, `pulumi destroy`.

Package-scoped, like tests/node: its own control plane and node, stopped before any other package starts one.
"""

from __future__ import annotations

import hvac
import pytest

from localenv.verify import vault_client
from stackconfig.models import StackConfig
from tests.live import Deployed, node_package_fixtures

config, control_plane, deployed, kube = node_package_fixtures("local-internal")


@pytest.fixture(scope="package")
def dev_vault(deployed: Deployed, config: StackConfig) -> hvac.Client:
    """The in-cluster dev server, at its NodePort, with the root token the stack config holds."""
    assert config.vault.address is not None and deployed.stack.vault_token is not None
    return vault_client(config.vault.address, None, deployed.stack.vault_token)
