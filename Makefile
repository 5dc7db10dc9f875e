# The two commands a newcomer needs:
#   make demo   install storyline into .venv, ingest the example corpus, print its stories
#               and serve them on http://127.0.0.1:8000 (Ctrl-C stops)
#   make test   install what the tests need, then run linters, type checks and every test

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.db
PIP_VERSION := 26.3
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo install install-test system-deps system-test-deps test lint typecheck bench lock clean

demo: install
	$(BIN)/storyline --db $(DEMO_DB) ingest storyline/data/example.jsonl
	$(BIN)/storyline --db $(DEMO_DB) stories
	@echo "serving the stories on http://127.0.0.1:8000 (Ctrl-C stops)"
	$(BIN)/storyline --db $(DEMO_DB) serve

install: $(STAMP)

$(STAMP): pyproject.toml setup.py requirements.lock storyline/dedup/_tokens.c | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q pip==$(PIP_VERSION)
	$(BIN)/python -m pip install -q -c requirements.lock -e .
	touch $@

# a C compiler and Python's headers build the compiled tokeniser of copy detection
system-deps:
	command -v cc >/dev/null || (apt-get update && apt-get install -y gcc)
	$(PYTHON) -c "import os, sys, sysconfig; \
	sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
	|| (apt-get update && apt-get install -y python3-dev)

install-test: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP) system-test-deps
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[test]"
	touch $@

# Debian packages the tests need: chromium for the browser tests of the web app
# (driven by the playwright package; its own browser downloads are never used).
system-test-deps:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

lint: install-test
	$(BIN)/ruff check storyline tests bench setup.py
	$(BIN)/ruff format --check storyline tests bench setup.py

typecheck: install-test
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q

# Benchmarks print ours and the named baseline side by side; see docs/benchmarks.md.
BENCH_STAMP := $(VENV)/.installed-bench
BENCHES := bench-dedup bench-cluster bench-cluster-speed bench-quotes bench-ner bench-nlp-speed \
	bench-times bench-contradictions bench-warc bench-watch bench-web bench-spark \
	bench-storyline-pass
.PHONY: $(BENCHES)

bench: $(BENCHES)

$(BENCH_STAMP): $(TEST_STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[test,bench]"
	touch $@

bench-dedup: $(BENCH_STAMP)
	$(BIN)/python bench/dedup_bench.py
bench-cluster: $(BENCH_STAMP)
	$(BIN)/python bench/cluster_bench.py
bench-cluster-speed: $(BENCH_STAMP)
	$(BIN)/python bench/cluster_speed.py
bench-quotes: $(BENCH_STAMP)
	$(BIN)/python bench/quotes_bench.py
bench-ner: $(BENCH_STAMP)
	$(BIN)/python bench/ner_bench.py
bench-nlp-speed: $(BENCH_STAMP)
	$(BIN)/python bench/nlp_speed_bench.py --articles 150 --rounds 2
bench-times: $(BENCH_STAMP)
	$(BIN)/python bench/tempeval_bench.py
bench-contradictions: $(BENCH_STAMP)
	$(BIN)/python bench/contradictions_bench.py
bench-warc: $(BENCH_STAMP)
	$(BIN)/python bench/warc_bench.py --articles 300
bench-watch: $(BENCH_STAMP)
	$(BIN)/python bench/watch_bench.py --feeds 50 --servers 5 --kills 3
# 100k articles built once into bench-work/ (re-runs reuse it), then storyline and Datasette
bench-web: $(BENCH_STAMP)
	$(BIN)/python bench/web_latency.py --workdir bench-work
# Spark local[2] and local[1] against the engine; the full 20k size takes hours on two cores
bench-spark: $(BENCH_STAMP)
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[test,bench,spark]"
	$(BIN)/python bench/spark_bench.py --articles $(or $(SPARK_ARTICLES),20000)
# the Spark job's storyline pass on the driver: terms taken in it against taken beforehand
bench-storyline-pass: $(BENCH_STAMP)
	$(BIN)/python bench/storyline_pass.py --articles 2000 --rounds 3

# Re-pin every dependency from a fresh environment (run after changing pyproject.toml).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q pip==$(PIP_VERSION)
	.lock-venv/bin/python -m pip install -q -e ".[test,bench]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) *.egg-info build storyline/dedup/*.so .pytest_cache .mypy_cache .ruff_cache $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
