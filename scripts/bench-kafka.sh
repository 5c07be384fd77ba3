# scripts/bench-kafka.sh: the workloads of scripts/bench on Apache Kafka,
# sourced by scripts/bench (not run on its own). Each starts a fresh Apache
# Kafka 4.4 with scripts/kafka (one node, or three with replication 3 and
# min.insync.replicas 2), then `chatstate processor` and `chatstate server`
# as processes of their own, as a production deployment runs them, and is
# driven by chatbench as the other workloads are. Needs Java 17+ and Maven
# (scripts/kafka fetches Kafka once into its cache); where they are missing,
# the workload's row says why instead of figures.
#
# Uses what scripts/bench defines: work, limits, base, extra_pids,
# srv_args, srv_cmd, workload, get, verdict.

# BENCH_PORTS=LO-HI keeps every port the bench listens on (servers,
# brokers, controllers) in that range, for a machine where others use the
# default ones; it needs at least 300 ports. scripts/bench's free_port
# draws above its lowest 200, kafka_ports in its lowest hundred.
if [[ ${BENCH_PORTS:-} =~ ^([0-9]+)-([0-9]+)$ ]]; then
  ports_lo=${BASH_REMATCH[1]}
fi

# kafka_ports NODES: a base port whose brokers (base..base+NODES-1) and
# controllers (base+100..) are free: below 31000 (under the ephemeral
# range), or in the lowest hundred of BENCH_PORTS.
kafka_ports() {
  local base i ok
  while :; do
    base=$((20000 + RANDOM % 11000)) ok=1
    [ -n "${ports_lo:-}" ] && base=$((ports_lo + RANDOM % (100 - $1)))
    for ((i = 0; i < $1; i++)); do
      for p in $((base + i)) $((base + 100 + i)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ok=0
      done
    done
    [ $ok = 1 ] && { echo $base; return; }
  done
}

# start_kafka NAME NODES HTTP-PORT: for start_server, a fresh Kafka of
# NODES nodes and a processor; sets srv_args and srv_cmd of the server that
# start_server starts then. The processor and the broker nodes go to
# extra_pids, so that stop_server stops them after the server, whose
# goodbye needs them. Fails, with the reason in the server's log, if Kafka
# does not start.
start_kafka() {
  local name=$1 nodes=$2 hp=$3 kp brokers node
  local kdir=$work/$name.kafka
  kp=$(kafka_ports "$nodes")
  srv_cmd="scripts/kafka start --port $kp --dir DATA --nodes $nodes"
  if ! brokers=$(scripts/kafka start --port "$kp" --dir "$kdir" --nodes "$nodes" 2>"$work/$name.server.log"); then
    echo "scripts/kafka start failed: $(grep -v '^\s*$' "$work/$name.server.log" | tail -1)" >>"$work/$name.server.log"
    return 1
  fi
  for node in "$kdir"/node*; do extra_pids+=("$(cat "$node/pid")"); done
  local pargs=(--log-level warn --brokers "$brokers" processor --state-dir "$work/$name.data/processor")
  "$work/chatstate" "${pargs[@]}" >"$work/$name.processor.log" 2>&1 &
  extra_pids=($! "${extra_pids[@]}")
  srv_args=(--log-level warn --brokers "$brokers" server --http "127.0.0.1:$hp" --state-dir "$work/$name.data/server" "${limits[@]}")
  srv_cmd="$srv_cmd && chatstate ${pargs[*]} & chatstate ${srv_args[*]}"
}

# kafka_workloads: the workloads, unless BENCH_KAFKA=0.
kafka_workloads() {
  [ "${BENCH_KAFKA:-1}" = 0 ] && return 0
  workload kafka1-1000c-http kafka1 --clients 1000 --rooms 100 --rate 1000 --publish http "${base[@]}"
  workload kafka3-1000c-http kafka3 --clients 1000 --rooms 100 --rate 1000 --publish http "${base[@]}"
}

# kafka_report_rows: the rows of the targets table for the workloads above.
kafka_report_rows() {
  local l v
  for l in kafka1-1000c-http kafka3-1000c-http; do
    [ -n "$(get $l .label)" ] || continue
    local what="Apache Kafka, one broker"
    [ $l = kafka3-1000c-http ] && what="Apache Kafka, three brokers, replication 3, min.insync.replicas 2 (no target)"
    if [ -n "$(get $l '.error // empty')" ]; then
      echo "| $what: 1,000 clients / 100 rooms / 1,000 msg/s HTTP, processor and server as processes | not measured: $(get $l .error) | not measured |"
      continue
    fi
    v=$(get $l '"\(.acked / .publish_s | round) msg/s acked, \(.lost) lost; publish p50 \(.ack_latency.p50_ms) ms, p99 \(.ack_latency.p99_ms) ms; delivery p50 \(.delivery_latency.p50_ms) ms, p99 \(.delivery_latency.p99_ms) ms"')
    if [ $l = kafka1-1000c-http ]; then
      local ok=met rate
      rate=$(get $l '.acked / .publish_s')
      awk -v r="$rate" 'BEGIN { exit !(r >= 990) }' || ok=missed
      [ "$(get $l .lost)" = 0 ] || ok=missed
      [ "$(verdict "$(get $l .delivery_latency.p99_ms)" '<=' 20)" = met ] || ok=missed
      [ "$(verdict "$(get $l .ack_latency.p99_ms)" '<=' 15)" = met ] || ok=missed
      echo "| $what: 1,000 msg/s HTTP, 0 lost, delivery p99 ≤ 20 ms, publish p99 ≤ 15 ms | $v | $ok |"
    else
      echo "| $what: the same workload | $v | |"
    fi
  done
}
