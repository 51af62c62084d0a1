# Two commands: `make run` serves the demo shop, `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app shop
HOST ?= 127.0.0.1
PORT ?= 5000
ATTACK_VENV := .venv-attack
ATTACK_TOOLS := wapiti3==3.2.3 sqlmap==1.10.10
DEPS_AUDIT_VENV := .venv-deps-audit

# $(call apt_install,COMMAND,PACKAGE,WHY): install a Debian package with apt when COMMAND is missing
define apt_install
	@command -v $(1) >/dev/null 2>&1 || { \
	  echo "Installing Debian's $(2) $(3)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(2) \
	  || { $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(2); }; }
endef

.PHONY: run test install install-dev browser node-tools lint imports typecheck security pytest lock clean audit bench attack deps-audit

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.lock
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.dev-installed

## run: set everything up (venv, install, migrations, demo data) and serve on http://127.0.0.1:5000
## (with the local Stripe sandbox on :12111 when STRIPE_SECRET_KEY is unset)
run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	HOST=$(HOST) PORT=$(PORT) PYTHONPATH=. $(PY) scripts/devserver.py

## test: ruff (lint and format), the import contracts, mypy, bandit, then pytest on SQLite and PostgreSQL
test: install-dev lint imports typecheck security pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## imports: the layers' import contracts (import-linter, [tool.importlinter] in pyproject.toml):
## core imports no domain, orders do not reach up, the Stripe sandbox and the shop stay apart
imports: install-dev
	$(VENV)/bin/lint-imports --no-cache

typecheck: install-dev
	$(VENV)/bin/mypy

## security: bandit on what serves requests (the shop, the Stripe sandbox and the dev server
## that runs both), failing on any medium or high finding (see [tool.bandit])
security: install-dev
	$(VENV)/bin/bandit -q -c pyproject.toml -r shop stripe_sandbox scripts/devserver.py -ll

pytest: install-dev browser node-tools
	$(VENV)/bin/pytest -n auto

## browser: Debian's Chromium for the browser tests (installed with apt when it is missing)
browser:
	$(call apt_install,chromium,chromium,for the browser tests)

## node-tools: axe-core and the Nu HTML Checker (npm), for the accessibility and HTML tests
node-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## audit: Lighthouse on the demo shop under gunicorn (home, a product, an answer; phone and desktop);
## fails when any score is below 95. Reports go to test-artifacts/lighthouse/
audit: install browser node-tools
	$(PY) scripts/audit.py

## bench: req/s and latency of the demo at scale (10,000 products) on SQLite and PostgreSQL
## under gunicorn, measured with wrk beside a Flask hello world; writes the table into README.md
## (installs Debian's wrk with apt when it is missing; BENCH_ARGS=--quick for a short try)
bench: install
	$(call apt_install,wrk,wrk,for the benchmark)
	PYTHONPATH=scripts $(PY) -m bench $(BENCH_ARGS)

## attack: sqlmap and wapiti3 against the demo shop under gunicorn over HTTPS, on 127.0.0.1
## only (about 13 minutes, bounded); fails on any finding, else writes the figures into README.md.
## The scanners live in their own venv (.venv-attack): their pins would clash with the shop's.
attack: install $(ATTACK_VENV)/.installed
	$(PY) scripts/attack.py --tools $(ATTACK_VENV)/bin $(ATTACK_ARGS)

$(ATTACK_VENV)/.installed: requirements-attack.lock
	test -x $(ATTACK_VENV)/bin/python || python3 -m venv $(ATTACK_VENV)
	$(ATTACK_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-attack.lock
	touch $@

## deps-audit: pip-audit on the locked dependencies, on a machine that reaches PyPI's
## vulnerability data. --strict: a package that could not be audited (as offline) fails, never passes
deps-audit:
	test -x $(DEPS_AUDIT_VENV)/bin/pip-audit || { python3 -m venv $(DEPS_AUDIT_VENV) && $(DEPS_AUDIT_VENV)/bin/pip install -q --disable-pip-version-check pip-audit; }
	$(DEPS_AUDIT_VENV)/bin/pip-audit --strict --no-deps --disable-pip -r requirements.lock -r requirements-dev.lock

## lock: re-resolve the pinned dependency files from pyproject.toml (and the scanners')
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q --disable-pip-version-check .
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^shop @' > requirements.lock
	.lock-venv/bin/pip install -q --disable-pip-version-check '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^shop @' | grep -vxFf requirements.lock > requirements-dev.lock
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q --disable-pip-version-check $(ATTACK_TOOLS)
	.lock-venv/bin/pip freeze > requirements-attack.lock
	rm -rf .lock-venv build shop.egg-info

clean:
	rm -rf $(VENV) $(ATTACK_VENV) $(DEPS_AUDIT_VENV) .pytest_cache .mypy_cache .ruff_cache
