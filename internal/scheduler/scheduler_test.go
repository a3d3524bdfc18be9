package scheduler

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/jobs"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestTwoReplicasOneTaskPerSlot runs two schedulers against one Redis: each
// slot is enqueued exactly once.
func TestTwoReplicasOneTaskPerSlot(t *testing.T) {
	env := testenv.New(t)
	opt, err := asynq.ParseRedisURI(env.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{}, 2)
	for range 2 {
		client := asynq.NewClient(opt)
		defer client.Close()
		s, err := New(client, log, DefaultEntries("@every 1s"))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_ = s.Run(ctx)
			done <- struct{}{}
		}()
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	deadline := time.Now().Add(20 * time.Second)
	var tasks []*asynq.TaskInfo
	for time.Now().Before(deadline) {
		tasks, _ = insp.ListPendingTasks(jobs.QueueMaintenance)
		if len(tasks) >= 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	<-done
	if len(tasks) < 3 {
		t.Fatalf("%d tasks after waiting, want at least 3 slots", len(tasks))
	}
	// Count tasks per slot as their payloads say: with IDs not derived
	// from the slot, each slot would have one task per replica.
	slots := map[time.Time]int{}
	for _, ti := range tasks {
		if ti.Type != jobs.TypeMaintenanceCleanup {
			t.Errorf("task type %s", ti.Type)
		}
		var p jobs.MaintenancePayload
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatal(err)
		}
		slots[p.Slot]++
	}
	for slot, n := range slots {
		if n != 1 {
			t.Errorf("slot %v has %d tasks, want 1", slot, n)
		}
	}
}

func TestBadSpec(t *testing.T) {
	if _, err := New(nil, zerolog.Nop(), DefaultEntries("every tuesday")); err == nil {
		t.Error("bad cron spec accepted")
	}
}
