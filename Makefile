# One entry point for people and CI. Everything it needs is installed by these targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= local

.PHONY: venv toolchain lint unit test demo demo-down preview bench

$(VENV)/.installed: requirements.txt requirements-dev.txt policy/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Pulumi CLI, providers, etcd, kube-apiserver, controllers: built once from Go modules, cached by version.
toolchain:
	bash localenv/toolchain.sh install

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# Pure functions, the whole program under mocks, policy pack and pipeline: no servers needed.
unit: lint
	$(PY) -m pytest tests --ignore=tests/integration --ignore=tests/delivery

# Everything, including the real engine against the local control plane.
test: lint toolchain
	$(PY) -m pytest tests --durations=12

# Start the local control plane, `pulumi up --stack local`, and show what each app receives.
demo: venv toolchain
	$(PY) -m localenv.demo

demo-down: venv
	$(PY) -m localenv.demo --down

# The local stack's backend, passphrase and config copy live with the control plane (make demo).
preview: venv
	@if [ "$(STACK)" = local ]; then eval "$$($(PY) -m localenv.stack env)"; fi; bash pipeline/preview.sh $(STACK)

bench: venv toolchain
	$(PY) -m bench
