package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// bundle is one test's database, bucket and backup service.
type bundle struct {
	env   *testenv.Env
	db    *mongo.Database
	blobs *s3blob.Store
	svc   *backup.Service
	clock *clock
}

type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func blobsOf(t testing.TB, env *testenv.Env) *s3blob.Store {
	t.Helper()
	b, err := s3blob.New(context.Background(), s3blob.Config{Bucket: env.S3.Bucket, Endpoint: env.S3.Endpoint,
		Region: env.S3.Region, AccessKey: env.S3.AccessKey, SecretKey: env.S3.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func setup(t testing.TB) *bundle {
	t.Helper()
	env := testenv.New(t)
	st, err := mongostore.Open(context.Background(), env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	b := &bundle{env: env, db: st.Database(), blobs: blobsOf(t, env), clock: &clock{}}
	b.clock.set(time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC))
	b.svc = &backup.Service{
		DB: b.db, Source: b.blobs, Target: b.blobs, Log: zerolog.Nop(), Now: b.clock.now, Version: "test",
		Config: backup.Config{Prefix: "backups/", RetentionDays: 30, Files: true},
	}
	return b
}

// fill writes documents of many BSON types into three collections and
// files under both copied prefixes.
func (b *bundle) fill(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	var docs []any
	for i := range n {
		docs = append(docs, bson.D{
			{Key: "_id", Value: "doc_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + hex.EncodeToString([]byte{byte(i >> 8), byte(i)})},
			{Key: "owner_id", Value: "usr_1"}, {Key: "n", Value: int32(i)}, {Key: "big", Value: int64(i) << 40},
			{Key: "f", Value: float64(i) / 3}, {Key: "ok", Value: i%2 == 0},
			{Key: "created_at", Value: bson.DateTime(1700000000000 + int64(i))},
			{Key: "nested", Value: bson.D{{Key: "a", Value: bson.A{"x", int32(1), bson.D{{Key: "b", Value: nil}}}}}},
			{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte{0, 1, 2, byte(i)}}},
			{Key: "text", Value: strings.Repeat("quiz ", i%50) + "é✓"},
		})
	}
	for _, c := range []string{"documents", "quizzes", "jobs"} {
		if _, err := b.db.Collection(c).InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range []string{s3blob.OriginalKey("usr_1", "doc_1"), s3blob.TextKey("usr_1", "doc_1"), s3blob.ExportKey("usr_1", "exp_1", "quiz.csv")} {
		if err := b.blobs.Put(ctx, k, bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1)), "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
	}
}

// files returns the sha256 of every object under the copied prefixes.
func files(t testing.TB, b *s3blob.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, p := range []string{"documents/", "exports/"} {
		err := b.List(ctx, p, func(o s3blob.Object) error {
			data, err := b.Get(ctx, o.Key, 1<<30)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[o.Key] = hex.EncodeToString(sum[:])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// compare fails t unless the two databases hold the same documents byte
// for byte and the same indexes.
func compare(t testing.TB, want, got *mongo.Database) {
	t.Helper()
	wd, wi := testenv.DumpDatabase(t, want)
	gd, gi := testenv.DumpDatabase(t, got)
	if len(wd) != len(gd) {
		t.Fatalf("%d collections restored, want %d", len(gd), len(wd))
	}
	for c, docs := range wd {
		if len(gd[c]) != len(docs) {
			t.Fatalf("collection %s: %d documents restored, want %d", c, len(gd[c]), len(docs))
		}
		for i := range docs {
			if !bytes.Equal(docs[i], gd[c][i]) {
				t.Fatalf("collection %s document %d differs:\nwant %s\ngot  %s", c, i, docs[i], gd[c][i])
			}
		}
		if strings.Join(wi[c], "\n") != strings.Join(gi[c], "\n") {
			t.Fatalf("collection %s indexes differ:\nwant %v\ngot  %v", c, wi[c], gi[c])
		}
	}
}

func (b *bundle) openKey(key string) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		rc, _, err := b.blobs.Open(ctx, key)
		return rc, err
	}
}

// TestRoundTrip: a backup restores into a new database and bucket with
// every document byte for byte, every index and every file.
func TestRoundTrip(t *testing.T) {
	b := setup(t)
	b.fill(t, 300)
	ctx := context.Background()
	m, err := b.svc.Run(ctx, backup.ID(b.clock.now()), "manual")
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != quizflow.BackupSucceeded || !m.Verification.OK || m.Documents < 900 || m.SHA256 == "" || m.Files.Objects != 3 || m.Files.Copied != 3 {
		t.Fatalf("manifest %+v", m)
	}
	dst := testenv.New(t)
	client := testenv.MongoClient(t, dst)
	dstBlobs := blobsOf(t, dst)
	res, err := b.svc.Restore(ctx, backup.RestoreOptions{
		Manifest: m, Open: b.openKey(m.ArchiveKey), DB: client.Database(dst.MongoDB), Files: dstBlobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Documents != m.Documents || res.Files != 3 {
		t.Fatalf("restored %+v for manifest of %d documents", res, m.Documents)
	}
	compare(t, b.db, client.Database(dst.MongoDB))
	if w, g := files(t, b.blobs), files(t, dstBlobs); len(w) != 3 || strings.Join(keysValues(w), ",") != strings.Join(keysValues(g), ",") {
		t.Fatalf("files: want %v, got %v", w, g)
	}
	// Into the same database again: refused without --drop, then with it
	// the result is the same.
	_, err = b.svc.Restore(ctx, backup.RestoreOptions{Manifest: m, Open: b.openKey(m.ArchiveKey), DB: client.Database(dst.MongoDB)})
	if quizflow.ErrorCode(err) != quizflow.ECONFLICT {
		t.Fatalf("restore over a full database without drop: %v, want ECONFLICT", err)
	}
	if _, err := b.svc.Restore(ctx, backup.RestoreOptions{Manifest: m, Open: b.openKey(m.ArchiveKey), DB: client.Database(dst.MongoDB), Drop: true}); err != nil {
		t.Fatal(err)
	}
	compare(t, b.db, client.Database(dst.MongoDB))
}

func keysValues(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// failingTarget is a bucket whose uploads fail after a number of bytes,
// as a store failing half way through would.
type failingTarget struct {
	*s3blob.Store
	after int64
}

func (f *failingTarget) Upload(ctx context.Context, key string, r io.Reader, ct string) error {
	if f.after < 0 {
		return f.Store.Upload(ctx, key, r, ct)
	}
	return f.Store.Upload(ctx, key, &failAfter{r: r, n: f.after}, ct)
}

type failAfter struct {
	r io.Reader
	n int64
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("store failed")
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}

// TestInterruptedBackup: a backup whose upload fails half way (or whose
// context ends) leaves no manifest, and the next one succeeds.
func TestInterruptedBackup(t *testing.T) {
	b := setup(t)
	b.fill(t, 2000)
	ctx := context.Background()
	ft := &failingTarget{Store: b.blobs, after: 64 << 10}
	b.svc.Target = ft
	id := backup.ID(b.clock.now())
	if _, err := b.svc.Run(ctx, id, "scheduled"); err == nil {
		t.Fatal("backup through a failing store succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ft.after = -1
	if _, err := b.svc.Run(cctx, id, "scheduled"); err == nil {
		t.Fatal("backup with a cancelled context succeeded")
	}
	list, err := b.svc.List(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("after interrupted backups: %v manifests (err %v), want none", list, err)
	}
	if _, err := b.svc.Manifest(ctx, id); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		t.Fatalf("manifest of an interrupted backup: %v", err)
	}
	m, err := b.svc.Run(ctx, id, "scheduled")
	if err != nil || m.Status != quizflow.BackupSucceeded {
		t.Fatalf("next backup: %+v, %v", m, err)
	}
	// A redelivered task finds the manifest and does nothing again.
	again, err := b.svc.Run(ctx, id, "scheduled")
	if err != nil || again.EndedAt != m.EndedAt {
		t.Fatalf("second run of the same slot: %+v, %v", again, err)
	}
}
