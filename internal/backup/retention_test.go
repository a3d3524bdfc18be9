package backup_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// manifestFailing is the S3 stand-in with manifest writes refused while
// fail is set: a backup then stops after its archive, file copies and file
// index, as one killed just before its manifest would, leaving those
// objects behind.
type manifestFailing struct {
	*s3blob.Store
	fail atomic.Bool
}

func (m *manifestFailing) Put(ctx context.Context, key string, b []byte, ct string) error {
	if m.fail.Load() && strings.HasSuffix(key, ".manifest.json") {
		return errors.New("store failed")
	}
	return m.Store.Put(ctx, key, b, ct)
}

// keys lists the objects under prefix, without it.
func keys(t *testing.T, b *s3blob.Store, prefix string) []string {
	t.Helper()
	var out []string
	if err := b.List(context.Background(), prefix, func(o s3blob.Object) error {
		out = append(out, strings.TrimPrefix(o.Key, prefix))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// archived returns the backup IDs that have objects under archives/, and
// which of them have a manifest.
func archived(t *testing.T, b *s3blob.Store) (ids, manifests []string) {
	t.Helper()
	for _, k := range keys(t, b, "backups/archives/") {
		id, rest, _ := strings.Cut(k, ".")
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		if rest == "manifest.json" {
			manifests = append(manifests, id)
		}
	}
	return ids, manifests
}

func (b *bundle) day(n int) time.Time {
	return time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC).Add(time.Duration(n) * 24 * time.Hour)
}

// TestRetention drives daily backups with an injected clock against the S3
// stand-in: while every backup fails for 40 days, nothing is deleted and
// the last good backup stays; the first success after them deletes the
// archives past BACKUP_RETENTION_DAYS (counted from it), the leftovers of
// interrupted backups past it, and the file copies no kept backup lists and
// the main bucket no longer has; a file whose record is gone stays while a
// kept backup still lists it.
func TestRetention(t *testing.T) {
	b := setup(t)
	b.fill(t, 5)
	ctx := context.Background()
	target := &manifestFailing{Store: b.blobs}
	b.svc.Target = target
	run := func(day int) (*quizflow.Backup, error) {
		b.clock.set(b.day(day))
		return b.svc.Run(ctx, backup.ID(b.day(day)), "scheduled")
	}
	original, text, exp := s3blob.OriginalKey("usr_1", "doc_1"), s3blob.TextKey("usr_1", "doc_1"), s3blob.ExportKey("usr_1", "exp_1", "quiz.csv")
	copyOf := func(k string) string { return strings.TrimPrefix(b.svc.CopyKey(k), "backups/files/") }
	copies := func() []string { return keys(t, b.blobs, "backups/files/") }

	// Day 0: the last good backup for a while.
	if m, err := run(0); err != nil || m.Status != quizflow.BackupSucceeded {
		t.Fatalf("day 0: %+v, %v", m, err)
	}
	good := backup.ID(b.day(0))
	// The user deletes the document (its upload and text go) and a new
	// export appears; then every backup fails for 40 days, after copying
	// the new file and writing its archive and index.
	if err := b.blobs.Delete(ctx, original, text); err != nil {
		t.Fatal(err)
	}
	newExport := s3blob.ExportKey("usr_1", "exp_2", "quiz.gift")
	if err := b.blobs.Put(ctx, newExport, []byte("::q:: x {=y}"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	target.fail.Store(true)
	for d := 1; d <= 40; d++ {
		if _, err := run(d); err == nil {
			t.Fatalf("day %d: a backup whose manifest was refused succeeded", d)
		}
	}
	target.fail.Store(false)
	// Retention run by hand (as after a success) on day 40 deletes nothing
	// either: the last good backup is 40 days old but nothing newer has
	// succeeded, and the leftovers are newer than it.
	res, err := b.svc.Prune(ctx)
	if err != nil || len(res.Backups)+res.Orphans+res.Files != 0 {
		t.Fatalf("prune after 40 failed days: %+v, %v; want nothing deleted", res, err)
	}
	ids, manifests := archived(t, b.blobs)
	if len(ids) != 41 || !slices.Equal(manifests, []string{good}) {
		t.Fatalf("after 40 failed days: %d backups' objects, manifests %v; want 41 and only %s", len(ids), manifests, good)
	}
	if l, err := b.svc.Latest(ctx); err != nil || l.ID != good {
		t.Fatalf("latest after 40 failed days = %+v, %v; want %s", l, err, good)
	}
	for _, k := range []string{original, text, exp, newExport} {
		if !slices.Contains(copies(), copyOf(k)) {
			t.Fatalf("copy of %s gone while failing (copies %v)", k, copies())
		}
	}

	// Day 41 succeeds: day 0 goes (41 days old, a newer backup exists),
	// and so do the leftovers of days 1-10 (older than 30 days before
	// day 41); those of days 11-40 stay until they are too. The copies of
	// the deleted document go with the only backup that listed them.
	if m, err := run(41); err != nil || m.Status != quizflow.BackupSucceeded {
		t.Fatalf("day 41: %+v, %v", m, err)
	}
	ids, manifests = archived(t, b.blobs)
	var want []string
	for d := 11; d <= 41; d++ {
		want = append(want, backup.ID(b.day(d)))
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("after day 41 the archives are of %v\nwant %v", ids, want)
	}
	if !slices.Equal(manifests, []string{backup.ID(b.day(41))}) {
		t.Fatalf("manifests after day 41: %v", manifests)
	}
	if got, want := copies(), []string{copyOf(exp), copyOf(newExport)}; !equalSet(got, want) {
		t.Fatalf("file copies after day 41: %v, want %v", got, want)
	}

	// Day 42: the first export's file goes from the main bucket; day 42's
	// backup no longer lists it, but day 41's (kept) does, so its copy
	// stays.
	if err := b.blobs.Delete(ctx, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := run(42); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(copies(), copyOf(exp)) {
		t.Fatalf("copy of %s pruned while day 41's backup, which lists it, is kept", exp)
	}
	// Day 72: day 41 is past retention and goes; day 42 (exactly 30 days
	// old) stays; the copy only day 41 listed goes with it, and every
	// leftover of the failed days is gone.
	if _, err := run(72); err != nil {
		t.Fatal(err)
	}
	ids, manifests = archived(t, b.blobs)
	if want := []string{backup.ID(b.day(42)), backup.ID(b.day(72))}; !slices.Equal(ids, want) || !slices.Equal(manifests, want) {
		t.Fatalf("after day 72: archives %v, manifests %v; want %v", ids, manifests, want)
	}
	if got, want := copies(), []string{copyOf(newExport)}; !equalSet(got, want) {
		t.Fatalf("file copies after day 72: %v, want %v", got, want)
	}
}

func equalSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
