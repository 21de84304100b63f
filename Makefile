# Two commands a newcomer needs: `make run` and `make test`. Only Python 3.11 is required.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# `make run PORT=5123 HOST=0.0.0.0` serves elsewhere; links in emails and the API follow
# (config.py served_address) unless CANONICAL_URL is set.
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev db demo clean \
        messages-extract messages-update messages-compile e2e-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the requirement files change.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) seed-demo

run: export FLASK_RUN_HOST = $(HOST)
run: export FLASK_RUN_PORT = $(PORT)
# The web server and the worker (periodic jobs) together; one Ctrl+C stops both.
run: demo messages-compile
	$(BIN)/python -m booking.devrun

test: install-dev messages-compile e2e-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests' tools (tests/e2e: axe-core, vnu.jar) from npm, when node is here. Without
# them (or without Chromium) those tests skip with the reason, except in CI, where they fail.
E2E_TOOLS := tests/e2e/node_modules/.package-lock.json
e2e-tools: $(if $(shell command -v npm),$(E2E_TOOLS))
$(E2E_TOOLS): tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --ignore-scripts --no-audit --no-fund

# Languages (README, "Languages"). The .po catalogues are committed; the .mo files are built
# from them (git ignores them). After changing user-facing text:
#   make messages-extract messages-update   then translate the new entries in the .po files
#   make messages-compile                    (run and test do this themselves)
PYBABEL := $(BIN)/pybabel
POT := translations/messages.pot
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

# --ignore-dirs replaces Babel's default, which skips every folder starting with "_" (templates/_macros).
messages-extract: install
	mkdir -p translations
	$(PYBABEL) extract --mapping-file babel.cfg --keywords _l --keywords lazy_gettext \
	  --keywords lazy_ngettext:1,2 --keywords lazy_pgettext:1c,2 \
	  --ignore-dirs '.* __pycache__ node_modules' \
	  --add-comments TRANSLATORS: --sort-by-file \
	  --project "Expio booking" --copyright-holder Expio --msgid-bugs-address booking@expio.ua \
	  --output-file $(POT) .

messages-update: install
	$(PYBABEL) update --input-file $(POT) --output-dir translations

messages-compile: $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(PYBABEL) compile --directory translations --locale $* --statistics

clean:
	rm -rf $(VENV) instance/*.sqlite .pytest_cache
