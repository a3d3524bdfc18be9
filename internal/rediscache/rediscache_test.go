package rediscache_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/rediscache"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestGetSet(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.Redis(t)
	c := rediscache.New(rdb, "", 0)
	if b, ok, err := c.Get(ctx, "chunk-1"); err != nil || ok || b != nil {
		t.Fatalf("empty cache: %q %v %v, want a miss", b, ok, err)
	}
	want := []byte(`{"questions":[]}`)
	if err := c.Set(ctx, "chunk-1", want); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := c.Get(ctx, "chunk-1"); err != nil || !ok || !bytes.Equal(b, want) {
		t.Fatalf("after Set: %q %v %v, want %q", b, ok, err, want)
	}
	// Another worker's Cache on the same Redis sees it.
	if b, ok, _ := rediscache.New(rdb, "", 0).Get(ctx, "chunk-1"); !ok || !bytes.Equal(b, want) {
		t.Errorf("a second Cache got %q %v", b, ok)
	}
	// An empty value is a hit, not a miss.
	if err := c.Set(ctx, "empty", nil); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := c.Get(ctx, "empty"); err != nil || !ok || len(b) != 0 {
		t.Errorf("empty value: %q %v %v", b, ok, err)
	}
}

func TestPrefixAndTTL(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.Redis(t)
	def := rediscache.New(rdb, "", 0)
	mine := rediscache.New(rdb, "quizflow:chunks:", time.Hour)
	if err := def.Set(ctx, "k", []byte("default")); err != nil {
		t.Fatal(err)
	}
	if err := mine.Set(ctx, "k", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, value string
		ttl        time.Duration
	}{
		{rediscache.DefaultPrefix + "k", "default", rediscache.DefaultTTL},
		{"quizflow:chunks:k", "mine", time.Hour},
	} {
		if got, err := rdb.Get(ctx, tc.key).Result(); err != nil || got != tc.value {
			t.Errorf("%s = %q (%v), want %q", tc.key, got, err, tc.value)
		}
		// TTL is rounded to seconds; allow for the time the test took.
		if got, err := rdb.TTL(ctx, tc.key).Result(); err != nil || got > tc.ttl || got < tc.ttl-time.Minute {
			t.Errorf("TTL of %s = %v (%v), want about %v", tc.key, got, err, tc.ttl)
		}
	}
	if b, _, _ := mine.Get(ctx, "k"); string(b) != "mine" {
		t.Errorf("prefixes mixed: %q", b)
	}
}

// A Redis outage is an error, which the pipeline treats as a miss.
func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	c := rediscache.New(rdb, "", 0)
	if _, ok, err := c.Get(ctx, "k"); err == nil || ok {
		t.Errorf("Get on a dead Redis: %v %v, want an error", ok, err)
	}
	if err := c.Set(ctx, "k", []byte("v")); err == nil {
		t.Error("Set on a dead Redis: no error")
	}
}
