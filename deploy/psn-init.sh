#!/bin/sh
# compose.yml's psn-init: runs once before the broker and the psn instances start (tests/topology.py runs the same
# psn commands, tests/deploy/test_compose.py checks they match). Safe to run again: it keeps the CA, the keys and
# the certificates it finds and only re-renders Mosquitto's config, ACL and CRL (do so after issuing units).
set -eu
store="--data-dir $PSN_DATA_DIR --db $PSN_DB_URL"
# The CA; also, as every command below, the database migrated and the keys made: once, before any instance
# starts (two instances starting on empty keys would each make their own master key).
[ -f "$PSN_DATA_DIR/pki/ca/ca.key" ] || psn pki init $store
psn broker-config --out /etc/psn/broker --port 8883 --bind 0.0.0.0 --host mosquitto --host "$BROKER_HOST" \
  --persistence-dir /var/lib/mosquitto --run-as mosquitto --units "$UNITS" $store
[ -f "/etc/psn/proxy/$PROXY_HOST.pem" ] || psn pki issue-server "$PROXY_HOST" --out /etc/psn/proxy $store
# eclipse-mosquitto runs as uid 1883: it must read its 0600 keys and write its persistence directory.
chown -R 1883:1883 /etc/psn/broker /var/lib/mosquitto
