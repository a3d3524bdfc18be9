package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/ratelimit"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestRequestsPerMinuteSharedAcrossLimiters(t *testing.T) {
	rdb := testenv.Redis(t)
	ctx := context.Background()
	// Two limiters stand for two workers sharing one budget: 120 rpm is one
	// request per 0.5 s once the burst of 120 is spent.
	cfg := ratelimit.Config{Key: "t1", RequestsPerMinute: 120}
	a, b := ratelimit.New(rdb, cfg), ratelimit.New(rdb, cfg)
	for i := range 120 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if err := l.Wait(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if err := b.Wait(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Fatalf("121st request waited %v, want about 500ms (the shared burst is spent)", waited)
	}
}

func TestTokensPerMinute(t *testing.T) {
	rdb := testenv.Redis(t)
	ctx := context.Background()
	// 6000 tpm = 100 tokens per second.
	l := ratelimit.New(rdb, ratelimit.Config{Key: "t2", TokensPerMinute: 6000})
	if err := l.Wait(ctx, 6000); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := l.Wait(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Fatalf("waited %v for 50 tokens after the budget was spent, want >= ~500ms", waited)
	}
	// More than the whole budget is clamped, not refused forever.
	ctx2, cancel := context.WithTimeout(ctx, 70*time.Second)
	defer cancel()
	if err := l.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Wait(ctx2, 1_000_000); err != nil {
		t.Fatalf("oversized request: %v", err)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	rdb := testenv.Redis(t)
	l := ratelimit.New(rdb, ratelimit.Config{Key: "t3", RequestsPerMinute: 1})
	if err := l.Wait(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want deadline exceeded", err)
	}
}

func TestConcurrentWorkersStayUnderLimit(t *testing.T) {
	rdb := testenv.Redis(t)
	ctx := context.Background()
	// Burst 600 per minute = 10/s; 8 workers ask for 620 in total: the last
	// 20 must be spread over about 2 s.
	cfg := ratelimit.Config{Key: "t4", RequestsPerMinute: 600}
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := ratelimit.New(rdb, cfg)
			for range 620 / 8 {
				if err := l.Wait(ctx, 0); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// 616 requests: 16 over the burst at 10/s is at least 1.5 s.
	if el := time.Since(start); el < 1400*time.Millisecond {
		t.Fatalf("616 requests took %v, want >= 1.5s at 600 rpm with burst 600", el)
	}
}

func TestNilLimiterAllows(t *testing.T) {
	var l *ratelimit.Limiter
	if err := l.Wait(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
}
