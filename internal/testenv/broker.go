package testenv

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chatstate/chatstate/embedded"
	"github.com/chatstate/chatstate/kafka"
)

// KafkaDirEnv names the variable that gives the directory of a one-node
// Apache Kafka of scripts/kafka, the one CHATSTATE_TEST_BROKERS names, which
// tests may stop and start again (scripts/test-on-kafka sets both for the
// outage scenarios). Those tests then stop the whole cluster: nothing else
// may run against it meanwhile.
const KafkaDirEnv = "CHATSTATE_TEST_KAFKA_DIR"

// outages lets one test at a time stop the Apache Kafka of KafkaDirEnv.
var outages sync.Mutex

// RestartableBroker is a broker that a test can stop and start again on the
// same address, to play a broker outage: an embedded broker on a data dir
// of its own, or the Apache Kafka of KafkaDirEnv.
type RestartableBroker struct {
	t    testing.TB
	addr string
	dir  string
	b    *embedded.Broker
	// apache is set for the Apache Kafka of KafkaDirEnv, in dir; down
	// while a test has it stopped.
	apache, down bool
}

// RestartableKafka returns a broker that Stop and Start control, with a
// configuration of unique names whose topics exist: an embedded broker,
// or, with KafkaDirEnv and CHATSTATE_TEST_BROKERS set, that Apache Kafka,
// which it holds for the test alone until the test ends (tests that use it
// run one after the other) and leaves running. Without KafkaDirEnv, tests
// that use it skip when CHATSTATE_TEST_BROKERS names an outside cluster,
// which a test cannot stop. At most one per test with KafkaDirEnv.
func RestartableKafka(t testing.TB, partitions int) (*RestartableBroker, kafka.Config) {
	t.Helper()
	if env := os.Getenv("CHATSTATE_TEST_BROKERS"); env != "" {
		dir := os.Getenv(KafkaDirEnv)
		if dir == "" {
			t.Skip("needs a broker it can stop; CHATSTATE_TEST_BROKERS names an outside cluster without " + KafkaDirEnv)
		}
		outages.Lock()
		br := &RestartableBroker{t: t, dir: dir, apache: true}
		t.Cleanup(func() {
			br.Start()
			outages.Unlock()
		})
		return br, configFor(t, strings.Split(env, ","), partitions)
	}
	br := &RestartableBroker{t: t, dir: t.TempDir()}
	br.Start()
	br.addr = br.b.Addr()
	t.Cleanup(br.Stop)
	return br, configFor(t, []string{br.addr}, partitions)
}

// Start starts the broker (again), on the address it had before. An Apache
// Kafka is back once it answers metadata requests.
func (br *RestartableBroker) Start() {
	br.t.Helper()
	if br.apache {
		if br.down {
			br.kafkaScript("restart")
			br.down = false
		}
		return
	}
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
// write its data fails the test. An Apache Kafka is killed (SIGKILL): what
// it acknowledged is in its log on disk already.
func (br *RestartableBroker) Stop() {
	br.t.Helper()
	if br.apache {
		if !br.down {
			br.kafkaScript("kill")
			br.down = true
		}
		return
	}
	if br.b != nil {
		if err := br.b.Close(); err != nil {
			br.t.Errorf("stop embedded broker: %v", err)
		}
		br.b = nil
	}
}

// kafkaScript runs scripts/kafka cmd on node 1 of the Apache Kafka.
func (br *RestartableBroker) kafkaScript(cmd string) {
	br.t.Helper()
	if out, err := runScript("kafka", cmd, "--dir", br.dir, "--node", "1"); err != nil {
		br.t.Fatalf("scripts/kafka %s: %v\n%s", cmd, err, out)
	}
}
