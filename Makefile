# Oogst: `make run` and `make test` are the two commands; everything else is set up by them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := recordings/voorbeeld-intervisie.ogg
APT_PACKAGES := espeak-ng libreoffice-writer-nogui python3-uno poppler-utils openssl chromium chromium-driver redis-server \
                frog frogdata uctodata nginx-light fonts-symbola
# Frog (GPL-3) analyses Dutch as a separate program; uctodata is its tokeniser's rules (only recommended by frog).
FROG_PACKAGES := frog frogdata uctodata

.PHONY: help install models run serve test test-fast bench bench-quality lint sysdeps sample clean frog

help:
	@echo "make run        install (if needed), assemble models, process the sample recording end to end"
	@echo "make serve      install (if needed), assemble models, start the web page on http://127.0.0.1:8000"
	@echo "make test       install (if needed) and run the whole test suite (slow tests included)"
	@echo "make test-fast  the tests that are quick and need no system tool, shared data or service (no models, espeak-ng, Redis)"
	@echo "make bench      speed and memory benchmarks (tables on stdout, JSON in bench/results/)"
	@echo "make bench-quality  top 7 and summary quality on QMSum val and the report set, next to baselines"
	@echo "make models     install and assemble the offline model weights into models/"
	@echo "make lint       ruff and mypy"

# torch first and pinned: 2.13.0 is the CPU build; an unpinned torch would pull a multi-GB CUDA build.
# Every extra (web, queue, llm, privacy) and the test tools: `make run`, `make serve` and `make test` use them all.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[all,test]'
	@touch $@

install: $(STAMP)

models: $(STAMP)
	$(BIN)/oogst models

run: models frog
	$(BIN)/oogst run $(SAMPLE)

# Frog when it can be installed (root, or sudo without a password); otherwise one line, and Oogst uses its rules.
frog:
	@if command -v frog >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "make: Frog is not installed, Dutch is analysed with rules (to install: sudo apt-get install frog frogdata)"; exit 0; fi; \
	echo "installing $(FROG_PACKAGES)"; \
	$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  $(FROG_PACKAGES) >/dev/null || echo "make: could not install Frog, Dutch is analysed with rules (try: sudo apt-get install frog frogdata)"

serve: models
	$(BIN)/oogst serve

# Test-only system tools: espeak-ng speaks the test audio, LibreOffice re-saves and renders .docx files (poppler-utils'
# pdftoppm turns the PDF into PNG pages),
# openssl makes the self-signed certificate for the SMTP tests, chromium + chromium-driver run the browser tests,
# redis-server is the broker of the distributed-queue tests (tests/test_jobs_distributed.py), frog + frogdata + uctodata
# the Dutch analysis (tests/test_analysis.py), nginx-light the TLS reverse proxy of deploy/nginx-oogst.conf in front
# of the app (tests/test_web_proxy.py).
sysdeps:
	@missing=""; command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui python3-uno"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	command -v frog >/dev/null || missing="$$missing $(FROG_PACKAGES)"; \
	fc-list 2>/dev/null | grep -q Symbola || missing="$$missing fonts-symbola"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make: missing system packages:$$missing (run: sudo apt-get install$$missing)"; exit 1; fi; \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	fi

test: models sysdeps
	$(BIN)/ruff check pipeline devtools tests bench
	$(BIN)/mypy pipeline
	$(BIN)/python -m pytest --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not needs_system and not needs_data and not needs_service"

bench: models sysdeps
	$(BIN)/python bench/run.py

# The insights' encoders ship inside their packages: no models/ needed. QMSum is read from ../shared/data/qmsum.
bench-quality: $(STAMP)
	$(BIN)/python bench/run.py --only quality

sample: $(STAMP) sysdeps
	$(BIN)/python -m devtools.synth recordings/voorbeeld-intervisie.txt $(SAMPLE) --truth recordings/voorbeeld-intervisie.truth.json

lint: $(STAMP)
	$(BIN)/ruff check pipeline devtools tests bench
	$(BIN)/mypy pipeline

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
