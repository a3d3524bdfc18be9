// Package backup takes QuizFlow's backups and restores them.
//
// A backup is one gzip-compressed archive in mongodump's archive format
// (archive.go), holding every collection of the database with its options
// and indexes, so that `mongorestore --archive --gzip` restores it into any
// MongoDB without QuizFlow; beside it, a JSON manifest
// (quizflow.Backup) and an index of the file objects (uploads, texts,
// exports) the records point to, whose copies are kept incrementally in
// the backup bucket. The archive streams from the database through gzip
// into an S3 multipart upload: it is never whole in memory or on disk.
//
// The manifest is written last, after the archive has been read back from
// the store and matched (Verification): a backup interrupted anywhere
// before leaves no manifest, so nothing claims it succeeded, and retention
// deletes only what a newer successful backup has replaced.
package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// Bucket is what backups need of an S3 bucket (*s3blob.Store).
type Bucket interface {
	Bucket() string
	// Upload streams r to key (multipart, one part in memory at a time).
	Upload(ctx context.Context, key string, r io.Reader, contentType string) error
	Put(ctx context.Context, key string, b []byte, contentType string) error
	// Open returns ENOTFOUND for a missing key.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	Delete(ctx context.Context, keys ...string) error
	List(ctx context.Context, prefix string, fn func(s3blob.Object) error) error
	CopyFrom(ctx context.Context, srcBucket, srcKey, dstKey string) error
}

// Config holds the backup settings (BACKUP_*).
type Config struct {
	// Prefix starts every key the backups write ("backups/").
	Prefix string
	// RetentionDays is how long archives are kept once a newer backup has
	// succeeded (30).
	RetentionDays int
	// Files copies the file objects too (BACKUP_FILES).
	Files bool
	// FilePrefixes are the key prefixes of the main bucket whose objects
	// are copied; nil means "documents/" and "exports/" (s3blob's layout).
	FilePrefixes []string
}

// Observer is told of each backup's end (metrics.Backup); nil is valid.
type Observer interface {
	BackupSucceeded(end time.Time, d time.Duration, archiveBytes int64)
	BackupFailed(d time.Duration)
}

// Service takes backups of DB (and of the files in Source) into Target.
type Service struct {
	DB     *mongo.Database
	Source Bucket // the main bucket, whose files are copied
	Target Bucket // the backup bucket
	Config Config
	Log    zerolog.Logger
	// Observe, if set, is told of each backup's outcome.
	Observe Observer
	// Now is the clock (time.Now if nil); tests inject theirs.
	Now func() time.Time
	// Version is the QuizFlow version written in manifests ("" reads the
	// build information).
	Version string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// idFormat names backups by their time slot, in UTC; IDs sort by time.
const idFormat = "20060102T150405Z"

// ID returns the ID of the backup of time slot t.
func ID(t time.Time) string { return t.UTC().Format(idFormat) }

func idTime(id string) (time.Time, bool) {
	t, err := time.Parse(idFormat, id)
	return t, err == nil
}

// Key layout under Config.Prefix.
func (s *Service) archivesPrefix() string      { return s.Config.Prefix + "archives/" }
func (s *Service) ArchiveKey(id string) string { return s.archivesPrefix() + id + ".archive.gz" }
func (s *Service) ManifestKey(id string) string {
	return s.archivesPrefix() + id + ".manifest.json"
}
func (s *Service) filesIndexKey(id string) string { return s.archivesPrefix() + id + ".files.jsonl.gz" }
func (s *Service) filesPrefix() string            { return s.Config.Prefix + "files/" }

// Run takes the backup id (see ID) of trigger ("scheduled", "manual"):
// archive, verification, file copies, manifest, then retention. A backup
// whose successful manifest exists already is returned as is, so a
// redelivered task does nothing twice. Any error before the manifest is
// written leaves no manifest.
func (s *Service) Run(ctx context.Context, id, trigger string) (*quizflow.Backup, error) {
	if m, err := s.Manifest(ctx, id); err == nil && m.Status == quizflow.BackupSucceeded {
		return m, nil
	} else if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return nil, err
	}
	start := s.now()
	m, err := s.run(ctx, id, trigger, start)
	d := s.now().Sub(start)
	if err != nil {
		if s.Observe != nil {
			s.Observe.BackupFailed(d)
		}
		return m, err
	}
	if s.Observe != nil {
		s.Observe.BackupSucceeded(m.EndedAt, d, m.ArchiveBytes)
	}
	if _, err := s.Prune(ctx); err != nil {
		// The backup itself succeeded; the next one prunes again.
		s.Log.Warn().Err(err).Msg("backup retention")
	}
	return m, nil
}

func (s *Service) run(ctx context.Context, id, trigger string, start time.Time) (*quizflow.Backup, error) {
	m := &quizflow.Backup{
		ID: id, Trigger: trigger, Version: s.version(), Database: s.DB.Name(),
		Bucket: s.Target.Bucket(), ArchiveKey: s.ArchiveKey(id), StartedAt: start,
	}
	if err := s.writeArchive(ctx, m); err != nil {
		return nil, fmt.Errorf("backup %s: archive: %w", id, err)
	}
	m.Verification = s.verify(ctx, m)
	m.Status = quizflow.BackupSucceeded
	if !m.Verification.OK {
		m.Status = quizflow.BackupFailed
	}
	if s.Config.Files && m.Status == quizflow.BackupSucceeded {
		f, err := s.copyFiles(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("backup %s: files: %w", id, err)
		}
		m.Files = f
	}
	m.EndedAt = s.now()
	if err := s.putManifest(ctx, m); err != nil {
		return nil, fmt.Errorf("backup %s: manifest: %w", id, err)
	}
	if m.Status != quizflow.BackupSucceeded {
		return m, fmt.Errorf("backup %s: verification failed: %s", id, m.Verification.Error)
	}
	return m, nil
}

func (s *Service) version() string {
	if s.Version != "" {
		return s.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, kv := range bi.Settings {
			if kv.Key == "vcs.revision" {
				v += "+" + kv.Value
			}
		}
		return v
	}
	return "unknown"
}

// hashCounter counts and hashes what passes through to w.
type hashCounter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *hashCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// collectionInfo is what the prelude needs of a collection.
type collectionInfo struct {
	name    string
	options bson.D
	uuid    string
	indexes []bson.D
}

// collections lists the collections to back up (not system.*, not
// views), by name, with their options and indexes.
func (s *Service) collections(ctx context.Context) ([]collectionInfo, error) {
	specs, err := s.DB.ListCollectionSpecifications(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	var out []collectionInfo
	for _, sp := range specs {
		if strings.HasPrefix(sp.Name, "system.") || (sp.Type != "" && sp.Type != "collection") {
			continue
		}
		ci := collectionInfo{name: sp.Name}
		if len(sp.Options) > 0 {
			if err := bson.Unmarshal(sp.Options, &ci.options); err != nil {
				return nil, fmt.Errorf("options of %s: %w", sp.Name, err)
			}
		}
		if sp.UUID != nil && len(sp.UUID.Data) == 16 {
			ci.uuid = hex.EncodeToString(sp.UUID.Data)
		}
		cur, err := s.DB.Collection(sp.Name).Indexes().List(ctx)
		if err != nil {
			return nil, fmt.Errorf("indexes of %s: %w", sp.Name, err)
		}
		if err := cur.All(ctx, &ci.indexes); err != nil {
			return nil, fmt.Errorf("indexes of %s: %w", sp.Name, err)
		}
		out = append(out, ci)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// snapshot returns ctx inside a session reading at one point in time when
// the server is a replica set member that supports it (MongoDB 5.0+), and
// reports which consistency the backup gets.
func (s *Service) snapshot(ctx context.Context) (context.Context, func(), string) {
	var hello struct {
		SetName        string `bson:"setName"`
		MaxWireVersion int32  `bson:"maxWireVersion"`
	}
	if err := s.DB.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil || hello.SetName == "" || hello.MaxWireVersion < 13 {
		return ctx, func() {}, "collection"
	}
	sess, err := s.DB.Client().StartSession(options.Session().SetSnapshot(true))
	if err != nil {
		return ctx, func() {}, "collection"
	}
	return mongo.NewSessionContext(ctx, sess), func() { sess.EndSession(context.Background()) }, "snapshot"
}

// writeArchive streams the database into the archive object and fills
// m's collections, counts and checksum.
func (s *Service) writeArchive(ctx context.Context, m *quizflow.Backup) error {
	cols, err := s.collections(ctx)
	if err != nil {
		return err
	}
	var buildInfo struct {
		Version string `bson:"version"`
	}
	_ = s.DB.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&buildInfo)
	prelude := make([]CollectionMetadata, len(cols))
	for i, c := range cols {
		js, err := bson.MarshalExtJSON(Metadata{
			Options: c.options, Indexes: c.indexes, UUID: c.uuid, CollectionName: c.name, Type: "collection",
		}, true, false)
		if err != nil {
			return fmt.Errorf("metadata of %s: %w", c.name, err)
		}
		prelude[i] = CollectionMetadata{Database: m.Database, Collection: c.name, Metadata: string(js)}
	}
	if buildInfo.Version == "" {
		buildInfo.Version = "0.0.0"
	}
	pr, pw := io.Pipe()
	hc := &hashCounter{w: pw, h: sha256.New()}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- s.Target.Upload(ctx, m.ArchiveKey, pr, "application/gzip")
		// Unblock the writer if the upload gave up early.
		pr.CloseWithError(errors.New("upload ended"))
	}()
	werr := func() error {
		bw := bufio.NewWriterSize(hc, 256<<10)
		gz, _ := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
		aw, err := NewArchiveWriter(gz, ArchiveHeader{ServerVersion: buildInfo.Version, ToolVersion: "quizflow " + m.Version}, prelude)
		if err != nil {
			return err
		}
		sctx, end, consistency := s.snapshot(ctx)
		defer end()
		m.Consistency = consistency
		for _, c := range cols {
			bc, err := s.dumpCollection(sctx, aw, m.Database, c)
			if err != nil {
				return err
			}
			m.Collections = append(m.Collections, bc)
			m.Documents += bc.Documents
			m.Bytes += bc.Bytes
		}
		if err := gz.Close(); err != nil {
			return err
		}
		return bw.Flush()
	}()
	if werr != nil {
		pw.CloseWithError(werr)
		<-done
		return werr
	}
	pw.Close()
	if err := <-done; err != nil {
		return err
	}
	m.ArchiveBytes = hc.n
	m.SHA256 = hex.EncodeToString(hc.h.Sum(nil))
	return nil
}

// dumpCollection writes every document of c into the archive, as the
// server returns it (raw BSON, byte for byte).
func (s *Service) dumpCollection(ctx context.Context, aw *ArchiveWriter, db string, c collectionInfo) (quizflow.BackupCollection, error) {
	bc := quizflow.BackupCollection{Name: c.name, Indexes: len(c.indexes)}
	if err := aw.Begin(db, c.name); err != nil {
		return bc, err
	}
	cur, err := s.DB.Collection(c.name).Find(ctx, bson.D{}, options.Find().SetBatchSize(1000))
	if err != nil {
		return bc, fmt.Errorf("read %s: %w", c.name, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		if err := aw.Write(cur.Current); err != nil {
			return bc, err
		}
		bc.Documents++
		bc.Bytes += int64(len(cur.Current))
	}
	if err := cur.Err(); err != nil {
		return bc, fmt.Errorf("read %s: %w", c.name, err)
	}
	return bc, aw.End()
}

// verify reads the archive back from the store and checks that it
// decodes completely, that its checksum and size are those written, and
// that every collection has the documents the manifest counts.
func (s *Service) verify(ctx context.Context, m *quizflow.Backup) quizflow.BackupVerification {
	v := quizflow.BackupVerification{CheckedAt: s.now()}
	sum, err := s.check(ctx, m.ArchiveKey, m)
	v.Documents = sum.Documents
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.OK = true
	return v
}

// Summary is what reading an archive through found.
type Summary struct {
	SHA256    string
	Bytes     int64 // compressed, as stored
	Documents int64
	// Counts are the documents per collection.
	Counts map[string]int64
	Header ArchiveHeader
}

// Read decodes a whole gzip-compressed archive from r: every document,
// every namespace's CRC. It returns what it found; errors about the
// content wrap ErrCorrupt.
func Read(r io.Reader, visit func(db, coll string, doc []byte) error) (Summary, error) {
	sum := Summary{Counts: map[string]int64{}}
	hc := &hashCounter{w: io.Discard, h: sha256.New()}
	tr := io.TeeReader(r, hc)
	gz, err := gzip.NewReader(tr)
	if err != nil {
		return sum, corrupt("not gzip: %v", err)
	}
	ar, err := NewArchiveReader(gz)
	if err != nil {
		return sum, err
	}
	sum.Header = ar.Header
	names := map[string][2]string{}
	for _, p := range ar.Prelude {
		names[p.Database+"."+p.Collection] = [2]string{p.Database, p.Collection}
		sum.Counts[p.Collection] += 0
	}
	for {
		ns, doc, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		n := names[ns]
		sum.Counts[n[1]]++
		sum.Documents++
		if visit != nil {
			if err := visit(n[0], n[1], doc); err != nil {
				return sum, err
			}
		}
	}
	// Nothing may follow the archive in the gzip stream, and the gzip
	// checksum is checked at its end.
	if n, err := io.Copy(io.Discard, gz); err != nil {
		return sum, corrupt("gzip: %v", err)
	} else if n > 0 {
		return sum, corrupt("%d bytes after the archive's end", n)
	}
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return sum, err
	}
	sum.SHA256 = hex.EncodeToString(hc.h.Sum(nil))
	sum.Bytes = hc.n
	return sum, nil
}

// check reads the archive at key through and compares it with m.
func (s *Service) check(ctx context.Context, key string, m *quizflow.Backup) (Summary, error) {
	rc, _, err := s.Target.Open(ctx, key)
	if err != nil {
		return Summary{}, err
	}
	defer rc.Close()
	sum, err := Read(rc, nil)
	if err != nil {
		return sum, err
	}
	return sum, matches(sum, m)
}

// matches checks a read-through against the manifest.
func matches(sum Summary, m *quizflow.Backup) error {
	if sum.SHA256 != m.SHA256 {
		return fmt.Errorf("archive sha256 %s, the manifest says %s", sum.SHA256, m.SHA256)
	}
	if sum.Bytes != m.ArchiveBytes {
		return fmt.Errorf("archive is %d bytes, the manifest says %d", sum.Bytes, m.ArchiveBytes)
	}
	if len(sum.Counts) != len(m.Collections) {
		return fmt.Errorf("archive has %d collections, the manifest %d", len(sum.Counts), len(m.Collections))
	}
	for _, c := range m.Collections {
		got, ok := sum.Counts[c.Name]
		if !ok {
			return fmt.Errorf("collection %s is not in the archive", c.Name)
		}
		if got != c.Documents {
			return fmt.Errorf("collection %s has %d documents in the archive, the manifest says %d", c.Name, got, c.Documents)
		}
	}
	return nil
}

func (s *Service) putManifest(ctx context.Context, m *quizflow.Backup) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return s.Target.Put(ctx, s.ManifestKey(m.ID), append(b, '\n'), "application/json")
}

// maxManifest bounds a manifest read back.
const maxManifest = 1 << 20

// Manifest returns the manifest of backup id, ENOTFOUND if there is none.
func (s *Service) Manifest(ctx context.Context, id string) (*quizflow.Backup, error) {
	rc, _, err := s.Target.Open(ctx, s.ManifestKey(id))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var m quizflow.Backup
	if err := json.NewDecoder(io.LimitReader(rc, maxManifest)).Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", id, err)
	}
	return &m, nil
}

// List returns every backup with a manifest, newest first.
func (s *Service) List(ctx context.Context) ([]quizflow.Backup, error) {
	var ids []string
	err := s.Target.List(ctx, s.archivesPrefix(), func(o s3blob.Object) error {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, s.archivesPrefix()), ".manifest.json"); ok {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	out := make([]quizflow.Backup, 0, len(ids))
	for _, id := range ids {
		m, err := s.Manifest(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, nil
}

// Latest returns the newest successful backup, ENOTFOUND if none.
func (s *Service) Latest(ctx context.Context) (*quizflow.Backup, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.Status == quizflow.BackupSucceeded {
			return &m, nil
		}
	}
	return nil, quizflow.Errorf(quizflow.ENOTFOUND, "no successful backup in %s/%s", s.Target.Bucket(), s.archivesPrefix())
}
