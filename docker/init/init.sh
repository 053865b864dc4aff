#!/bin/sh
# Creates the Elasticsearch index with its dense_vector mapping (dims must equal the model's, 384 for
# MiniLM) before any document arrives, then registers the sink connector. Safe to run again.
set -eu
es=http://elasticsearch:9200
connect=http://connect:8083
index=embeddings

if curl -fsS -o /dev/null "$es/$index"; then
  echo "index $index exists"
else
  curl -fsS -X PUT "$es/$index" -H 'Content-Type: application/json' --data-binary @/init/index-mapping.json
  echo
fi

# PUT .../config creates the connector or updates it in place
curl -fsS -X PUT "$connect/connectors/elasticsearch-embeddings/config" \
  -H 'Content-Type: application/json' --data-binary @/init/elasticsearch-sink.json
echo
