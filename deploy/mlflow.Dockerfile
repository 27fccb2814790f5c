# MLflow tracking server with the PostgreSQL driver and boto3 (artifacts in MinIO). Same major version as the
# workbench's client (pyproject.toml: mlflow>=3.1,<4).
FROM python:3.11-slim
RUN pip install --no-cache-dir "mlflow>=3.1,<4" "boto3>=1.34" "psycopg2-binary>=2.9"
EXPOSE 5000
