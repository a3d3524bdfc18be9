// Package jobwatch tells code in one process when a job's record changed,
// so a waiter (a job's event stream, a test) wakes at once instead of
// polling the store on a timer. It carries no data: a woken watcher reads
// the job again. Changes made by other processes are not seen; watchers
// that need those keep a slower poll beside their watch.
package jobwatch

import "sync"

// Hub fans job-change signals out to watchers. The zero value is not
// usable; call New. A nil *Hub is valid: it notifies nobody and its Watch
// channels never fire.
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// New returns an empty Hub.
func New() *Hub { return &Hub{subs: map[string]map[chan struct{}]struct{}{}} }

// Notify wakes every watcher of job id. It never blocks: a watcher that has
// not consumed an earlier signal keeps one pending signal.
func (h *Hub) Notify(id string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Watch returns a channel that receives a signal after each change of job
// id, and a function that stops the watch. Call stop when done.
func (h *Hub) Watch(id string) (changed <-chan struct{}, stop func()) {
	ch := make(chan struct{}, 1)
	if h == nil {
		return ch, func() {}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[id] == nil {
		h.subs[id] = map[chan struct{}]struct{}{}
	}
	h.subs[id][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
	}
}
