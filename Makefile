# One entry point for people and CI. Everything it needs is installed by these targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= local

.PHONY: venv toolchain lint unit test demo demo-down demo-standins preview bench

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt localenv/requirements.txt bench/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Pulumi CLI, providers, etcd, kube-apiserver, Vault, controllers, the node (kubelet, containerd, ...): built once,
# cached by version.
toolchain:
	bash localenv/toolchain.sh install

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# Pure functions, the whole program under mocks, policy pack and pipeline: no servers needed.
unit: lint
	$(PY) -m pytest tests --ignore=tests/integration --ignore=tests/delivery --ignore=tests/node

# Everything, including the real engine, the controllers on the local control plane and the real node (tests/node):
# every test against HashiCorp Vault, then the suites that talk to Vault's API (integration, delivery) against
# OpenBao.
test: lint toolchain
	VAULT_K8S_SERVER=vault $(PY) -m pytest tests --durations=12
	VAULT_K8S_SERVER=openbao $(PY) -m pytest tests/integration tests/delivery --durations=6

# Start the local control plane and the real node (HashiCorp Vault; VAULT_K8S_SERVER=openbao for OpenBao),
# `pulumi up --stack local-node`, and run the tutorial's checks in the pods (DEMO_ARGS=--show-secrets unmasks).
demo: venv toolchain
	$(PY) -m localenv.node.demo $(DEMO_ARGS)

demo-down: venv
	$(PY) -m localenv.node.demo --down

# The same apps on the control plane alone, with the controllers as host processes (`--stack local`).
demo-standins: venv toolchain
	$(PY) -m localenv.demo $(DEMO_ARGS)

# The local stack's backend, passphrase and config copy live with the control plane (make demo).
preview: venv
	@if [ "$(STACK)" = local ]; then eval "$$($(PY) -m localenv.stack env)"; fi; bash pipeline/preview.sh $(STACK)

bench: venv toolchain
	$(PY) -m bench
