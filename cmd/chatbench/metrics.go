package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serverMetrics is what chatbench reads from the server's /metrics: the
// time Kafka took to acknowledge the server's writes, which tells the
// server's share of a latency from the load generator's own queueing.
type serverMetrics struct {
	ok           bool
	produceSum   float64 // seconds
	produceCount float64
	deliveries   float64 // event frames queued to clients
}

// scrapeMetrics reads base/metrics; ok is false if it could not.
func scrapeMetrics(base string) serverMetrics {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return serverMetrics{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverMetrics{}
	}
	var m serverMetrics
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		case "chatstate_produce_seconds_sum":
			m.produceSum, m.ok = v, true
		case "chatstate_produce_seconds_count":
			m.produceCount = v
		case "chatstate_deliveries_total":
			m.deliveries = v
		}
	}
	return m
}

// produceMeanMs is the mean produce time between two scrapes, in ms.
func produceMeanMs(a, b serverMetrics) float64 {
	if !a.ok || !b.ok || b.produceCount <= a.produceCount {
		return 0
	}
	return (b.produceSum - a.produceSum) / (b.produceCount - a.produceCount) * 1000
}
