// Package ops is what operators see of a server beyond its API: its
// Prometheus metrics (Metrics, served at /metrics), the gauges read from
// Kafka (the processors' lag and the dead letters, WatchLag) and the probe
// of the brokers that readiness reports (ProbeKafka).
//
// # Concurrency
//
// The metrics are prometheus metrics: safe for concurrent use. WatchLag and
// ProbeKafka run on the caller's goroutine until their context is done;
// start each once per server. Nothing here takes a lock of the server's.
package ops
