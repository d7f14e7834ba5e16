# Everything a fresh machine needs is installed from here (see README "Quick start").
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo lint test bench clean

$(BIN)/licenselens: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium for the report's browser tests (Playwright drives /usr/bin/chromium; it never downloads one),
# and a CJK font so that screenshots of reports on Chinese corpora show the text
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null

setup: $(BIN)/licenselens /usr/bin/chromium

demo: setup
	$(BIN)/licenselens audit samples/licenselens.toml -o samples-audit
	@echo "Open samples-audit/report.html (also: report.md, results.json, NOTICE.txt, SPDX, CycloneDX, SARIF)"

LINTED := licenselens tests bench

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# test files spread over one pytest worker per core: most tests wait on subprocesses (CLIs, ScanCode's
# index load, Ray, Chromium), so two workers on two cores take 13 minutes where one took 21;
# no faulthandler, or the workers that tests kill on purpose print their stacks
test: lint
	$(BIN)/python -m pytest -q -n auto --dist loadfile -p no:faulthandler

bench: setup
	$(BIN)/python bench/scan_vs_scancode.py --jobs 2
	$(BIN)/python bench/corpus_throughput.py
	$(BIN)/python bench/overlap_bench.py

clean:
	rm -rf $(VENV) samples-audit samples-scan.json samples-corpus samples-index test-artifacts .pytest_cache
