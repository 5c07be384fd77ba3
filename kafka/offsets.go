package kafka

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// EndOffsets returns the next offset to be written of each of the first n
// partitions of topic, one request per partition through client. The error
// names the partition that failed.
func EndOffsets(client sarama.Client, topic string, n int) ([]int64, error) {
	out := make([]int64, n)
	for p := range int32(n) {
		off, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, fmt.Errorf("end offset of %s/%d: %w", topic, p, err)
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
