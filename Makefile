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
# The ROS package's share/ carries launch/ and the default models: reinstall when they change.
$(STAMP): $(PY) pyproject.toml $(wildcard ros_ws/src/*/setup.py ros_ws/src/*/*/*.py launch/*.yaml launch/params/*.yaml)
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[ros,dev,tensorboard,s3]'
	@for pkg in ros_ws/src/*/; do \
	  if [ -f $$pkg/setup.py ]; then $(PY) -m pip install -q --no-deps $$pkg || exit 1; \
	  $(PY) ros_ws/link_executables.py $(VENV) $$(basename $$pkg) || exit 1; fi; \
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
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info ros_ws/build ros_ws/install ros_ws/log

# The grasp demo. The tiny world model it plans with is committed in models/tiny-grasp (0.9 MB);
# `make model` regenerates it with the project's own commands (collect, then train: ~45 min on
# 2 cores), the recipe that produced the committed one.
DATA_DIR    ?= artifacts/data
RUN_DIR     ?= artifacts/runs
GRASP_MODEL ?= models/tiny-grasp
JEPA        := $(VENV)/bin/jepa-wm
.PHONY: model demo

model: $(STAMP)
	$(JEPA) collect --env franka-reach --episodes 220 --policy mixed --out $(DATA_DIR)/reach_mixed.zarr
	$(JEPA) collect --env franka-grasp --episodes 45 --policy mixed --out $(DATA_DIR)/grasp_mixed.zarr
	$(JEPA) train --data $(DATA_DIR)/reach_mixed.zarr --data $(DATA_DIR)/grasp_mixed.zarr \
	  --out $(RUN_DIR)/joint --config jepa_wm/configs/tiny.yaml --steps 2000 --max-minutes 13 --no-progress
	$(JEPA) train --data $(DATA_DIR)/reach_mixed.zarr --data $(DATA_DIR)/grasp_mixed.zarr \
	  --out $(RUN_DIR)/grasp --config jepa_wm/configs/tiny_frozen_finetune.yaml \
	  --init-from $(RUN_DIR)/joint --max-minutes 14 --no-progress
	mkdir -p $(GRASP_MODEL)
	cp $(RUN_DIR)/grasp/best/model.safetensors $(RUN_DIR)/grasp/best/model.json $(GRASP_MODEL)/
	cp $(RUN_DIR)/grasp/config.yaml $(GRASP_MODEL)/config.yaml

$(GRASP_MODEL)/model.safetensors:
	$(MAKE) model

demo: $(STAMP) $(GRASP_MODEL)/model.safetensors
	$(PY) -m jepa_wm.app.demo --checkpoint $(GRASP_MODEL) --episodes 3
	$(JEPA) viz episode --checkpoint $(GRASP_MODEL) --env franka-grasp --out artifacts/demo
