"""Guardrail policies for vault-k8s stacks (a pulumi-policy pack)."""
