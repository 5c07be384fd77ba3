package codec_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/chatstate/chatstate/codec"
)

func TestHeartbeatOps(t *testing.T) {
	for _, op := range []string{"beat", "retire", "forget"} {
		raw := `{"v":1,"op":"` + op + `","instance":"s1/0a1b2c3d","server":"s1","ts":"2024-05-01T12:00:00.000Z"}`
		h, err := codec.DecodeHeartbeat([]byte(raw))
		if err != nil || string(h.Op) != op {
			t.Fatalf("%s: %+v %v", op, h, err)
		}
		b, err := codec.HeartbeatCodec{}.Encode(h)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := (codec.HeartbeatCodec{}).Decode(b); err != nil || !reflect.DeepEqual(back, h) {
			t.Fatalf("%s: round trip %+v %v", op, back, err)
		}
	}
	for _, raw := range []string{
		`{"v":1,"op":"vanish","instance":"s1/0a1b2c3d","server":"s1","ts":"2024-05-01T12:00:00.000Z"}`,
		`{"v":1,"op":"","instance":"s1/0a1b2c3d","server":"s1","ts":"2024-05-01T12:00:00.000Z"}`,
		`{"v":1,"op":"forget","instance":"","server":"s1","ts":"2024-05-01T12:00:00.000Z"}`,
		`{"v":1,"op":"forget","instance":"s1/0a1b2c3d","server":"","ts":"2024-05-01T12:00:00.000Z"}`,
		`{"v":1,"op":"forget","instance":"s1/0a1b2c3d","server":"s1","ts":"yesterday"}`,
	} {
		if _, err := codec.DecodeHeartbeat([]byte(raw)); !errors.Is(err, codec.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", raw, err)
		}
	}
	for _, raw := range []string{
		`{"v":2,"op":"forget","instance":"s1/0a1b2c3d","server":"s1","ts":"2024-05-01T12:00:00.000Z"}`,
		`{"v":1,"op":"forget","instance":"s1/0a1b2c3d","server":"s1","ts":"2024-05-01T12:00:00.000Z","extra":1}`,
	} {
		if _, err := codec.DecodeHeartbeat([]byte(raw)); !errors.Is(err, codec.ErrDecode) {
			t.Errorf("%s: got %v, want ErrDecode", raw, err)
		}
	}
}

func TestHeldBuckets(t *testing.T) {
	seen := map[int]bool{}
	for i := range 10000 {
		s := fmt.Sprintf("%016x", i*7919)
		b := codec.HeldBucket(s)
		if b < 0 || b >= codec.HeldBuckets || codec.HeldBucket(s) != b {
			t.Fatalf("bucket of %s: %d", s, b)
		}
		seen[b] = true
		if k := codec.HeldKey("s1/0a1b2c3d", s); k != fmt.Sprintf("s1/0a1b2c3d#%02d", b) {
			t.Fatalf("held key %q", k)
		}
	}
	if len(seen) != codec.HeldBuckets {
		t.Fatalf("10000 sessions fell in %d buckets", len(seen))
	}
	// The hash is part of the table's layout: it must not change.
	if b := codec.HeldBucket("session-1"); b != int(fnv1a("session-1")%codec.HeldBuckets) {
		t.Fatalf("bucket %d", b)
	}
	if k := codec.BucketKey("a/1", 5); k != "a/1#05" {
		t.Fatalf("bucket key %q", k)
	}
}

// fnv1a is 32-bit FNV-1a, written out.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func TestServerRows(t *testing.T) {
	bucket := codec.NewBucketState("s1/0a1b2c3d", 7)
	bucket.Held["lobby/x"] = codec.Held{Room: "lobby", User: "alice", Session: "x"}
	inst := codec.NewServerState("s1/0a1b2c3d")
	inst.Server, inst.Beat, inst.Since = "s1", "2024-05-01T12:00:01.000Z", "2024-05-01T12:00:00.000Z"
	for _, row := range []*codec.ServerState{bucket, inst} {
		b, err := codec.ServerCodec{}.Encode(row)
		if err != nil {
			t.Fatal(err)
		}
		v, err := codec.ServerCodec{}.Decode(b)
		if err != nil || !reflect.DeepEqual(v, row) {
			t.Fatalf("round trip of %s: %+v %v", b, v, err)
		}
	}
	if !bucket.IsBucket() || bucket.Bucket != "07" || inst.IsBucket() {
		t.Fatalf("kinds: %+v %+v", bucket, inst)
	}
	// A row of an older build: no bucket, sessions in the instance row.
	old := `{"v":1,"instance":"s1/0a1b2c3d","server":"s1","beat":"","since":"2024-05-01T12:00:00.000Z","retired":false,"held":{"lobby/x":{"room":"lobby","user":"alice","session":"x"}}}`
	v, err := codec.ServerCodec{}.Decode([]byte(old))
	if r := codec.AsServer(v); err != nil || r.IsBucket() || len(r.Held) != 1 {
		t.Fatalf("older row: %+v %v", v, err)
	}
	for _, raw := range []string{
		`{"v":1,"instance":"i","bucket":"64","server":"","beat":"","since":"","retired":false,"held":{}}`,
		`{"v":1,"instance":"i","bucket":"7","server":"","beat":"","since":"","retired":false,"held":{}}`,
		`{"v":1,"instance":"i","bucket":"0x","server":"","beat":"","since":"","retired":false,"held":{}}`,
		`{"v":1,"instance":"i","server":"","beat":"","since":"","retired":false,"held":{},"buckets":3}`,
		`{"v":2,"instance":"i","server":"","beat":"","since":"","retired":false,"held":{}}`,
	} {
		if _, err := (codec.ServerCodec{}).Decode([]byte(raw)); !errors.Is(err, codec.ErrDecode) {
			t.Errorf("%s: got %v, want ErrDecode", raw, err)
		}
	}
}
