package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/kafka"
)

// ErrTruncated is returned by Execute, unless forced, when retention has
// deleted the start of the events topic: the rebuilt tables would lack the
// effect of the deleted events.
var ErrTruncated = errors.New("replay: retention deleted the start of the events topic")

// Member is a running member of a processors' consumer group.
type Member struct {
	Group, MemberID, ClientID, Host string
}

// RunningError refuses a rebuild while processors run; it names them.
type RunningError struct{ Members []Member }

// Error names every running member on one line.
func (e *RunningError) Error() string {
	var b strings.Builder
	b.WriteString("processors are running; stop them first:")
	for i, m := range e.Members {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " group %s member %s (client %s) on %s", m.Group, m.MemberID, m.ClientID, m.Host)
	}
	return b.String()
}

// RebuildPlan is what a rebuild does. PlanRebuild makes it, Describe says
// it in words and Execute carries it out.
type RebuildPlan struct {
	cfg kafka.Config
	// Groups are the consumer groups to delete, with their committed offset
	// on each partition of their input (-1: none).
	Groups map[string][]int64
	// Presence maps each partition of the presence topic that holds records
	// to its first and next offset: the records to delete.
	Presence map[int32][2]int64
	// Tombstones holds, per table topic and partition, the keys to delete.
	Tombstones map[string][][]string
	// Truncated maps each partition of the events topic that no longer
	// starts at offset 0 to its first retained offset.
	Truncated map[int32]int64
}

// PlanRebuild reads what a rebuild of cfg's tables would change. It fails
// with a *RunningError while members of any of the processors' groups
// (rooms, users, servers) run.
func PlanRebuild(ctx context.Context, cfg kafka.Config) (*RebuildPlan, error) {
	c, err := dial(cfg, "rebuild")
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.refuseRunning(); err != nil {
		return nil, err
	}
	n := c.cfg.Names
	p := &RebuildPlan{cfg: c.cfg, Groups: map[string][]int64{}, Presence: map[int32][2]int64{},
		Tombstones: map[string][][]string{}, Truncated: map[int32]int64{}}
	inputs := map[string]string{string(n.RoomsGroup): string(n.Events), string(n.UsersGroup): string(n.Presence)}
	for group, topic := range inputs {
		if p.Groups[group], err = c.committed(group, topic); err != nil {
			return nil, err
		}
	}
	start, end, err := c.offsets(string(n.Presence))
	if err != nil {
		return nil, err
	}
	for i := range start {
		if end[i] > start[i] {
			p.Presence[int32(i)] = [2]int64{start[i], end[i]}
		}
	}
	if start, _, err = c.offsets(string(n.Events)); err != nil {
		return nil, err
	}
	for i, s := range start {
		if s > 0 {
			p.Truncated[int32(i)] = s
		}
	}
	for _, topic := range []string{string(n.RoomsTable()), string(n.UsersTable())} {
		t := newTable(topic, c.cfg.Partitions)
		if _, err := t.update(ctx, c, nil); err != nil {
			return nil, err
		}
		keys := make([][]string, len(t.rows))
		for part, rows := range t.rows {
			for k := range rows {
				keys[part] = append(keys[part], k)
			}
			sort.Strings(keys[part])
		}
		p.Tombstones[topic] = keys
	}
	return p, nil
}

// refuseRunning returns a *RunningError if the processors' groups have
// members.
func (c *conn) refuseRunning() error {
	admin, err := sarama.NewClusterAdminFromClient(c.client)
	if err != nil {
		return fmt.Errorf("replay: admin: %w", err)
	}
	n := c.cfg.Names
	// The servers group is not reset, but it reads the presence records
	// that the reset deletes and the rooms processors emit again.
	descs, err := admin.DescribeConsumerGroups([]string{string(n.RoomsGroup), string(n.UsersGroup), string(n.ServersGroup)})
	if err != nil {
		return fmt.Errorf("replay: describe groups: %w", err)
	}
	var running []Member
	for _, d := range descs {
		for id, m := range d.Members {
			running = append(running, Member{Group: d.GroupId, MemberID: id, ClientID: m.ClientId, Host: m.ClientHost})
		}
	}
	if len(running) == 0 {
		return nil
	}
	sort.Slice(running, func(i, j int) bool {
		return running[i].Group+running[i].MemberID < running[j].Group+running[j].MemberID
	})
	return &RunningError{Members: running}
}

// Describe writes the plan in words.
func (p *RebuildPlan) Describe(w io.Writer) {
	groups := make([]string, 0, len(p.Groups))
	for g := range p.Groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		fmt.Fprintf(w, "delete consumer group %s (committed offsets %s), so that its next processor starts from the log start\n", g, offsetList(p.Groups[g]))
	}
	var recs int64
	for _, r := range p.Presence {
		recs += r[1] - r[0]
	}
	fmt.Fprintf(w, "delete the %d records of %s on %d partitions (the rooms processors emit them again)\n", recs, p.cfg.Names.Presence, len(p.Presence))
	for _, topic := range []string{string(p.cfg.Names.RoomsTable()), string(p.cfg.Names.UsersTable())} {
		n := 0
		for _, ks := range p.Tombstones[topic] {
			n += len(ks)
		}
		fmt.Fprintf(w, "write %d tombstones to %s, one for every key\n", n, topic)
	}
	fmt.Fprintf(w, "keep consumer group %s and %s: it applies the presence records emitted again, which leave each server's sessions as they are\n",
		p.cfg.Names.ServersGroup, p.cfg.Names.ServersTable())
	if len(p.Truncated) > 0 {
		fmt.Fprintf(w, "warning: retention deleted the start of %s (first offsets by partition: %v): the rebuilt tables will lack those events\n", p.cfg.Names.Events, p.Truncated)
	}
}

func offsetList(offs []int64) string {
	parts := make([]string, len(offs))
	for i, o := range offs {
		parts[i] = fmt.Sprintf("%d:%d", i, o)
	}
	return strings.Join(parts, " ")
}

// Execute carries out the plan: it deletes the consumer groups, the
// records of the presence topic, and writes the tombstones. It refuses
// while processors run, and, unless force, when the events topic was
// truncated (ErrTruncated).
func (p *RebuildPlan) Execute(ctx context.Context, force bool) error {
	if len(p.Truncated) > 0 && !force {
		return fmt.Errorf("%w (first offsets by partition: %v): the rebuilt tables would lack those events", ErrTruncated, p.Truncated)
	}
	c, err := dial(p.cfg, "rebuild")
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.refuseRunning(); err != nil {
		return err
	}
	admin, err := sarama.NewClusterAdminFromClient(c.client)
	if err != nil {
		return fmt.Errorf("replay: admin: %w", err)
	}
	for g := range p.Groups {
		if err := admin.DeleteConsumerGroup(g); err != nil && !errors.Is(err, sarama.ErrGroupIDNotFound) {
			return fmt.Errorf("replay: delete group %s: %w", g, err)
		}
	}
	presence := string(p.cfg.Names.Presence)
	start, end, err := c.offsets(presence)
	if err != nil {
		return err
	}
	upTo := map[int32]int64{}
	for part := range start {
		if end[part] > start[part] {
			upTo[int32(part)] = end[part]
		}
	}
	if len(upTo) > 0 {
		if err := admin.DeleteRecords(presence, upTo); err != nil {
			return fmt.Errorf("replay: delete records of %s: %w", presence, err)
		}
	}
	if err := p.tombstones(ctx); err != nil {
		return err
	}
	if err := c.refuseRunning(); err != nil {
		return fmt.Errorf("processors started during the rebuild and may have read half-cleared tables; stop them and rebuild again: %w", err)
	}
	return nil
}

func (p *RebuildPlan) tombstones(ctx context.Context) error {
	sc := p.cfg.Sarama("rebuild")
	sc.Producer.Partitioner = sarama.NewManualPartitioner
	sc.Producer.Return.Successes = true
	prod, err := sarama.NewSyncProducer(p.cfg.Brokers, sc)
	if err != nil {
		return fmt.Errorf("replay: producer: %w", err)
	}
	defer prod.Close()
	var batch []*sarama.ProducerMessage
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := prod.SendMessages(batch); err != nil {
			return fmt.Errorf("replay: write tombstones: %w", err)
		}
		batch = batch[:0]
		return ctx.Err()
	}
	for topic, parts := range p.Tombstones {
		for part, keys := range parts {
			for _, k := range keys {
				batch = append(batch, &sarama.ProducerMessage{Topic: topic, Partition: int32(part), Key: sarama.StringEncoder(k)})
				if len(batch) == 1000 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
	}
	return flush()
}
