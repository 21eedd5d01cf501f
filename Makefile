# osce-kg: `make run` builds the graph from seeds/ and serves it; `make test` runs the whole suite.
VENV   ?= .venv
PY     := $(VENV)/bin/python
KG     := $(VENV)/bin/kg
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run build serve test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/install-extras
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	bash scripts/install-extras
	touch $@

build: install
	$(KG) build --seeds seeds --out output

run: build
	$(KG) serve --data output --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) output/* web/node_modules
