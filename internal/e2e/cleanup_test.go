package e2e_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/jobs"
)

// TestCleanupTask: the scheduler's cleanup task, run by a real worker,
// removes refresh tokens that have expired by its slot and keeps the rest,
// then the logins (token families) left without any token.
func TestCleanupTask(t *testing.T) {
	s := setup(t)
	s.user("Carla")
	ctx := context.Background()
	tokens := s.app.Store.Database().Collection("refresh_tokens")
	count := func() int64 {
		n, err := tokens.CountDocuments(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count() != 1 {
		t.Fatalf("%d refresh tokens after register, want 1", count())
	}
	run := func(slot time.Time) {
		task, err := jobs.NewCleanupTask(slot)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.Queue.Enqueue(task); err != nil {
			t.Fatal(err)
		}
		waitQueuesEmpty(t, s)
	}
	run(time.Now().Truncate(time.Hour))
	if count() != 1 {
		t.Fatalf("cleanup removed a live refresh token")
	}
	if n, _ := s.app.Store.Database().Collection("token_families").CountDocuments(ctx, bson.M{}); n != 1 {
		t.Fatalf("%d token families after a cleanup with a live token, want 1", n)
	}
	run(time.Now().Add(8 * 24 * time.Hour).Truncate(time.Hour)) // past the 7-day expiry
	if count() != 0 {
		t.Fatalf("%d refresh tokens after cleanup past their expiry, want 0", count())
	}
	fams, err := s.app.Store.Database().Collection("token_families").CountDocuments(ctx, bson.M{})
	if err != nil || fams != 0 {
		t.Fatalf("%d token families left without tokens (err %v), want 0: records that only grow", fams, err)
	}
}
