package e2e_test

import (
	"context"
	"strings"
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

// TestCleanupExpiresGrowingRecords: the cleanup task also removes mailed
// tokens past their expiry, message records past a month and per-call
// usage records past 90 days, and quota units and billing events past
// 400 days, and keeps the recent ones.
func TestCleanupExpiresGrowingRecords(t *testing.T) {
	s := setup(t)
	ctx := context.Background()
	db := s.app.Store.Database()
	now := time.Now().UTC().Truncate(time.Hour)
	for col, docs := range map[string][]any{
		"mail_tokens": {
			bson.M{"_id": "old", "purpose": "verify", "user_id": "u", "expires_at": now.Add(-time.Hour), "created_at": now.Add(-25 * time.Hour)},
			bson.M{"_id": "live", "purpose": "verify", "user_id": "u", "expires_at": now.Add(time.Hour), "created_at": now},
		},
		"emails": {
			bson.M{"_id": "old", "kind": "quiz_ready", "status": "sent", "created_at": now.Add(-31 * 24 * time.Hour)},
			bson.M{"_id": "live", "kind": "quiz_ready", "status": "sent", "created_at": now.Add(-24 * time.Hour)},
		},
		"quota_slots": {
			bson.M{"_id": "old", "counter": "c", "created_at": now.Add(-401 * 24 * time.Hour)},
			bson.M{"_id": "live", "counter": "c", "created_at": now.Add(-30 * 24 * time.Hour)},
		},
		"billing_events": {
			bson.M{"_id": "evt_old", "type": "invoice.paid", "received_at": now.Add(-401 * 24 * time.Hour)},
			bson.M{"_id": "evt_live", "type": "invoice.paid", "received_at": now.Add(-24 * time.Hour)},
		},
		"llm_calls": {
			bson.M{"_id": "job_a/old", "job_id": "job_a", "calls": 1, "at": now.Add(-91 * 24 * time.Hour)},
			bson.M{"_id": "job_a/live", "job_id": "job_a", "calls": 1, "at": now.Add(-89 * 24 * time.Hour)},
		},
	} {
		if _, err := db.Collection(col).InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	task, err := jobs.NewCleanupTask(now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Queue.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	waitQueuesEmpty(t, s)
	for _, col := range []string{"mail_tokens", "emails", "llm_calls", "quota_slots", "billing_events"} {
		cur, err := db.Collection(col).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var left []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &left); err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || !strings.HasSuffix(left[0].ID, "live") {
			t.Errorf("%s after cleanup: %v, want only the live record", col, left)
		}
	}
}
