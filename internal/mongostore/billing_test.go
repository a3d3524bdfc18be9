package mongostore_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestChargeQuotaRace: 20 charges racing for 3 units left get exactly 3,
// on the real store (FerretDB rewrites whole documents per update, so
// only a single conditional update keeps the count exact).
func TestChargeQuotaRace(t *testing.T) {
	ctx, s := setup(t)
	const key = "usr_race/quizzes/2026-12"
	for i := range 7 { // 7 of 10 used
		if ok, err := s.ChargeQuota(ctx, fmt.Sprintf("job_pre%d", i), key, 10); err != nil || !ok {
			t.Fatalf("pre-charge %d: %v %v", i, ok, err)
		}
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ChargeQuota(ctx, fmt.Sprintf("job_race%d", i), key, 10)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 3 {
		t.Errorf("%d charges won, want 3", won.Load())
	}
	if used, err := s.QuotaUsed(ctx, key); err != nil || used != 10 {
		t.Errorf("used = %d, %v; want 10", used, err)
	}
	// A refund gives one unit back, once; charging the same ID twice
	// counts once.
	for range 2 {
		if _, err := s.RefundQuota(ctx, "job_pre0"); err != nil {
			t.Fatal(err)
		}
	}
	if used, _ := s.QuotaUsed(ctx, key); used != 9 {
		t.Errorf("after refund used = %d, want 9", used)
	}
	for range 2 {
		if ok, err := s.ChargeQuota(ctx, "job_again", key, 10); !ok || err != nil {
			t.Fatalf("charge again: %v %v", ok, err)
		}
	}
	if used, _ := s.QuotaUsed(ctx, key); used != 10 {
		t.Errorf("after a repeated charge used = %d, want 10", used)
	}
}

func TestSubscriptionCompareAndSet(t *testing.T) {
	ctx, s := setup(t)
	sub := &quizflow.Subscription{UserID: "usr_a", Status: quizflow.SubActive, PeriodEnd: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.SaveSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	stale := *sub
	sub.Status = quizflow.SubPastDue
	if err := s.SaveSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	stale.Status = quizflow.SubCanceled
	if err := s.SaveSubscription(ctx, &stale); quizflow.ErrorCode(err) != quizflow.ECONFLICT {
		t.Errorf("stale write: %v, want conflict", err)
	}
	got, err := s.Subscription(ctx, "usr_a")
	if err != nil || got.Status != quizflow.SubPastDue || got.Version != 2 {
		t.Errorf("got %+v, %v", got, err)
	}
}
