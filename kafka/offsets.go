package kafka

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// EndOffsets returns the next offset to be written of each of the first n
// partitions of topic: one request per partition leader through client,
// not one per partition (a server settles and watches lag with it every
// few seconds). The error names the partition that failed.
func EndOffsets(client sarama.Client, topic string, n int) ([]int64, error) {
	return listOffsets(client, topic, n, sarama.OffsetNewest)
}

// StartOffsets returns the first retained offset of each of the first n
// partitions of topic, batched as EndOffsets is.
func StartOffsets(client sarama.Client, topic string, n int) ([]int64, error) {
	return listOffsets(client, topic, n, sarama.OffsetOldest)
}

// listOffsets asks each leader for its partitions' offsets at time in one
// request. A partition whose answer fails (a leader moved, a broker gone) is
// asked again alone through client.GetOffset, which refreshes the metadata
// and retries once.
func listOffsets(client sarama.Client, topic string, n int, time int64) ([]int64, error) {
	out := make([]int64, n)
	reqs := map[*sarama.Broker]*sarama.OffsetRequest{}
	asked := map[*sarama.Broker][]int32{}
	var retry []int32
	for p := range int32(n) {
		leader, err := client.Leader(topic, p)
		if err != nil {
			retry = append(retry, p)
			continue
		}
		req := reqs[leader]
		if req == nil {
			req = sarama.NewOffsetRequest(client.Config().Version)
			reqs[leader] = req
		}
		req.AddBlock(topic, p, time, 1)
		asked[leader] = append(asked[leader], p)
	}
	for broker, req := range reqs {
		resp, err := broker.GetAvailableOffsets(req)
		for _, p := range asked[broker] {
			var b *sarama.OffsetResponseBlock
			if err == nil {
				b = resp.GetBlock(topic, p)
			}
			if b == nil || !errors.Is(b.Err, sarama.ErrNoError) || len(b.Offsets) != 1 {
				retry = append(retry, p)
				continue
			}
			out[p] = b.Offsets[0]
		}
	}
	for _, p := range retry {
		off, err := client.GetOffset(topic, p, time)
		if err != nil {
			return nil, fmt.Errorf("offset of %s/%d: %w", topic, p, err)
		}
		out[p] = off
	}
	return out, nil
}

// CommittedOffsets returns group's committed offset of each of the first n
// partitions of topic, -1 where it has none, and all -1 for a group that
// does not exist (never started, or deleted by a rebuild). It shares client
// and leaves it open.
func CommittedOffsets(client sarama.Client, group, topic string, n int) ([]int64, error) {
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	// The admin shares the client; closing the admin would close it.
	parts := make([]int32, n)
	out := make([]int64, n)
	for i := range parts {
		parts[i], out[i] = int32(i), -1
	}
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: parts})
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	for i, p := range parts {
		if b := resp.GetBlock(topic, p); b != nil && errors.Is(b.Err, sarama.ErrNoError) {
			out[i] = b.Offset
		}
	}
	return out, nil
}
