# autodiscover-dns: every target sets up .venv from pinned dependencies on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/local.yaml
ZONES ?=
FORMAT ?= text
# plan: PLAN_OUT=plan.json writes the JSON plan and PLAN_MD=plan.md the markdown
PLAN_OUT ?=
PLAN_MD ?=
# apply: PLAN=plan.json (or CHECKSUM=hex) applies only the reviewed plan
PLAN ?=
CHECKSUM ?=
N ?= 1000
# confirm/doctor: the embedded default's zone files are served by a local named
CONFIRM_ARGS ?= $(if $(filter config/local.yaml,$(CONFIG)),--serve-local)

.PHONY: setup plan apply validate confirm doctor report test lint bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

plan: $(STAMP)
	$(BIN)/python plan.py plan --config $(CONFIG) --format $(FORMAT) $(if $(PLAN_OUT),--save-json $(PLAN_OUT)) $(if $(PLAN_MD),--save-markdown $(PLAN_MD)) $(ZONES)

apply: $(STAMP)
	$(BIN)/python plan.py apply --config $(CONFIG) $(if $(PLAN),--plan $(PLAN)) $(if $(CHECKSUM),--checksum $(CHECKSUM)) $(ZONES)

validate: $(STAMP)
	$(BIN)/python plan.py validate --config $(CONFIG)

confirm: $(STAMP)
	$(BIN)/python plan.py confirm --config $(CONFIG) $(CONFIRM_ARGS) $(ZONES)

doctor: $(STAMP)
	$(BIN)/python plan.py doctor --config $(CONFIG) $(CONFIRM_ARGS) $(ZONES)

REPORT_HTML ?= status.html
REPORT_JSON ?=
report: $(STAMP)
	$(BIN)/python plan.py report --config $(CONFIG) $(CONFIRM_ARGS) --html $(REPORT_HTML) $(if $(REPORT_JSON),--json $(REPORT_JSON)) $(ZONES)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench.run --n $(N) --scale --profile --out BENCHMARKS.md

clean:
	rm -rf live .locks
