// Package ratelimit holds the one LLM rate limit that every worker shares.
//
// OpenAI (and most hosted models) limit an account by requests per minute
// and tokens per minute. Workers run on many machines, so the budget lives
// in Redis: a GCRA limiter (github.com/go-redis/redis_rate) per dimension,
// evaluated atomically by a Lua script on the server. Callers Wait before
// each request; Wait blocks until the request fits and never fails for
// being over the limit.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Config sets the shared limits.
type Config struct {
	// Key names the budget in Redis; every worker sharing one account must
	// use the same key. Empty means "llm".
	Key string
	// RequestsPerMinute caps model calls; zero or less means no cap.
	RequestsPerMinute int
	// TokensPerMinute caps prompt plus completion tokens; zero or less
	// means no cap. A single call asking for more than the whole budget is
	// let through once the bucket is full, rather than never.
	TokensPerMinute int
	// MaxWait bounds one pause between attempts; zero means 5 s. Waiting as
	// a whole is bounded only by ctx.
	MaxWait time.Duration
}

// Limiter is a rate limit shared through Redis. The zero value is not
// usable; use New. A nil *Limiter allows everything.
type Limiter struct {
	lim *redis_rate.Limiter
	cfg Config
}

// New returns a Limiter that keeps its state in rdb.
func New(rdb redis.UniversalClient, cfg Config) *Limiter {
	if cfg.Key == "" {
		cfg.Key = "llm"
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 5 * time.Second
	}
	return &Limiter{lim: redis_rate.NewLimiter(rdb), cfg: cfg}
}

// Wait blocks until one request that uses about tokens tokens fits in both
// the request and the token budget, or until ctx ends (then it returns
// ctx's error). Redis errors are returned wrapped: callers treat them as
// transient.
func (l *Limiter) Wait(ctx context.Context, tokens int) error {
	if l == nil {
		return nil
	}
	if n := l.cfg.TokensPerMinute; n > 0 {
		t := max(1, min(tokens, n)) // never ask for more than the bucket holds
		if err := l.take(ctx, l.cfg.Key+":tpm", redis_rate.PerMinute(n), t); err != nil {
			return err
		}
	}
	if n := l.cfg.RequestsPerMinute; n > 0 {
		if err := l.take(ctx, l.cfg.Key+":rpm", redis_rate.PerMinute(n), 1); err != nil {
			return err
		}
	}
	return nil
}

// take consumes n units of key's budget, waiting as long as GCRA says.
func (l *Limiter) take(ctx context.Context, key string, limit redis_rate.Limit, n int) error {
	for {
		res, err := l.lim.AllowN(ctx, key, limit, n)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("ratelimit: %s: %w", key, err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := res.RetryAfter
		if wait <= 0 {
			wait = 10 * time.Millisecond
		}
		wait = min(wait, l.cfg.MaxWait)
		// A little jitter keeps workers that were refused together from
		// retrying in lock step.
		wait += time.Duration(rand.Int64N(int64(wait)/10 + 1))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Reset forgets the used budget (for tests and operators).
func (l *Limiter) Reset(ctx context.Context) error {
	return errors.Join(
		l.lim.Reset(ctx, l.cfg.Key+":tpm"),
		l.lim.Reset(ctx, l.cfg.Key+":rpm"),
	)
}
