"""The flat reference program: replay recorded registrations as plain resources.

No components, no config models, no SDK resource classes: each recorded custom resource is
registered once as `pulumi.CustomResource` (or `pulumi.ProviderResource`) of the same type,
with the same name and inputs, secret where the program's were, with the same provider.
"""

from __future__ import annotations

from typing import Any

import pulumi

from bench.recording import PROVIDER_PREFIX, custom_resources


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    secret = set(resource["secretInputs"])
    return {k: pulumi.Output.secret(v) if k in secret else v for k, v in resource["inputs"].items()}


def replay(recording: dict[str, Any]) -> list[pulumi.CustomResource]:
    """Register every recorded custom resource, providers first as they were recorded."""
    providers: dict[str, pulumi.ProviderResource] = {}
    made: list[pulumi.CustomResource] = []
    for resource in custom_resources(recording):
        typ, name = resource["type"], resource["name"]
        if typ.startswith(PROVIDER_PREFIX):
            provider = pulumi.ProviderResource(typ.removeprefix(PROVIDER_PREFIX), name, _props(resource))
            providers[name] = provider
            made.append(provider)
            continue
        opts = pulumi.ResourceOptions(
            provider=providers[resource["provider"]] if resource["provider"] else None,
            id=resource["readId"],
        )
        made.append(pulumi.CustomResource(typ, name, _props(resource), opts))
    for key, value in recording["exports"].items():
        pulumi.export(key, value)
    return made
