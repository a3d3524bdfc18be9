package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// StreamPrefix starts the key of each user's set of open streams.
const StreamPrefix = "qf:sse:"

// Streams caps how many long-lived streams (job event streams) one key, a
// user, may hold open at once, counted across every API replica: each key
// has a sorted set in Redis with one member per open stream, scored by
// when it expires. A stream's holder refreshes it (Refresh) more often
// than lease, and removes it when the stream ends (Close); a stream whose
// replica died without closing it expires after lease. A nil *Streams
// admits everything.
type Streams struct {
	rdb   redis.UniversalClient
	max   int
	lease time.Duration
}

// NewStreams returns a Streams admitting at most max open streams per key,
// each held for lease after its last refresh.
func NewStreams(rdb redis.UniversalClient, max int, lease time.Duration) *Streams {
	return &Streams{rdb: rdb, max: max, lease: lease}
}

// admitStream drops KEYS[1]'s members that expired by ARGV[1] (unix ms)
// and, if fewer than ARGV[2] remain, adds member ARGV[4] expiring at
// ARGV[3]; the set itself then lives ARGV[5] ms, so a user's abandoned set
// goes away on its own. It returns 1 if admitted, else 0.
var admitStream = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// Open admits one stream of key. It returns the stream's id, for Refresh
// and Close, and true; or false when key already holds the maximum. Redis
// errors are returned wrapped (the caller decides whether to admit).
func (s *Streams) Open(ctx context.Context, key string) (string, bool, error) {
	if s == nil {
		return "", true, nil
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now()
	ok, err := admitStream.Run(ctx, s.rdb, []string{StreamPrefix + key},
		now.UnixMilli(), s.max, now.Add(s.lease).UnixMilli(), id, s.lease.Milliseconds()).Int()
	if err != nil {
		return "", false, fmt.Errorf("stream cap: admit: %w", err)
	}
	return id, ok == 1, nil
}

// Refresh extends stream id of key by another lease.
func (s *Streams) Refresh(ctx context.Context, key, id string) error {
	if s == nil || id == "" {
		return nil
	}
	k := StreamPrefix + key
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, k, redis.Z{Score: float64(time.Now().Add(s.lease).UnixMilli()), Member: id})
		p.PExpire(ctx, k, s.lease)
		return nil
	})
	if err != nil {
		return fmt.Errorf("stream cap: refresh: %w", err)
	}
	return nil
}

// Close removes stream id of key, making room for another.
func (s *Streams) Close(ctx context.Context, key, id string) error {
	if s == nil || id == "" {
		return nil
	}
	if err := s.rdb.ZRem(ctx, StreamPrefix+key, id).Err(); err != nil {
		return fmt.Errorf("stream cap: close: %w", err)
	}
	return nil
}
