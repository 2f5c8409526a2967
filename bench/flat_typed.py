"""The flat program a user would write without this project, generated from the program's recorded registrations.

One typed SDK constructor per resource (`pulumi_vault.Mount(...)`, `pulumi_kubernetes.apps.v1.Deployment(...)`,
`pulumi_kubernetes.apiextensions.CustomResource(...)` for custom resources, `pulumi_kubernetes.helm.v3.Release`),
with the same names, inputs, secret inputs and explicit providers, no components, no config model: a literal
program, written out as Python source so that it is parsed and run like a user's `__main__.py`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from functools import cache
from typing import Any

import pulumi

from bench.recording import PROVIDER_PREFIX, custom_resources

_PACKAGES = {"vault": "pulumi_vault", "kubernetes": "pulumi_kubernetes"}
CUSTOM_RESOURCE = ("pulumi_kubernetes.apiextensions", "CustomResource")
_SKIPPED = ("resource_name", "opts", "__props__")


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def sdk_class(token: str) -> tuple[str, str]:
    """(module, class) of the SDK class that registers `token`; a CustomResource for API groups without one."""
    if token.startswith(PROVIDER_PREFIX):
        return _PACKAGES[token.removeprefix(PROVIDER_PREFIX)], "Provider"
    package, module, name = token.split(":")
    root = _PACKAGES[package]
    if package == "vault":
        group = module.split("/")[0]
        return (root if group == "index" else f"{root}.{group.lower()}"), name
    group, version = module.split("/")
    candidate = f"{root}.{group.split('.')[0].replace('-', '_')}.{version}"
    try:
        found = importlib.import_module(candidate)
    except ImportError:
        return CUSTOM_RESOURCE
    cls = getattr(found, name, None)
    if cls is None or getattr(cls, "_type_token", None) not in (None, token):
        return CUSTOM_RESOURCE
    return candidate, name


@cache
def keyword_names(module: str, name: str) -> dict[str, str]:
    """Wire name -> constructor keyword, from the class's own signature."""
    cls = getattr(importlib.import_module(module), name)
    params = inspect.signature(cls._internal_init).parameters
    names = {camel(p): p for p in params if p not in _SKIPPED and not p.startswith("_")}
    # Irregular wire names (`disableCRDHooks`) are declared on the class's getters.
    for attribute, value in vars(cls).items():
        wire = getattr(getattr(value, "fget", None), "_pulumi_name", None)
        if wire and attribute in params:
            names[wire] = attribute
    return names


def _literal(value: Any) -> str:
    return repr(value)


def _provider_value(value: Any) -> Any:
    """Provider inputs travel as strings (`"1200"`); the constructor takes the typed value and encodes it."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return value if isinstance(decoded, str | dict | list) or decoded is None else decoded
    return value


def _read_data(variable: str, key: str) -> str:
    """A read object's `data[key]`, decoded, as the program takes the reviewer's token."""
    return f"{variable}.data.apply(lambda d: base64.b64decode(d[{key!r}]).decode())"


def _call(
    resource: dict[str, Any],
    variable: str,
    providers: dict[str, str],
    depends: list[str] | None = None,
    computed: dict[str, str] | None = None,
) -> str:
    module, name = sdk_class(resource["type"])
    keywords = keyword_names(module, name)
    secret = set(resource["secretInputs"])
    args = [repr(resource["name"])]
    is_provider = resource["type"].startswith(PROVIDER_PREFIX)
    for key, raw in resource["inputs"].items():
        value = _provider_value(raw) if is_provider else raw
        keyword = keywords.get(key)
        if keyword is None:
            raise ValueError(f"{resource['type']} {resource['name']}: no keyword for input {key!r} in {name}")
        text = (computed or {}).get(key) or _literal(value)
        args.append(f"{keyword}=pulumi.Output.secret({text})" if key in secret else f"{keyword}={text}")
    provider = resource["provider"]
    options = [f"provider={providers[provider]}"] if provider else []
    if depends:
        options.append(f"depends_on=[{', '.join(depends)}]")
    if options:
        args.append(f"opts=pulumi.ResourceOptions({', '.join(options)})")
    alias = _alias(module)
    if resource["readId"]:
        call = f"{alias}.{name}.get({repr(resource['name'])}, {repr(resource['readId'])}"
        call += f", opts=pulumi.ResourceOptions({', '.join(options)}))" if options else ")"
        return f"{variable} = {call}"
    return f"{variable} = {alias}.{name}({', '.join(args)})"


def _alias(module: str) -> str:
    return re.sub(r"\W", "_", module)


def generate(recording: dict[str, Any]) -> str:
    """The flat program's source."""
    resources = custom_resources(recording)
    modules = sorted({sdk_class(r["type"])[0] for r in resources})
    lines = ['"""Generated: the resources of the vault-k8s program, written out flat."""', "", "import base64"]
    lines.append("import pulumi")
    lines += [f"import {m} as {_alias(m)}" for m in modules]
    lines.append("")
    providers: dict[str, str] = {}
    # `dependsOn` (from a deployed stack's state, bench.flat_state): (type, name) of earlier resources.
    variables: dict[tuple[str, str], str] = {}
    for index, resource in enumerate(resources):
        variable = f"r{index}"
        if resource["type"].startswith(PROVIDER_PREFIX):
            providers[resource["name"]] = variable
        depends = [variables[(t, n)] for t, n in resource.get("dependsOn", [])]
        # `readData` (from state, bench.flat_state): inputs taken from an earlier read's data.
        computed = {k: _read_data(variables[(t, n)], data_key) for k, (t, n, data_key) in
                    resource.get("readData", {}).items()}  # fmt: skip
        lines.append(_call(resource, variable, providers, depends, computed))
        variables[(resource["type"], resource["name"])] = variable
    secret_exports = set(recording.get("secretExports", []))
    for key, value in recording["exports"].items():
        text = f"pulumi.Output.secret({_literal(value)})" if key in secret_exports else _literal(value)
        lines.append(f"pulumi.export({key!r}, {text})")
    return "\n".join(lines) + "\n"


def run(source: str, filename: str) -> dict[str, Any]:
    """Execute the generated program as a script would be."""
    namespace: dict[str, Any] = {"__name__": "__main__", "pulumi": pulumi}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated program
    return namespace
