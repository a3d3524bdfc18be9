package backup_test

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// tampering is the S3 stand-in altering each archive object just after it
// was written, while on is set: one byte in the middle is flipped in the
// stored object, as bit rot or a bad copy would, before verification reads
// it back.
type tampering struct {
	*s3blob.Store
	on atomic.Bool
}

func (tp *tampering) Upload(ctx context.Context, key string, r io.Reader, ct string) error {
	if err := tp.Store.Upload(ctx, key, r, ct); err != nil || !tp.on.Load() || !strings.HasSuffix(key, ".archive.gz") {
		return err
	}
	b, err := tp.Store.Get(ctx, key, 1<<30)
	if err != nil {
		return err
	}
	b[len(b)/2] ^= 0x40
	return tp.Store.Put(ctx, key, b, ct)
}

func gauge(t *testing.T, r *metrics.Registry, name string) float64 {
	t.Helper()
	fams, err := r.Prometheus().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestVerificationFailure: an archive altered in the store between its
// write and the read-back fails verification: the backup's manifest says
// failed with the reason, it is not the latest backup, retention does not
// count it, and the last-success metric stays at the previous success.
// The same slot run again on a sound store succeeds.
func TestVerificationFailure(t *testing.T) {
	b := setup(t)
	b.fill(t, 200)
	ctx := context.Background()
	reg := metrics.New()
	b.svc.Observe = metrics.NewBackup(reg)
	tp := &tampering{Store: b.blobs}
	b.svc.Target = tp
	const lastSuccess = "quizflow_backup_last_success_timestamp_seconds"

	first, err := b.svc.Run(ctx, backup.ID(b.clock.now()), "scheduled")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gauge(t, reg, lastSuccess), float64(first.EndedAt.UnixNano())/1e9; got != want {
		t.Fatalf("%s = %v after a success, want %v", lastSuccess, got, want)
	}

	b.clock.add(24 * time.Hour)
	id := backup.ID(b.clock.now())
	tp.on.Store(true)
	m, err := b.svc.Run(ctx, id, "scheduled")
	if err == nil || !strings.Contains(err.Error(), "verification failed") {
		t.Fatalf("backup of an altered archive: %v, want a verification failure", err)
	}
	stored, merr := b.svc.Manifest(ctx, id)
	if merr != nil {
		t.Fatal(merr)
	}
	for _, got := range []*quizflow.Backup{m, stored} {
		if got.Status != quizflow.BackupFailed || got.Verification.OK || got.Verification.Error == "" || got.Files != nil {
			t.Fatalf("manifest of the altered archive: status %q, verification %+v, files %+v; want failed with a reason and no file copies",
				got.Status, got.Verification, got.Files)
		}
	}
	t.Logf("verification error: %s", stored.Verification.Error)
	if got, want := gauge(t, reg, lastSuccess), float64(first.EndedAt.UnixNano())/1e9; got != want {
		t.Fatalf("%s = %v after a failed verification, want it unmoved at %v", lastSuccess, got, want)
	}
	if l, err := b.svc.Latest(ctx); err != nil || l.ID != first.ID {
		t.Fatalf("latest = %+v, %v; want the previous success %s", l, err, first.ID)
	}
	list, err := b.svc.List(ctx)
	if err != nil || len(list) != 2 || list[0].ID != id || list[0].Status != quizflow.BackupFailed {
		t.Fatalf("list = %+v, %v; want the failed backup listed as failed, first", list, err)
	}

	// A retry of the slot on a sound store replaces the failed manifest.
	tp.on.Store(false)
	again, err := b.svc.Run(ctx, id, "scheduled")
	if err != nil || again.Status != quizflow.BackupSucceeded || !again.Verification.OK {
		t.Fatalf("retry of the slot: %+v, %v", again, err)
	}
	if got, want := gauge(t, reg, lastSuccess), float64(again.EndedAt.UnixNano())/1e9; got != want {
		t.Fatalf("%s = %v after the retry succeeded, want %v", lastSuccess, got, want)
	}
}
