# One entry point for people and CI. Everything it needs is installed by these targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip install --quiet --disable-pip-version-check
STACK ?= local
# The unit tier: no server, cluster or local environment.
UNIT_TESTS := tests/unit tests/program tests/policy tests/pipeline
# What the unit tier type-checks: the program's entry point, the policy pack, the pipeline and the unit tier's
# tests; mypy follows their imports through the rest of the product.
UNIT_SOURCES := __main__.py policy pipeline tests/conftest.py $(UNIT_TESTS)

.PHONY: venv venv-program venv-preview venv-unit toolchain lint lint-unit unit test demo demo-down demo-standins \
	preview bench

# One virtualenv, filled layer by layer; each layer's stamp is redone when its requirement files change.
# The program alone (what `pulumi up` needs).
$(VENV)/.installed-program: requirements.txt
	python3 -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

# The program and the policy pack (what `make preview` and the workflow's preview and up jobs run).
$(VENV)/.installed-preview: $(VENV)/.installed-program policy/requirements.txt
	$(PIP) -r requirements.txt -r policy/requirements.txt
	touch $@

# The unit tier: the above, and the test and lint tools.
$(VENV)/.installed-unit: $(VENV)/.installed-preview requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

# Everything: the above, the local environment and the benchmarks.
$(VENV)/.installed-all: $(VENV)/.installed-unit requirements-all.txt localenv/requirements.txt bench/requirements.txt
	$(PIP) -r requirements-all.txt
	touch $@

venv-program: $(VENV)/.installed-program
venv-preview: $(VENV)/.installed-preview
venv-unit: $(VENV)/.installed-unit
venv: $(VENV)/.installed-all

# Pulumi CLI, providers, etcd, kube-apiserver, Vault, controllers, the node (kubelet, containerd, ...): built once,
# cached by version.
toolchain:
	bash localenv/toolchain.sh install

# The whole tree, the local environment and the benchmarks included.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# In a virtualenv with requirements-dev.txt only: formatting and lint of the whole tree (ruff reads no imports),
# types of the product and the unit tier's tests.
lint-unit: venv-unit
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(UNIT_SOURCES)

# Pure functions, the whole program under mocks, policy pack and pipeline: no servers needed.
unit: lint-unit
	$(PY) -m pytest $(UNIT_TESTS)

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

# The local stack's backend, passphrase and config copy live with the control plane (make demo), so it needs the
# local environment; any other stack needs only the program and the policy pack.
preview: $(if $(filter local,$(STACK)),venv,venv-preview)
	@if [ "$(STACK)" = local ]; then eval "$$($(PY) -m localenv.stack env)"; fi; bash pipeline/preview.sh $(STACK)

bench: venv toolchain
	$(PY) -m bench
