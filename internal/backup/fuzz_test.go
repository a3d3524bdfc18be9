package backup_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

// sampleArchive writes an uncompressed archive of two collections.
func sampleArchive(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	pre := []backup.CollectionMetadata{
		{Database: "qf", Collection: "a", Metadata: `{"indexes":[],"collectionName":"a","type":"collection"}`},
		{Database: "qf", Collection: "b", Metadata: `{"indexes":[],"collectionName":"b","type":"collection"}`},
	}
	aw, err := backup.NewArchiveWriter(&buf, backup.ArchiveHeader{ServerVersion: "7.0.0", ToolVersion: "test"}, pre)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b"} {
		if err := aw.Begin("qf", c); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: int32(i)}, {Key: "s", Value: c}})
			if err := aw.Write(doc); err != nil {
				t.Fatal(err)
			}
		}
		if err := aw.End(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// FuzzRestoreReader feeds damaged archives to the reader restores use:
// it must end with io.EOF or an error, never panic or loop, and what it
// accepts must be valid BSON documents of namespaces of the prelude.
func FuzzRestoreReader(f *testing.F) {
	good := sampleArchive(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append(append([]byte(nil), good...), 0xff, 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, data []byte) {
		ar, err := backup.NewArchiveReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		known := map[string]bool{}
		for _, p := range ar.Prelude {
			known[p.Database+"."+p.Collection] = true
		}
		for range len(data) + 1 {
			ns, doc, err := ar.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return
			}
			if !known[ns] || bson.Raw(doc).Validate() != nil {
				t.Fatalf("accepted document %x of namespace %q", doc, ns)
			}
		}
		t.Fatal("Next returned more documents than the input has bytes")
	})
}

// TestDamagedArchiveRestoresNothing: truncated, bit-flipped or
// mismatched archives are refused before the restore writes anything.
func TestDamagedArchiveRestoresNothing(t *testing.T) {
	b := setup(t)
	b.fill(t, 200)
	ctx := context.Background()
	m, err := b.svc.Run(ctx, backup.ID(b.clock.now()), "manual")
	if err != nil {
		t.Fatal(err)
	}
	good, err := b.blobs.Get(ctx, m.ArchiveKey, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	raw := func() []byte {
		gz, _ := gzip.NewReader(bytes.NewReader(good))
		r, _ := io.ReadAll(gz)
		return r
	}()
	rezip := func(p []byte) []byte {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		gz.Write(p)
		gz.Close()
		return buf.Bytes()
	}
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 0x40
	cases := map[string][]byte{
		"truncated gzip":          good[:len(good)/2],
		"truncated archive":       rezip(raw[:len(raw)-9]),
		"flipped byte, new sha":   rezip(flipped),
		"flipped compressed byte": func() []byte { c := append([]byte(nil), good...); c[len(c)/3] ^= 1; return c }(),
	}
	dst := testenv2(t)
	for name, data := range cases {
		// Both with the manifest's sha256 (mismatch) and with a manifest
		// claiming this archive (the decoder must catch it).
		for _, trust := range []bool{false, true} {
			man := *m
			if trust {
				man.SHA256, man.ArchiveBytes = sha(data), int64(len(data))
			}
			_, err := b.svc.Restore(ctx, backup.RestoreOptions{Manifest: &man, DB: dst, Drop: true,
				Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
			if err == nil {
				t.Errorf("%s (manifest trusts it: %v): restored", name, trust)
			}
			if names, _ := dst.ListCollectionNames(ctx, bson.D{}); len(names) != 0 {
				t.Fatalf("%s: a refused restore wrote collections %v", name, names)
			}
		}
	}
	if _, err := b.svc.Restore(ctx, backup.RestoreOptions{Manifest: m, DB: dst,
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(good)), nil }}); err != nil {
		t.Fatalf("the undamaged archive: %v", err)
	}
	_ = quizflow.BackupSucceeded
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testenv2 returns a fresh database on the shared FerretDB.
func testenv2(t testing.TB) *mongo.Database {
	env := testenv.New(t)
	return testenv.MongoClient(t, env).Database(env.MongoDB)
}
