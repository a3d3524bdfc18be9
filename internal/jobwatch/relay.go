package jobwatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Channel is the Redis pub/sub channel job changes travel on.
const Channel = "quizflow:jobs"

// Relay carries job-change signals between processes (API replicas and
// workers) over Redis pub/sub: Notify wakes this process's watchers and
// publishes the job ID; Run delivers other processes' publications to this
// process's Hub. Like the Hub it carries no data, and a lost message (Redis
// restarting, a subscriber reconnecting) only delays a watcher until its
// slow safety poll; the store stays the record.
type Relay struct {
	hub  *Hub
	rdb  redis.UniversalClient
	self string // this process's prefix, so its own messages are skipped
}

// NewRelay returns a Relay over hub and rdb.
func NewRelay(hub *Hub, rdb redis.UniversalClient) *Relay {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Relay{hub: hub, rdb: rdb, self: hex.EncodeToString(b)}
}

// Notify wakes this process's watchers of job id and tells the other
// processes. A failed publish is dropped (see Relay).
func (r *Relay) Notify(id string) {
	r.hub.Notify(id)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = r.rdb.Publish(ctx, Channel, r.self+"|"+id).Err()
}

// Watch is the Hub's Watch.
func (r *Relay) Watch(id string) (changed <-chan struct{}, stop func()) { return r.hub.Watch(id) }

// Run subscribes to the other processes' job changes and wakes this
// process's watchers, until ctx ends. It calls ready, if set, once the
// subscription is confirmed.
func (r *Relay) Run(ctx context.Context, ready func()) error {
	sub := r.rdb.Subscribe(ctx, Channel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return err
	}
	if ready != nil {
		ready()
	}
	ch := sub.Channel() // reconnects on its own
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-ch:
			if !ok {
				return nil
			}
			from, id, found := strings.Cut(m.Payload, "|")
			if found && from != r.self {
				r.hub.Notify(id)
			}
		}
	}
}
