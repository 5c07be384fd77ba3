# scripts/bench-hub.sh: sourced by scripts/bench. The bare hub baseline
# (cmd/barehub: a plain gorilla/websocket hub, no Kafka, no persistence) on
# the workloads chatstate runs, the reconnect storms, and the rows of the
# targets table that compare chatstate with the hub measured in the same
# run. Uses scripts/bench's work, key, free_port, workload, get and verdict.

storm_clients=${BENCH_STORM_CLIENTS:-5000}

# start_hub NAME MODE: a fresh bare hub; MODE hub-nopresence writes no
# join and leave events (--presence=false), hub-relay passes each HTTP
# publish through an embedded broker (--relay-dir); sets srv_pid, srv_url
# and srv_cmd.
start_hub() {
  local hp
  hp=$(free_port)
  srv_url=http://127.0.0.1:$hp
  srv_args=(--http "127.0.0.1:$hp" --api-key "$key")
  [ "$2" = hub-nopresence ] && srv_args+=(--presence=false)
  [ "$2" = hub-relay ] && srv_args+=(--relay-dir "$work/$1.data")
  srv_cmd="barehub ${srv_args[*]}"
  "$work/barehub" "${srv_args[@]}" >"$work/$1.server.log" 2>&1 &
  srv_pid=$!
  for _ in $(seq 100); do
    curl -fsS "$srv_url/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "scripts/bench: the bare hub for $1 did not get ready:" >&2
  tail -20 "$work/$1.server.log" >&2
  return 1
}

# hub_workloads: the hub on w1, then on w1 with its publishes through
# Kafka (the floor of chatstate's path), on w2, on 5,000 idle connections (joins
# and memory; again without join and leave events, the hub at its
# barest), and the reconnect storm on the hub and on `chatstate dev`:
# BENCH_STORM_CLIENTS clients (default 5,000) in 3 rooms each, 10 members
# per room.
hub_workloads() {
  workload hub-w1-1000c-http hub --clients 1000 --rooms 100 --rate 1000 --publish http "${base[@]}"
  workload hub-relay-w1-1000c-http hub-relay --clients 1000 --rooms 100 --rate 1000 --publish http "${base[@]}"
  workload hub-w2-5000c-ws hub --clients 5000 --rooms 50 --rate 500 --publish ws "${base[@]}"
  workload hub-idle-5000 hub --clients 5000 --rooms 50 --rate 0 --duration 10s
  workload hub-idle-5000-nopresence hub-nopresence --clients 5000 --rooms 50 --rate 0 --duration 10s
  local storm=(--clients "$storm_clients" --rooms $((storm_clients * 3 / 10)) --storm-rooms 3 --payload 200)
  workload "storm-${storm_clients}x3-dev" dev "${storm[@]}"
  workload "hub-storm-${storm_clients}x3" hub "${storm[@]}"
}

# hub_ratio LABEL HUB-LABEL JQ: chatstate's figure over the hub's, same
# run; empty where either is missing.
hub_ratio() {
  awk -v a="$(get "$1" "$3")" -v b="$(get "$2" "$3")" 'BEGIN {
    if (a != "" && a != "null" && b != "" && b != "null" && b + 0 > 0) printf "%.1f×", a / b
  }'
}

# hub_rows: the targets table's rows of join CPU and the storm.
hub_rows() {
  local v s=storm-${storm_clients}x3-dev h=hub-storm-${storm_clients}x3
  v=$(get idle-5000-dev '.join_cpu_ms_per_join * 1000 | round / 1000')
  echo "| 5,000 joins: ≤ 0.5 ms of server CPU per join | $v ms ($(get idle-5000-dev '"\(.join_cpu_s) s of CPU while \(.connected) clients connected and joined in \(.connect_s * 100 | round / 100) s"'); idle-5000-dev) | $(verdict "$v" '<=' 0.5) | $(hub_ratio idle-5000-dev hub-idle-5000 .join_cpu_ms_per_join) |"
  v=$(get "$s" '.storm_s * 100 | round / 100')
  echo "| reconnect storm, ${storm_clients} clients × 3 rooms: all resumed ≤ 5 s | $v s (per client p50 $(get "$s" .storm_resume_latency.p50_ms) ms, p99 $(get "$s" .storm_resume_latency.p99_ms) ms; $(get "$s" .verdict)) | $(verdict "$v" '<=' 5) | $(hub_ratio "$s" "$h" .storm_s) |"
  v=$(get "$s" '.storm_cpu_ms_per_resume * 1000 | round / 1000')
  echo "| (same: server CPU per room resumed) | $v ms ($(get "$s" .storm_cpu_s) s for $(get "$s" .storm_resumes) resumes) | | $(hub_ratio "$s" "$h" .storm_cpu_ms_per_resume) |"
  echo "| (the bare hub with chatstate's path through Kafka under each HTTP publish, \`barehub --relay-dir\`: an acks=all write to the embedded broker, answered when it acknowledges, fanned out from a tail that reads it back; no processors, views or state: w1 delivery p50 / p99, CPU per 100,000 deliveries) | $(get hub-relay-w1-1000c-http '"\(.delivery_latency.p50_ms) / \(.delivery_latency.p99_ms) ms, \(.server_cpu_s_per_100k_deliveries * 100 | round / 100) s, \(.lost) lost"') | | $(hub_ratio hub-relay-w1-1000c-http hub-w1-1000c-http .server_cpu_s_per_100k_deliveries) |"
  echo "| (the bare hub, \`cmd/barehub\`, on the same workloads, joins and leaves fanned out as events like chatstate's: w1 delivery p50 / p99, CPU per 100,000 deliveries; w2 delivery p99; CPU per join, and without join events; RSS per idle connection; storm) | $(get hub-w1-1000c-http '"\(.delivery_latency.p50_ms) / \(.delivery_latency.p99_ms) ms, \(.server_cpu_s_per_100k_deliveries * 100 | round / 100) s"'); $(get hub-w2-5000c-ws '"\(.delivery_latency.p99_ms) ms"'); $(get hub-idle-5000 '.join_cpu_ms_per_join * 1000 | round / 1000') ms, $(get hub-idle-5000-nopresence '.join_cpu_ms_per_join * 1000 | round / 1000') ms; $(get hub-idle-5000 '.server_rss_per_conn_kib * 10 | round / 10') KiB; $(get "$h" '"\(.storm_s * 100 | round / 100) s, \(.storm_cpu_ms_per_resume * 1000 | round / 1000) ms per resume"') | | |"
}
