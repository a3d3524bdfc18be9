package generate_test

import (
	"context"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
	"github.com/quizflow/quizflow/internal/ratelimit"
	"github.com/quizflow/quizflow/internal/testenv"
)

// The model waits on the shared limiter before each call: with the
// budget spent by "other workers", the first call waits for a slot.
func TestModelWaitsOnSharedRateLimit(t *testing.T) {
	rdb := testenv.Redis(t)
	cfg := ratelimit.Config{Key: "llm-test", RequestsPerMinute: 60}
	b := setup(t, nil, setupOpts{llm: llm.Config{Limiter: ratelimit.New(rdb, cfg)}})
	pages := document(2, 8, 50)
	other := ratelimit.New(rdb, cfg)
	for range 60 {
		if err := other.Wait(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(3)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 3)
	// 60 rpm is one request a second once the burst is spent.
	if wait := b.fake.Calls("")[0].Time.Sub(start); wait < 900*time.Millisecond {
		t.Errorf("first call after %v; the spent shared budget should hold it ~1s", wait)
	}
}
