#!/bin/sh
# Creates every Live Studio contract topic, its DLQ and the ingest's membership topic. Idempotent
# (--if-not-exists), so it is safe to run on every deploy. Used by the compose `kafka-init` container and the
# Kubernetes `livestudio-kafka-topics` Job; by hand against any cluster:
#   KAFKA_BOOTSTRAP=broker:9092 TOPIC_PARTITIONS=12 TOPIC_REPLICATION=3 deploy/kafka/create-topics.sh
#
# Partitions bound how far the consumers scale out: a consumer group never has more busy members than the topic
# has partitions (see deploy/RUNBOOK.md#scaling). Partitions can be added later but never removed, and adding
# them moves keys to other partitions (per-session order only holds for records written after the change).
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${TOPIC_PARTITIONS:-12}"
REPLICATION="${TOPIC_REPLICATION:-1}"
ACCOUNT_PARTITIONS="${INGEST_ACCOUNT_PARTITIONS:-64}"
KAFKA_TOPICS="${KAFKA_TOPICS_BIN:-/opt/kafka/bin/kafka-topics.sh}"

create() {
    # create NAME PARTITIONS [CONFIG...]
    name="$1"
    partitions="$2"
    shift 2
    set -- --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$name" \
        --partitions "$partitions" --replication-factor "$REPLICATION" "$@"
    "$KAFKA_TOPICS" "$@"
    echo "topic ready: $name ($partitions partitions)"
}

# Public contract topics (livestudio_schemas.topics.Topic) and their dead-letter queues.
for topic in shopee.live.session.v1 shopee.live.item.v1 shopee.account.v1 livestudio.commands.v1 livestudio.commission.v1 shopee.affiliate.v1; do
    create "$topic" "$PARTITIONS"
    create "$topic.dlq" "$PARTITIONS"
done

# Internal: one record per account; the ingest replicas split its partitions among themselves (group membership).
create livestudio.ingest.accounts "$ACCOUNT_PARTITIONS" --config cleanup.policy=compact
