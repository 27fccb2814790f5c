#!/bin/sh
# Run once by the minio-setup service (idempotent): buckets, MLflow's S3 user, one S3 user per district.
# DISTRICTS="haidian:ACCESS_KEY:SECRET_KEY chaoyang:ACCESS_KEY:SECRET_KEY" (secret keys: 40 random characters).
set -eu
mc alias set wb http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing wb/mlflow
mc mb --ignore-existing wb/registry
mc admin user add wb "$MLFLOW_S3_ACCESS_KEY" "$MLFLOW_S3_SECRET_KEY"
mc admin policy create wb workbench-mlflow /setup/mlflow-policy.json
mc admin policy attach wb workbench-mlflow --user "$MLFLOW_S3_ACCESS_KEY" || true  # already attached on a rerun
for entry in $DISTRICTS; do
  district=${entry%%:*}; rest=${entry#*:}; access=${rest%%:*}; secret=${rest#*:}
  sed "s/DISTRICT/$district/" /setup/district-policy.json > "/tmp/registry-$district.json"
  mc admin user add wb "$access" "$secret"
  mc admin policy create wb "registry-$district" "/tmp/registry-$district.json"
  mc admin policy attach wb "registry-$district" --user "$access" || true
done
