#!/bin/sh
# Writes the metrics token where prometheus.yml reads it (never on a command line), then runs
# Prometheus with the arguments given.
set -eu
: "${LUCID_METRICS_TOKEN:?set LUCID_METRICS_TOKEN: Lucid serves /metrics only with it}"
umask 077
printf '%s' "$LUCID_METRICS_TOKEN" >/run/lucid/metrics-token
unset LUCID_METRICS_TOKEN
exec /usr/bin/prometheus "$@"
