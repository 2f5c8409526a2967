"""The Vault controllers as local processes against the local control plane.

`start_controllers` runs the Vault Secrets Operator, the Vault Agent injector (its webhook registered like
the vault chart does, on loopback) and the Vault CSI provider (its socket under the state directory);
`stop_controllers` stops them and every agent recorded next to them. The pids live in
`<state>/controllers/processes.json`, so a later run can reuse or stop them.
"""

from .injector import InjectorError
from .records import Record
from .settings import ControllerSettings
from .supervisor import start_controllers, stop_controllers

__all__ = ["ControllerSettings", "InjectorError", "Record", "start_controllers", "stop_controllers"]
