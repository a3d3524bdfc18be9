package redisconn_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/quizflow/quizflow/internal/testenv"
)

// TestMain quiets go-redis's own log (it reports every failed dial while
// the failover test has no master; the test asserts what the clients see
// instead) and stops testenv's shared services after the tests.
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedisLog{})
	testenv.Main(m)
}

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}
