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
# bench: N= domains per backend. The full run (N=1000, the default) adds the scale runs
# (10,000 zones) and the profile and updates BENCHMARKS.md; any other N is a quick run
# written to artifacts/bench-n<N>.md. SCALE=1 / SCALE= and BENCH_OUT=FILE override.
N ?= 1000
SCALE ?= $(if $(filter 1000,$(N)),1)
BENCH_OUT ?= $(if $(and $(filter 1000,$(N)),$(filter 1,$(SCALE))),BENCHMARKS.md,artifacts/bench-n$(N).md)
# confirm/doctor: the embedded default's zone files are served by a local named
CONFIRM_ARGS ?= $(if $(filter config/local.yaml,$(CONFIG)),--serve-local)

.PHONY: help setup plan apply validate confirm doctor report drift test lint bench clean

# Recipes are not echoed and set-up output goes to stderr, so that
# `make plan FORMAT=json > plan.json` writes valid JSON.
help: ## this list
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  make \1\t/' | expand -t 20

setup: $(STAMP) ## create .venv from the hashed runtime and development locks

$(STAMP): requirements-runtime.txt requirements-dev.txt pyproject.toml
	@$(PY) -m venv $(VENV) >&2
	@$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements-runtime.txt -r requirements-dev.txt >&2
	@$(BIN)/pip install -q --disable-pip-version-check --no-deps -e . >&2
	@touch $@

plan: $(STAMP) ## plan every declared zone (CONFIG=, FORMAT=text|markdown|json, ZONES=)
	@$(BIN)/python plan.py plan --config $(CONFIG) --format $(FORMAT) $(if $(PLAN_OUT),--save-json $(PLAN_OUT)) $(if $(PLAN_MD),--save-markdown $(PLAN_MD)) $(ZONES)

apply: $(STAMP) ## apply (PLAN=plan.json or CHECKSUM=hex pins the reviewed plan)
	@$(BIN)/python plan.py apply --config $(CONFIG) $(if $(PLAN),--plan $(PLAN)) $(if $(CHECKSUM),--checksum $(CHECKSUM)) $(ZONES)

validate: $(STAMP) ## check config and zone files offline
	@$(BIN)/python plan.py validate --config $(CONFIG)

confirm: $(STAMP) ## ask each zone's nameservers whether the records are live
	@$(BIN)/python plan.py confirm --config $(CONFIG) $(CONFIRM_ARGS) $(ZONES)

doctor: $(STAMP) ## walk Outlook's Autodiscover steps on live DNS
	@$(BIN)/python plan.py doctor --config $(CONFIG) $(CONFIRM_ARGS) $(ZONES)

REPORT_HTML ?= status.html
REPORT_JSON ?=
report: $(STAMP) ## write the estate status page (REPORT_HTML=, REPORT_JSON=)
	@$(BIN)/python plan.py report --config $(CONFIG) $(CONFIRM_ARGS) --html $(REPORT_HTML) $(if $(REPORT_JSON),--json $(REPORT_JSON)) $(ZONES)

# drift: plan through DNS first, confirm, and the status page; fails (make exits 2) when the
# plan shows drift or pending changes (its exit 2), a domain is not confirmed (confirm's
# exit 2) or either fails (exit 1): the last lines, on stderr, say which
drift: $(STAMP) ## drift check: plan --prefilter dns, confirm, status page (REPORT_HTML=)
	@rc=0; crc=0; \
	$(BIN)/python plan.py plan --config $(CONFIG) --prefilter dns --detailed-exitcode --changes-only $(if $(PLAN_OUT),--save-json $(PLAN_OUT)) $(if $(PLAN_MD),--save-markdown $(PLAN_MD)) $(ZONES) || rc=$$?; \
	$(BIN)/python plan.py confirm --config $(CONFIG) $(CONFIRM_ARGS) $(ZONES) || crc=$$?; \
	$(BIN)/python plan.py report --config $(CONFIG) $(CONFIRM_ARGS) --html $(REPORT_HTML) $(if $(REPORT_JSON),--json $(REPORT_JSON)) $(ZONES) \
	  || echo "warning: plan.py report exited $$?; the status page may be missing" >&2; \
	case $$rc in \
	  0) ;; \
	  2) echo "drift: live DNS differs from the zone files, or changes are pending (plan exit 2)" >&2 ;; \
	  *) echo "drift: the plan failed (exit $$rc): an error, not a drift verdict; see above" >&2 ;; \
	esac; \
	case $$crc in \
	  0) ;; \
	  2) echo "drift: some domains are not confirmed: pending or in conflict (confirm exit 2)" >&2 ;; \
	  *) echo "drift: confirm failed (exit $$crc): see above" >&2 ;; \
	esac; \
	if [ "$$rc" != 0 ] || [ "$$crc" != 0 ]; then exit 1; fi; \
	echo "drift: none: live DNS matches the zone files and every domain is confirmed" >&2

test: $(STAMP) ## run the test suite
	@$(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff and mypy
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

bench: $(STAMP) ## benchmarks (N= zones; SCALE=1 adds the 10,000-zone runs; BENCH_OUT=)
	@$(BIN)/python -m bench.run --n $(N) $(if $(filter 1,$(SCALE)),--scale --profile) --out $(BENCH_OUT)

clean: ## remove live/ and .locks/
	@rm -rf live .locks
