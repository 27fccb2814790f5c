# The workbench app. Not buildable in the development sandbox (no Docker engine); kept simple and conventional.

# The canvas component is built from its source (frontend/canvas) with the locked npm packages.
FROM node:20-slim AS canvas
WORKDIR /src/frontend/canvas
COPY frontend/canvas/package.json frontend/canvas/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/canvas ./
RUN npm run build  # writes /src/workbench/ui/canvas/static

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    WORKBENCH_HOME=/data YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 ULTRALYTICS_SAFE_LOAD=1 \
    MLFLOW_DISABLE_TELEMETRY=true

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY workbench ./workbench
COPY blocks ./blocks
COPY pipelines ./pipelines
COPY model_zoo ./model_zoo
COPY app.py ./
COPY .streamlit ./.streamlit
COPY --from=canvas /src/workbench/ui/canvas/static ./workbench/ui/canvas/static
RUN pip install --no-cache-dir . && workbench synth demo --out /data/demo

VOLUME ["/data"]
EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501", \
     "--server.headless=true", "--browser.gatherUsageStats=false"]
