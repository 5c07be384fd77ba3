package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/urfave/cli/v2"
)

// fillCommand writes a synthetic log straight to Kafka, for measuring how
// long a server takes to recover with a large log behind it.
func fillCommand() *cli.Command {
	return &cli.Command{
		Name:  "fill",
		Usage: "write a synthetic log to the events topic: per room two users join, send messages and leave",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "brokers", Value: "127.0.0.1:9092", Usage: "Kafka bootstrap addresses, comma-separated"},
			&cli.StringFlag{Name: "topic-prefix", Value: kafka.DefaultPrefix, Usage: "prefix of the topics"},
			&cli.IntFlag{Name: "partitions", Value: kafka.DefaultPartitions, Usage: "partitions of the topics"},
			&cli.IntFlag{Name: "events", Value: 1_000_000, Usage: "events to write (a multiple of 10 per room)"},
			&cli.IntFlag{Name: "rooms", Value: 100_000, Usage: "rooms the events are spread over"},
			&cli.IntFlag{Name: "payload", Value: 200, Usage: "message text size in bytes"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := kafka.Config{Brokers: strings.Split(c.String("brokers"), ","), Names: kafka.NewNames(c.String("topic-prefix")),
				Partitions: c.Int("partitions")}.WithDefaults()
			if err != nil {
				return err
			}
			if err := kafka.EnsureTopics(cfg); err != nil {
				return err
			}
			start := time.Now()
			n, bytes, err := fill(cfg, c.Int("events"), c.Int("rooms"), c.Int("payload"))
			fmt.Printf(`{"events":%d,"bytes":%d,"fill_s":%.2f}`+"\n", n, bytes, time.Since(start).Seconds())
			return err
		},
	}
}

// fill writes events in rounds of ten per room, each room in turn: two
// users join, six messages, both leave. Nobody stays online, so nothing
// needs to expire later. It returns the events and value bytes written.
func fill(cfg kafka.Config, events, rooms, payload int) (int, int64, error) {
	sc := cfg.Sarama("bench-fill")
	sc.Producer.Flush.Messages = 1000
	sc.Producer.Flush.Frequency = 5 * time.Millisecond
	prod, err := sarama.NewSyncProducer(cfg.Brokers, sc)
	if err != nil {
		return 0, 0, fmt.Errorf("producer: %w", err)
	}
	defer prod.Close()
	text := strings.Repeat("x", max(payload, 1))
	var batch []*sarama.ProducerMessage
	var total int64
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := prod.SendMessages(batch)
		batch = batch[:0]
		return err
	}
	for round := 0; n < events; round++ {
		for r := 0; r < rooms && n < events; r++ {
			room := fmt.Sprintf("fill-r%d", r)
			users := [2]string{fmt.Sprintf("fill-u%d", 2*r), fmt.Sprintf("fill-u%d", 2*r+1)}
			sessions := [2]string{codec.NewID(), codec.NewID()}
			for k := 0; k < 10 && n < events; k++ {
				var e codec.Event
				switch {
				case k < 2:
					e = codec.NewEvent(codec.Join, room, users[k])
					e.Session, e.Server = sessions[k], "bench-fill"
				case k < 8:
					e = codec.NewEvent(codec.Message, room, users[k%2])
					e.Text = text
				default:
					e = codec.NewEvent(codec.Leave, room, users[k-8])
					e.Session, e.Server = sessions[k-8], "bench-fill"
				}
				v, err := codec.EventCodec{}.Encode(&e)
				if err != nil {
					return n, total, err
				}
				total += int64(len(v))
				batch = append(batch, &sarama.ProducerMessage{Topic: string(cfg.Names.Events), Key: sarama.StringEncoder(room), Value: sarama.ByteEncoder(v)})
				n++
				if len(batch) == 5000 {
					if err := flush(); err != nil {
						return n, total, err
					}
				}
			}
		}
	}
	return n, total, flush()
}
