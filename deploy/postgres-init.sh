#!/bin/sh
# First start of the database volume only: one database and one owner each for MLflow and Label Studio.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE USER mlflow WITH PASSWORD '${MLFLOW_DB_PASSWORD}';
CREATE DATABASE mlflow OWNER mlflow;
CREATE USER labelstudio WITH PASSWORD '${LABELSTUDIO_DB_PASSWORD}';
CREATE DATABASE labelstudio OWNER labelstudio;
SQL
