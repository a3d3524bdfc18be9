package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/testenv"
)

func TestStreams(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	ctx := context.Background()
	a := NewStreams(rdb, 2, 30*time.Second)
	b := NewStreams(rdb, 2, 30*time.Second) // another replica
	first, ok, err := a.Open(ctx, "alice")
	if !ok || err != nil {
		t.Fatalf("first stream = %v, %v", ok, err)
	}
	if _, ok, err := b.Open(ctx, "alice"); !ok || err != nil {
		t.Fatalf("second stream, other replica = %v, %v", ok, err)
	}
	if _, ok, err := a.Open(ctx, "alice"); ok || err != nil {
		t.Fatalf("third stream = %v, %v; want refused", ok, err)
	}
	if _, ok, _ := a.Open(ctx, "bob"); !ok {
		t.Error("bob refused: he shares alice's cap")
	}
	if err := b.Close(ctx, "alice", first); err != nil {
		t.Fatal(err)
	}
	third, ok, err := a.Open(ctx, "alice")
	if !ok || err != nil {
		t.Fatalf("after a close = %v, %v; want admitted", ok, err)
	}
	if ttl := rdb.PTTL(ctx, StreamPrefix+"alice").Val(); ttl <= 0 || ttl > 30*time.Second {
		t.Errorf("set TTL %v, want (0, 30s]", ttl)
	}

	// Refresh moves the stream's expiry on.
	if err := rdb.ZAdd(ctx, StreamPrefix+"alice", redis.Z{Score: 1, Member: third}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.Refresh(ctx, "alice", third); err != nil {
		t.Fatal(err)
	}
	if score := rdb.ZScore(ctx, StreamPrefix+"alice", third).Val(); score < float64(time.Now().UnixMilli()) {
		t.Errorf("score after refresh %v, want in the future", score)
	}

	// A stream whose replica died (its expiry passed, never closed) stops
	// counting.
	if err := rdb.ZAdd(ctx, StreamPrefix+"carol", redis.Z{Score: float64(time.Now().Add(-time.Second).UnixMilli()), Member: "dead1"},
		redis.Z{Score: float64(time.Now().Add(-time.Second).UnixMilli()), Member: "dead2"}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Open(ctx, "carol"); !ok || err != nil {
		t.Errorf("over expired streams = %v, %v; want admitted", ok, err)
	}
	if n := rdb.ZCard(ctx, StreamPrefix+"carol").Val(); n != 1 {
		t.Errorf("carol holds %d streams, want 1", n)
	}

	var none *Streams
	if id, ok, err := none.Open(ctx, "x"); !ok || err != nil || id != "" {
		t.Error("nil Streams refused")
	}
	if err := none.Refresh(ctx, "x", ""); err != nil {
		t.Error(err)
	}
	if err := none.Close(ctx, "x", ""); err != nil {
		t.Error(err)
	}

	_ = rdb.Close()
	if _, _, err := a.Open(ctx, "alice"); err == nil {
		t.Error("Open with Redis closed: no error")
	}
}
