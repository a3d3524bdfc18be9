package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Gate refuses work past a limit per key (a client IP, an account), the
// counterpart of Limiter's waiting: a request over the limit is turned
// away at once with how long to wait. Its state lives in Redis, so every
// API replica shares one budget per key. A nil *Gate allows everything.
type Gate struct {
	lim    *redis_rate.Limiter
	prefix string
	limit  redis_rate.Limit
}

// NewGate returns a Gate named name allowing n events per period for each
// key, all n at once at most (a burst of n, refilled evenly).
func NewGate(rdb redis.UniversalClient, name string, n int, period time.Duration) *Gate {
	return &Gate{
		lim:    redis_rate.NewLimiter(rdb),
		prefix: "quizflow:gate:" + name + ":",
		limit:  redis_rate.Limit{Rate: n, Burst: n, Period: period},
	}
}

// Allow takes one event of key's budget. When none is left it returns
// false and how long until one is. Redis errors are returned wrapped.
func (g *Gate) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	if g == nil {
		return true, 0, nil
	}
	res, err := g.lim.Allow(ctx, g.prefix+key, g.limit)
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", g.prefix, err)
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, max(res.RetryAfter, time.Second), nil
}

// Reset forgets key's use, as after a successful login.
func (g *Gate) Reset(ctx context.Context, key string) error {
	if g == nil {
		return nil
	}
	if err := g.lim.Reset(ctx, g.prefix+key); err != nil {
		return fmt.Errorf("reset rate limit %s: %w", g.prefix, err)
	}
	return nil
}
