package testenv

import (
	"os"
	"testing"

	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
)

// RestartableBroker is an embedded broker on a data dir of its own that a test can stop
// and start again on the same address, to play a broker outage.
type RestartableBroker struct {
	t    testing.TB
	addr string
	dir  string
	b    *embedded.Broker
}

// RestartableKafka starts an embedded broker that Stop and Start control, and
// returns it with a configuration of unique names whose topics exist. Tests
// that use it skip when CHATSTATE_TEST_BROKERS names an outside cluster,
// which a test cannot stop.
func RestartableKafka(t testing.TB, partitions int) (*RestartableBroker, kafka.Config) {
	t.Helper()
	if os.Getenv("CHATSTATE_TEST_BROKERS") != "" {
		t.Skip("needs an embedded broker it can stop; CHATSTATE_TEST_BROKERS names an outside cluster")
	}
	br := &RestartableBroker{t: t, dir: t.TempDir()}
	br.Start()
	br.addr = br.b.Addr()
	t.Cleanup(br.Stop)
	return br, configFor(t, []string{br.addr}, partitions)
}

// Start starts the broker (again), on the address it had before.
func (br *RestartableBroker) Start() {
	br.t.Helper()
	if br.b != nil {
		return
	}
	b, err := embedded.Start(embedded.Config{Addr: br.addr, DataDir: br.dir})
	if err != nil {
		br.t.Fatalf("start embedded broker: %v", err)
	}
	br.b = b
}

// Stop stops the broker; its data stays for Start. A broker that could not
// write its data fails the test.
func (br *RestartableBroker) Stop() {
	br.t.Helper()
	if br.b != nil {
		if err := br.b.Close(); err != nil {
			br.t.Errorf("stop embedded broker: %v", err)
		}
		br.b = nil
	}
}
