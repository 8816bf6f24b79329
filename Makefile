# The two commands a newcomer needs: `make test` and `make demo`.
# Each creates .venv when it is missing and installs everything first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0

# DDS discovery never leaves this machine; each run picks its own domain.
export ROS_AUTOMATIC_DISCOVERY_RANGE ?= LOCALHOST
export ROS_DOMAIN_ID ?= $(shell python3 -c 'import random; print(random.randint(1, 100))')

.PHONY: install test lint format clean

install: $(STAMP)

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch first and pinned: a bare `torch` would pull a multi-GB CUDA build.
$(STAMP): $(PY) pyproject.toml $(wildcard ros_ws/src/*/setup.py ros_ws/src/*/*/*.py ros_ws/src/*/config/*)
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[ros,dev]'
	@for pkg in ros_ws/src/*/; do \
	  if [ -f $$pkg/setup.py ]; then $(PY) -m pip install -q --no-deps $$pkg || exit 1; fi; \
	done
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

# The grasp demo. `make model` collects grasp episodes and trains a tiny world model (once:
# skipped when the checkpoint exists); `make demo` launches the ROS 2 grasp pipeline in pybullet.
GRASP_DATA  ?= artifacts/grasp_data.zarr
GRASP_MODEL ?= artifacts/grasp_model
.PHONY: model demo

model: $(STAMP)
	@if [ -f $(GRASP_MODEL)/best/model.safetensors ]; then \
	  echo "model: $(GRASP_MODEL)/best exists (delete it to retrain)"; \
	else \
	  rm -rf $(GRASP_DATA) && \
	  nice -n 10 $(VENV)/bin/jepa-wm collect --env franka-grasp --episodes 80 --policy mixed \
	    --out $(GRASP_DATA) && \
	  nice -n 10 $(VENV)/bin/jepa-wm train --data $(GRASP_DATA) --out $(GRASP_MODEL) \
	    --preset tiny --max-minutes 10 --no-progress; \
	fi

demo: model
	$(PY) -m jepa_wm.app.demo --checkpoint $(GRASP_MODEL)/best --episodes 3
