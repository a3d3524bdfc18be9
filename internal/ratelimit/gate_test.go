package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/testenv"
)

func TestGate(t *testing.T) {
	t.Parallel()
	rdb := testenv.Redis(t)
	ctx := context.Background()
	a := NewGate(rdb, "login", 3, 15*time.Minute)
	b := NewGate(rdb, "login", 3, 15*time.Minute) // another replica
	for i := range 3 {
		g := []*Gate{a, b}[i%2]
		if ok, _, err := g.Allow(ctx, "alice"); !ok || err != nil {
			t.Fatalf("event %d refused: %v", i+1, err)
		}
	}
	ok, wait, err := b.Allow(ctx, "alice")
	if ok || err != nil || wait < time.Minute || wait > 15*time.Minute {
		t.Fatalf("fourth event across replicas = %v, wait %v, %v; want refused for minutes", ok, wait, err)
	}
	if ok, _, _ := a.Allow(ctx, "bob"); !ok {
		t.Error("another key shares alice's budget")
	}
	if err := a.Reset(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := b.Allow(ctx, "alice"); !ok || err != nil {
		t.Errorf("after Reset = %v, %v; want allowed", ok, err)
	}
	var none *Gate
	if ok, _, err := none.Allow(ctx, "x"); !ok || err != nil {
		t.Error("nil Gate refused")
	}
}
