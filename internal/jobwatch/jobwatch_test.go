package jobwatch

import (
	"testing"
	"time"
)

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
