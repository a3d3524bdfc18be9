package jobwatch

import (
	"context"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestWatchNotify(t *testing.T) {
	h := New()
	ch, stop := h.Watch("job_a")
	other, stopOther := h.Watch("job_b")
	defer stopOther()
	h.Notify("job_a")
	h.Notify("job_a") // coalesces: one pending signal, Notify does not block
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("watcher of job_a was not woken")
	}
	select {
	case <-other:
		t.Fatal("watcher of job_b woken by job_a")
	default:
	}
	stop()
	h.Notify("job_a")
	select {
	case <-ch:
		t.Fatal("stopped watcher woken")
	default:
	}
	if len(h.subs) != 1 {
		t.Fatalf("subscriptions left = %d, want 1 (job_b)", len(h.subs))
	}
}

func TestNilHub(t *testing.T) {
	var h *Hub
	h.Notify("job_a")
	ch, stop := h.Watch("job_a")
	defer stop()
	select {
	case <-ch:
		t.Fatal("nil hub signalled")
	default:
	}
}

func TestRelayAcrossProcesses(t *testing.T) {
	env := testenv.New(t)
	rdb := testenv.RedisClient(t, env)
	a, b := NewRelay(New(), rdb), NewRelay(New(), rdb)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan struct{})
	go func() { _ = b.Run(ctx, func() { close(ready) }) }()
	<-ready
	ch, stop := b.Watch("job_x")
	defer stop()
	a.Notify("job_x")
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("a change published by one process did not wake the other's watcher")
	}
}
