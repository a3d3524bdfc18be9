// Package rediscache is a generate.ChunkCache in Redis, shared by all
// workers, so that a retried generation task that lands on another worker
// still finds the chunks an earlier attempt finished and does not pay for
// them again.
package rediscache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/generate"
)

// DefaultTTL is how long a Cache keeps chunk results: longer than any
// task's retry schedule, short enough not to pile up.
const DefaultTTL = 24 * time.Hour

// DefaultPrefix starts every key of a Cache made with an empty prefix.
const DefaultPrefix = "quizflow:gen:"

// Cache is a generate.ChunkCache in Redis. It is safe for concurrent use.
type Cache struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ generate.ChunkCache = (*Cache)(nil)

// New returns a Cache whose keys start with prefix (empty means
// DefaultPrefix) and expire after ttl (zero or less means DefaultTTL).
func New(rdb redis.UniversalClient, prefix string, ttl time.Duration) *Cache {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{rdb: rdb, prefix: prefix, ttl: ttl}
}

// Get implements generate.ChunkCache: a key that is not stored (or has
// expired) is a miss, not an error.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := c.rdb.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("rediscache: get: %w", err)
	}
	return b, true, nil
}

// Set implements generate.ChunkCache.
func (c *Cache) Set(ctx context.Context, key string, value []byte) error {
	if err := c.rdb.Set(ctx, c.prefix+key, value, c.ttl).Err(); err != nil {
		return fmt.Errorf("rediscache: set: %w", err)
	}
	return nil
}
