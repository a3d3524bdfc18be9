package revocation

import (
	"context"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestRevokeFamilies(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	ctx := context.Background()
	l := New(rdb, time.Minute)
	if err := l.RevokeFamilies(ctx, "fam_a", "fam_b"); err != nil {
		t.Fatal(err)
	}
	for fam, want := range map[string]bool{"fam_a": true, "fam_b": true, "fam_c": false} {
		got, err := l.Revoked(ctx, fam)
		if err != nil || got != want {
			t.Errorf("Revoked(%s) = %v, %v; want %v", fam, got, err, want)
		}
	}
	ttl, err := rdb.TTL(ctx, "quizflow:revoked:fam_a").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("entry TTL = %v (%v), want (0, 1m]: entries must expire with the access tokens", ttl, err)
	}
	// A second list on the same Redis (another API replica) sees it.
	if got, err := New(rdb, time.Minute).Revoked(ctx, "fam_b"); err != nil || !got {
		t.Errorf("another replica: Revoked(fam_b) = %v, %v", got, err)
	}
	// Redis down: the check fails rather than letting the token through.
	_ = rdb.Close()
	if _, err := l.Revoked(ctx, "fam_a"); err == nil {
		t.Error("Revoked with Redis closed returned no error")
	}
}
