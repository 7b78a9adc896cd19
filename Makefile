# Two commands on a fresh machine: `make book` and `make test`. Each creates/updates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
STAMP_DEV := $(VENV)/.installed-dev-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
# sequenzo ships the TraMineR mvad data used by a reference test and by the validation appendix
# (`make book` shows every published-number check); its own dependencies (scikit-learn, hmmlearn,
# ...) are not needed to read a CSV, so it is installed without them.
SEQUENZO := sequenzo==0.1.42

.PHONY: book book-en test lint chromium java clean help
help:
	@echo "make book   - install, make demo data if data/ has none, run every pilot, build the Dutch and English books"
	@echo "make test   - install with dev extras (and Debian's chromium when missing) and run the whole test suite"
	@echo "make lint   - ruff and the import-linter layers contract"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(SEQUENZO)
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	$(BIN)/pip install --quiet --no-deps $(SEQUENZO)
	touch $(STAMP) $@

# both editions in one run (one pool of warm kernels), then both books side by side
book: $(STAMP)
	$(BIN)/evallib run --lang nl,en
	@$(BIN)/evallib book --lang nl,en

book-en: $(STAMP)
	$(BIN)/evallib run --lang en
	@$(BIN)/evallib book --lang en

# Debian packages the tests need, installed when missing and we are root (a fresh CI machine);
# otherwise stop at once with the command to run. $(call apt_need,COMMAND,PACKAGES,WHAT NEEDS IT)
define apt_need
	@if ! command -v $(1) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's $(2) for $(3) (apt-get)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "$(3) need $(1) ($(2)). Run:" >&2; \
	    echo "  sudo apt-get install -y $(2)" >&2; \
	    exit 1; \
	  fi; \
	fi
endef

# The browser tests drive Debian's chromium (never a downloaded browser).
CHROMIUM_PKGS := chromium fonts-dejavu-core
chromium:
	$(call apt_need,chromium,$(CHROMIUM_PKGS),the browser tests)

# The Spark engine's tests need a Java 17 runtime: Debian's, installed as chromium is.
JAVA_PKGS := openjdk-17-jre-headless
java:
	$(call apt_need,java,$(JAVA_PKGS),the Spark engine tests)

test: $(STAMP_DEV) chromium java
	$(BIN)/python -m pytest

# ruff, then the layers contract of docs/architecture.md (import-linter, config in pyproject.toml)
lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf build book/_build book/_toc.yml data/demo
