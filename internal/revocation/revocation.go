// Package revocation keeps, in Redis, the logins (token families) whose
// access tokens must stop working before they expire: at logout, when a
// refresh token is reused, at "log out everywhere" and at a password
// change. Access tokens are short (JWT_ACCESS_EXPIRES, at most an hour in
// production) and carry their family, so an entry needs to live only as
// long as an access token can: checking a token costs one Redis GET, shared
// by every API replica, and nothing accumulates.
//
// The durable record of a revoked family is the token store's (refresh
// tokens of a revoked family are refused there); this list only cuts the
// access tokens short. If Redis loses it, tokens of a revoked login work
// until they expire, at most one access-token lifetime.
package revocation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// List is the revocation list. The zero value is not usable; use New.
type List struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// New returns a List in rdb whose entries last ttl, the longest an access
// token can live.
func New(rdb redis.UniversalClient, ttl time.Duration) *List {
	return &List{rdb: rdb, prefix: "quizflow:revoked:", ttl: ttl}
}

// RevokeFamilies records that the access tokens of families are revoked.
func (l *List) RevokeFamilies(ctx context.Context, families ...string) error {
	if len(families) == 0 {
		return nil
	}
	_, err := l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range families {
			p.Set(ctx, l.prefix+f, "1", l.ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke token families: %w", err)
	}
	return nil
}

// Revoked reports whether family's access tokens are revoked.
func (l *List) Revoked(ctx context.Context, family string) (bool, error) {
	err := l.rdb.Get(ctx, l.prefix+family).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	}
	return false, fmt.Errorf("check token revocation: %w", err)
}
