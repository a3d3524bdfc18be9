package backup_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"hash/crc64"
	"io"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/backup"
)

// specReader reads an archive the way mongo-tools' common/archive/spec.md
// describes it, independently of the package's own reader:
//
//	archive = magic-number header *collection-metadata terminator-bytes
//	          *(namespace-segment | namespace-eof)
//	namespace-segment = namespace-header +document terminator-bytes
//	namespace-eof     = eof-header terminator-bytes
type specReader struct {
	t   *testing.T
	b   []byte
	pos int
}

const specTerminator = 0xffffffff

// word reads the next little-endian uint32 without consuming it.
func (r *specReader) peek() uint32 {
	if r.pos+4 > len(r.b) {
		r.t.Fatalf("offset %d: archive ends inside a length", r.pos)
	}
	return binary.LittleEndian.Uint32(r.b[r.pos:])
}

func (r *specReader) terminator() bool {
	if r.peek() == specTerminator {
		r.pos += 4
		return true
	}
	return false
}

// doc reads one BSON document, checking its declared length against the
// bytes, its final 0x00 and that it parses.
func (r *specReader) doc() bson.Raw {
	n := int(r.peek())
	if n < 5 || r.pos+n > len(r.b) {
		r.t.Fatalf("offset %d: document length %d out of bounds (%d bytes left)", r.pos, n, len(r.b)-r.pos)
	}
	d := bson.Raw(r.b[r.pos : r.pos+n])
	if d[n-1] != 0 {
		r.t.Fatalf("offset %d: document of %d bytes does not end in 0x00", r.pos, n)
	}
	if err := d.Validate(); err != nil {
		r.t.Fatalf("offset %d: %v", r.pos, err)
	}
	r.pos += n
	return d
}

func str(t *testing.T, d bson.Raw, key string) string {
	t.Helper()
	v, ok := d.Lookup(key).StringValueOK()
	if !ok {
		t.Fatalf("%s: field %q is not a string", d, key)
	}
	return v
}

// TestArchiveFollowsTheSpec takes a backup and reads its archive with
// specReader: magic number, header fields and types, one prelude entry
// per collection with canonical Extended JSON metadata naming its
// indexes, the prelude's terminator, then for every namespace segments
// (header with EOF false and CRC 0, documents, terminator) and one EOF
// header whose CRC-64-ECMA covers its documents, followed by a
// terminator; every document's length is checked.
func TestArchiveFollowsTheSpec(t *testing.T) {
	b := setup(t)
	b.fill(t, 120)
	ctx := context.Background()
	m, err := b.svc.Run(ctx, backup.ID(b.clock.now()), "manual")
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := b.blobs.Open(ctx, m.ArchiveKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatalf("archive is not gzip: %v", err)
	}
	raw, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	r := &specReader{t: t, b: raw}
	if !bytes.Equal(raw[:4], []byte{0x6d, 0xe2, 0x99, 0x81}) {
		t.Fatalf("magic number % x, want 6d e2 99 81", raw[:4])
	}
	r.pos = 4
	h := r.doc()
	if v, ok := h.Lookup("concurrent_collections").Int32OK(); !ok || v < 1 {
		t.Errorf("header concurrent_collections: %v", h.Lookup("concurrent_collections"))
	}
	if str(t, h, "version") != "0.1" {
		t.Errorf("header version %q", str(t, h, "version"))
	}
	if str(t, h, "server_version") == "" || str(t, h, "tool_version") == "" {
		t.Errorf("header %s lacks versions", h)
	}
	prelude := map[string]bool{}
	for !r.terminator() {
		cm := r.doc()
		ns := str(t, cm, "db") + "." + str(t, cm, "collection")
		if _, ok := cm.Lookup("size").Int32OK(); !ok {
			t.Errorf("prelude %s: size is not int32", ns)
		}
		if tp := str(t, cm, "type"); tp != "" {
			t.Errorf("prelude %s: type %q", ns, tp)
		}
		var md bson.Raw
		if err := bson.UnmarshalExtJSON([]byte(str(t, cm, "metadata")), true, &md); err != nil {
			t.Fatalf("prelude %s: metadata is not canonical extended JSON: %v", ns, err)
		}
		if md.Lookup("collectionName").StringValue() != str(t, cm, "collection") {
			t.Errorf("prelude %s: metadata names %s", ns, md.Lookup("collectionName"))
		}
		if ix, ok := md.Lookup("indexes").ArrayOK(); !ok {
			t.Errorf("prelude %s: no indexes array", ns)
		} else if vals, _ := ix.Values(); len(vals) == 0 {
			t.Errorf("prelude %s: no index, not even _id_", ns)
		}
		prelude[ns] = true
	}
	if len(prelude) != len(m.Collections) {
		t.Fatalf("prelude lists %d namespaces, the manifest %d collections", len(prelude), len(m.Collections))
	}
	counts := map[string]int64{}
	crcs := map[string]uint64{}
	ended := map[string]bool{}
	table := crc64.MakeTable(crc64.ECMA)
	for r.pos < len(raw) {
		hd := r.doc()
		ns := str(t, hd, "db") + "." + str(t, hd, "collection")
		if !prelude[ns] || ended[ns] {
			t.Fatalf("namespace header %s: not in the prelude or after its EOF", hd)
		}
		crc, ok := hd.Lookup("CRC").Int64OK()
		if !ok {
			t.Fatalf("namespace header %s: CRC is not int64", hd)
		}
		if hd.Lookup("EOF").Boolean() {
			if uint64(crc) != crcs[ns] {
				t.Errorf("EOF of %s: CRC %x, documents hash to %x", ns, uint64(crc), crcs[ns])
			}
			if !r.terminator() {
				t.Fatalf("EOF of %s not followed by a terminator", ns)
			}
			ended[ns] = true
			continue
		}
		if crc != 0 {
			t.Errorf("segment header of %s has CRC %d, want 0", ns, crc)
		}
		n := 0
		for !r.terminator() {
			d := r.doc()
			crcs[ns] = crc64.Update(crcs[ns], table, d)
			counts[str(t, hd, "collection")]++
			n++
		}
		if n == 0 {
			t.Errorf("empty segment of %s", ns)
		}
	}
	if len(ended) != len(prelude) {
		t.Errorf("%d namespaces ended, %d in the prelude", len(ended), len(prelude))
	}
	for _, c := range m.Collections {
		if counts[c.Name] != c.Documents {
			t.Errorf("collection %s: %d documents in the archive, manifest says %d", c.Name, counts[c.Name], c.Documents)
		}
	}
}
