# Alcor: `make run` starts the local control plane, `make test` runs every test.
# Both install what is missing first (system packages, .venv, node tools) and
# are fast when everything is in place.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup system run test lint protos check-gen bench clean

setup: system $(STAMPS)/venv $(STAMPS)/npm

system:
	@bash tools/install-system.sh

$(STAMPS)/venv: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm: package.json package-lock.json
	@# npm ci rejects this lock (the registry here lacks the other platforms' optional
	@# buf binaries), so install from the exact pins in package.json + lock.
	npm install --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

# Extra flags for `alcor up`, e.g. make run ALCOR_UP_ARGS="--dir /tmp/alcor".
ALCOR_UP_ARGS ?=
run: setup
	$(VENV)/bin/alcor up $(ALCOR_UP_ARGS)

test: setup check-gen lint
	$(VENV)/bin/pytest -q

lint:
	buf lint

protos: setup
	bash tools/gen_protos.sh

check-gen:
	@bash tools/check_gen.sh

bench: setup
	$(VENV)/bin/alcor bench

clean:
	rm -rf .alcor $(STAMPS)
