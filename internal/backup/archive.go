package backup

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc64"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// The mongodump archive format (mongo-tools common/archive, spec.md), as
// `mongodump --archive` writes it and `mongorestore --archive` reads it:
//
//	archive   = magic header *collection-metadata terminator *(segment | eof)
//	segment   = namespace-header +document terminator
//	eof       = eof-header terminator
//
// magic is 0x8199e26d little-endian, terminator is 0xffffffff (where a
// BSON length would be), and every other item is one BSON document. An
// eof-header carries the CRC-64 (ECMA) of all the namespace's documents.
// This writer writes collections one after another, never interleaved.
const (
	magicNumber   uint32 = 0x8199e26d
	terminator    uint32 = 0xffffffff
	formatVersion        = "0.1"
	// maxBSONSize is the largest document MongoDB stores (16 MiB).
	maxBSONSize = 16 << 20
	minBSONSize = 5
)

var crcTable = crc64.MakeTable(crc64.ECMA)

// ArchiveHeader is the archive's first document.
type ArchiveHeader struct {
	ConcurrentCollections int32  `bson:"concurrent_collections"`
	FormatVersion         string `bson:"version"`
	ServerVersion         string `bson:"server_version"`
	ToolVersion           string `bson:"tool_version"`
}

// CollectionMetadata is one prelude entry: a collection and its metadata
// (options and indexes) as canonical Extended JSON, the content of the
// metadata.json files of a directory dump.
type CollectionMetadata struct {
	Database   string `bson:"db"`
	Collection string `bson:"collection"`
	Metadata   string `bson:"metadata"`
	Size       int32  `bson:"size"`
	Type       string `bson:"type"`
}

// Metadata is what CollectionMetadata.Metadata encodes.
type Metadata struct {
	Options        bson.D   `bson:"options,omitempty"`
	Indexes        []bson.D `bson:"indexes"`
	UUID           string   `bson:"uuid,omitempty"`
	CollectionName string   `bson:"collectionName"`
	Type           string   `bson:"type,omitempty"`
}

// namespaceHeader starts a segment (EOF false) or ends a namespace (EOF
// true, with the CRC of its documents). CRC is an unsigned 64-bit value
// stored in a BSON int64.
type namespaceHeader struct {
	Database   string
	Collection string
	EOF        bool
	CRC        uint64
}

func (h namespaceHeader) marshal() []byte {
	return bsoncore.NewDocumentBuilder().
		AppendString("db", h.Database).
		AppendString("collection", h.Collection).
		AppendBoolean("EOF", h.EOF).
		AppendInt64("CRC", int64(h.CRC)).
		Build()
}

func parseNamespaceHeader(doc []byte) (namespaceHeader, error) {
	var h namespaceHeader
	elems, err := bson.Raw(doc).Elements()
	if err != nil {
		return h, err
	}
	for _, e := range elems {
		v := e.Value()
		var ok bool
		switch e.Key() {
		case "db":
			h.Database, ok = v.StringValueOK()
		case "collection":
			h.Collection, ok = v.StringValueOK()
		case "EOF":
			h.EOF, ok = v.BooleanOK()
		case "CRC":
			var c int64
			c, ok = v.Int64OK()
			h.CRC = uint64(c)
		default:
			return h, fmt.Errorf("namespace header: unknown field %q", e.Key())
		}
		if !ok {
			return h, fmt.Errorf("namespace header: field %q has BSON type %v", e.Key(), v.Type)
		}
	}
	if h.Database == "" || h.Collection == "" {
		return h, errors.New("namespace header without db or collection")
	}
	return h, nil
}

// ArchiveWriter writes a mongodump archive to an io.Writer, one
// collection after another.
type ArchiveWriter struct {
	w io.Writer
	// open is the namespace being written, "" between collections.
	db, coll string
	segment  bool // a namespace header has been written and not terminated
	crc      hash.Hash64
	term     [4]byte
}

// NewArchiveWriter writes the magic number, the header and the prelude
// (one entry per collection that will follow) to w.
func NewArchiveWriter(w io.Writer, h ArchiveHeader, prelude []CollectionMetadata) (*ArchiveWriter, error) {
	a := &ArchiveWriter{w: w}
	binary.LittleEndian.PutUint32(a.term[:], terminator)
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], magicNumber)
	if _, err := w.Write(magic[:]); err != nil {
		return nil, err
	}
	if h.FormatVersion == "" {
		h.FormatVersion = formatVersion
	}
	if h.ConcurrentCollections == 0 {
		h.ConcurrentCollections = 1
	}
	if err := a.writeDoc(h); err != nil {
		return nil, err
	}
	for _, m := range prelude {
		if err := a.writeDoc(m); err != nil {
			return nil, err
		}
	}
	if _, err := w.Write(a.term[:]); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *ArchiveWriter) writeDoc(v any) error {
	b, err := bson.Marshal(v)
	if err != nil {
		return err
	}
	_, err = a.w.Write(b)
	return err
}

// Begin starts the documents of collection coll of database db. The
// previous collection must have been ended.
func (a *ArchiveWriter) Begin(db, coll string) error {
	if a.coll != "" {
		return fmt.Errorf("archive: begin %s.%s while %s.%s is open", db, coll, a.db, a.coll)
	}
	a.db, a.coll, a.segment = db, coll, false
	a.crc = crc64.New(crcTable)
	return nil
}

// Write appends one BSON document to the open collection.
func (a *ArchiveWriter) Write(doc []byte) error {
	if a.coll == "" {
		return errors.New("archive: document outside a collection")
	}
	if err := bsoncore.Document(doc).Validate(); err != nil {
		return fmt.Errorf("archive: document of %s.%s: %w", a.db, a.coll, err)
	}
	if !a.segment {
		if _, err := a.w.Write(namespaceHeader{Database: a.db, Collection: a.coll}.marshal()); err != nil {
			return err
		}
		a.segment = true
	}
	a.crc.Write(doc)
	_, err := a.w.Write(doc)
	return err
}

// End closes the open collection: the segment's terminator, then the
// namespace's EOF header with the CRC of its documents and a terminator.
func (a *ArchiveWriter) End() error {
	if a.coll == "" {
		return errors.New("archive: end without begin")
	}
	if a.segment {
		if _, err := a.w.Write(a.term[:]); err != nil {
			return err
		}
	}
	h := namespaceHeader{Database: a.db, Collection: a.coll, EOF: true, CRC: a.crc.Sum64()}
	if _, err := a.w.Write(h.marshal()); err != nil {
		return err
	}
	a.coll, a.segment = "", false
	_, err := a.w.Write(a.term[:])
	return err
}

// ErrCorrupt wraps every error about an archive's content (as opposed to
// an error reading it).
var ErrCorrupt = errors.New("corrupt archive")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// ArchiveReader reads a mongodump archive: NewArchiveReader reads up to
// the end of the prelude, then Next returns the documents in order.
type ArchiveReader struct {
	r       *bufio.Reader
	Header  ArchiveHeader
	Prelude []CollectionMetadata

	buf []byte
	// cur is the namespace of the segment being read ("" between).
	cur string
	// crcs are the running CRCs of the namespaces not yet ended.
	crcs map[string]hash.Hash64
	// ended are the namespaces whose EOF header was read.
	ended map[string]bool
	done  bool
}

// NewArchiveReader checks the magic number and reads the header and the
// prelude. Errors about the content wrap ErrCorrupt.
func NewArchiveReader(r io.Reader) (*ArchiveReader, error) {
	a := &ArchiveReader{r: bufio.NewReaderSize(r, 64<<10), buf: make([]byte, 0, 64<<10), crcs: map[string]hash.Hash64{}, ended: map[string]bool{}}
	var magic [4]byte
	if _, err := io.ReadFull(a.r, magic[:]); err != nil {
		return nil, a.readErr("magic number", err)
	}
	if binary.LittleEndian.Uint32(magic[:]) != magicNumber {
		return nil, corrupt("not a mongodump archive (magic number %x)", magic)
	}
	doc, term, err := a.item()
	if err != nil {
		return nil, err
	}
	if term {
		return nil, corrupt("no archive header")
	}
	if err := bson.Unmarshal(doc, &a.Header); err != nil {
		return nil, corrupt("archive header: %v", err)
	}
	if a.Header.FormatVersion != formatVersion {
		return nil, corrupt("archive format version %q, want %q", a.Header.FormatVersion, formatVersion)
	}
	for {
		doc, term, err := a.item()
		if err != nil {
			return nil, err
		}
		if term {
			break
		}
		var m CollectionMetadata
		if err := bson.Unmarshal(doc, &m); err != nil {
			return nil, corrupt("prelude entry: %v", err)
		}
		ns := m.Database + "." + m.Collection
		if m.Database == "" || m.Collection == "" {
			return nil, corrupt("prelude entry without db or collection")
		}
		if _, dup := a.crcs[ns]; dup {
			return nil, corrupt("prelude lists %s twice", ns)
		}
		a.crcs[ns] = crc64.New(crcTable)
		a.Prelude = append(a.Prelude, m)
	}
	return a, nil
}

// readErr reports a failure to read what, an io.EOF mid-item meaning a
// truncated archive.
func (a *ArchiveReader) readErr(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corrupt("truncated in the %s", what)
	}
	return fmt.Errorf("read archive %s: %w", what, err)
}

// item reads one BSON document or a terminator. The document is valid
// BSON and stays valid until the next call.
func (a *ArchiveReader) item() (doc []byte, term bool, err error) {
	var l [4]byte
	if _, err := io.ReadFull(a.r, l[:]); err != nil {
		return nil, false, a.readErr("length of the next item", err)
	}
	n := binary.LittleEndian.Uint32(l[:])
	if n == terminator {
		return nil, true, nil
	}
	if n < minBSONSize || n > maxBSONSize {
		return nil, false, corrupt("%d is neither a BSON length nor a terminator", n)
	}
	if cap(a.buf) < int(n) {
		a.buf = make([]byte, n)
	}
	a.buf = a.buf[:n]
	copy(a.buf, l[:])
	if _, err := io.ReadFull(a.r, a.buf[4:]); err != nil {
		return nil, false, a.readErr("document", err)
	}
	if err := bsoncore.Document(a.buf).Validate(); err != nil {
		return nil, false, corrupt("invalid BSON document: %v", err)
	}
	return a.buf, false, nil
}

// Next returns the next document and the namespace ("db.collection") it
// belongs to, or io.EOF after the last namespace has ended, once every
// namespace of the prelude has (with a matching CRC). doc is valid until
// the next call. Errors about the content wrap ErrCorrupt.
func (a *ArchiveReader) Next() (ns string, doc []byte, err error) {
	if a.done {
		return "", nil, io.EOF
	}
	for {
		if a.cur != "" {
			doc, term, err := a.item()
			if err != nil {
				return "", nil, err
			}
			if term {
				a.cur = ""
				continue
			}
			a.crcs[a.cur].Write(doc)
			return a.cur, doc, nil
		}
		// Between segments: a namespace header, an EOF header or the end.
		if _, err := a.r.Peek(1); errors.Is(err, io.EOF) {
			for ns := range a.crcs {
				if !a.ended[ns] {
					return "", nil, corrupt("archive ends before namespace %s does", ns)
				}
			}
			a.done = true
			return "", nil, io.EOF
		}
		doc, term, err := a.item()
		if err != nil {
			return "", nil, err
		}
		if term {
			return "", nil, corrupt("terminator without a namespace header")
		}
		h, err := parseNamespaceHeader(doc)
		if err != nil {
			return "", nil, corrupt("%v", err)
		}
		ns := h.Database + "." + h.Collection
		crc, known := a.crcs[ns]
		if !known {
			return "", nil, corrupt("namespace %s is not in the prelude", ns)
		}
		if a.ended[ns] {
			return "", nil, corrupt("namespace %s continues after its EOF", ns)
		}
		if !h.EOF {
			a.cur = ns
			// A segment has at least one document.
			doc, term, err := a.item()
			if err != nil {
				return "", nil, err
			}
			if term {
				return "", nil, corrupt("empty segment of %s", ns)
			}
			crc.Write(doc)
			return ns, doc, nil
		}
		if h.CRC != crc.Sum64() {
			return "", nil, corrupt("CRC of %s is %x, its EOF header says %x", ns, crc.Sum64(), h.CRC)
		}
		a.ended[ns] = true
		_, term, err = a.item()
		if err != nil {
			return "", nil, err
		}
		if !term {
			return "", nil, corrupt("EOF header of %s not followed by a terminator", ns)
		}
	}
}
