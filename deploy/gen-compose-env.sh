#!/bin/sh
# Prints a compose `.env` with fresh random secrets for a local stack:
#   deploy/gen-compose-env.sh > .env && docker compose up -d
# docker-compose.yml refuses to start without these (no secret has a default in the repository).
# The last two lines point the ingest at the simulator; for real Shopee see the header of docker-compose.yml.
set -eu
rand() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
fernet() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
cat <<ENV
POSTGRES_PASSWORD=$(rand)
GRAFANA_DB_PASSWORD=$(rand)
GRAFANA_ADMIN_PASSWORD=$(rand)
LIVESTUDIO_CREDENTIALS_KEYS=$(fernet)
GATEWAY_JWT_SECRET=$(rand)
INGEST_SHOPEE_MODE=simulator
INGEST_SHOPEE_BASE_URL=http://simulator:8900
ENV
