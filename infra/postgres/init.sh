#!/usr/bin/env bash
# Runs once in the postgres container's /docker-entrypoint-initdb.d (and by hand on any server: see README).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" \
  -v auth_password="${AUTH_DB_PASSWORD:?}" -v qr_password="${QR_DB_PASSWORD:?}" \
  -v gateway_password="${GATEWAY_DB_PASSWORD:?}" -v bom_password="${BOM_DB_PASSWORD:?}" \
  -v metering_password="${METERING_DB_PASSWORD:?}" \
  -f "$(dirname "$0")/init.sql"
