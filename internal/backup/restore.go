package backup

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// RestoreOptions says what to restore where.
type RestoreOptions struct {
	// Manifest is the backup's manifest: the archive's sha256 and
	// counts must match it.
	Manifest *quizflow.Backup
	// Open opens the archive (from S3 or a local file). Restore calls it
	// twice: once to check the whole archive, once to restore it.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// DB is the database restored into (a new one for a drill).
	DB *mongo.Database
	// Drop drops each collection before restoring it; without it, a
	// collection that exists and holds documents stops the restore before
	// anything is written.
	Drop bool
	// Files, if set, is the bucket the backup's file copies are copied
	// back to, under their original keys.
	Files Bucket
}

// RestoreResult says what a restore wrote.
type RestoreResult struct {
	Database    string
	Collections []quizflow.BackupCollection
	Documents   int64
	Files       int
}

// batch bounds of the inserts of a restore.
const (
	batchDocs  = 1000
	batchBytes = 8 << 20
)

// Restore restores a backup. It first reads the whole archive through,
// checking its sha256 against the manifest, every document, every
// namespace's CRC and the counts, and refuses a damaged or mismatched
// archive before it writes anything. Then it creates each collection
// with its options and indexes and inserts its documents as they are
// stored (raw BSON), and finally copies the files back if asked to.
func (s *Service) Restore(ctx context.Context, o RestoreOptions) (*RestoreResult, error) {
	if o.Manifest == nil || o.Manifest.SHA256 == "" {
		return nil, errors.New("restore: no manifest to check the archive against")
	}
	rc, err := o.Open(ctx)
	if err != nil {
		return nil, err
	}
	sum, err := Read(rc, nil)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("restore: check archive: %w", err)
	}
	if err := matches(sum, o.Manifest); err != nil {
		return nil, fmt.Errorf("restore: the archive does not match its manifest: %w", err)
	}
	res := &RestoreResult{Database: o.DB.Name()}
	if !o.Drop {
		for name := range sum.Counts {
			n, err := o.DB.Collection(name).CountDocuments(ctx, bson.D{}, options.Count().SetLimit(1))
			if err != nil {
				return nil, fmt.Errorf("restore: count %s: %w", name, err)
			}
			if n > 0 {
				return nil, quizflow.Errorf(quizflow.ECONFLICT, "collection %s of database %s holds documents: restore into a new database (--database) or pass --drop", name, o.DB.Name())
			}
		}
	}
	if err := s.restoreArchive(ctx, o, sum, res); err != nil {
		return res, err
	}
	if o.Files != nil && o.Manifest.Files != nil {
		err := s.Files(ctx, o.Manifest, func(e FileEntry) error {
			if err := o.Files.CopyFrom(ctx, s.Target.Bucket(), s.CopyKey(e.Key), e.Key); err != nil {
				return err
			}
			res.Files++
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("restore files: %w", err)
		}
	}
	return res, nil
}

func (s *Service) restoreArchive(ctx context.Context, o RestoreOptions, checked Summary, res *RestoreResult) error {
	rc, err := o.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	gz, err := gzip.NewReader(io.TeeReader(rc, h))
	if err != nil {
		return corrupt("not gzip: %v", err)
	}
	ar, err := NewArchiveReader(gz)
	if err != nil {
		return err
	}
	byNS := map[string]*quizflow.BackupCollection{}
	for _, p := range ar.Prelude {
		if err := s.createCollection(ctx, o, p); err != nil {
			return err
		}
		res.Collections = append(res.Collections, quizflow.BackupCollection{Name: p.Collection})
	}
	for i, p := range ar.Prelude {
		byNS[p.Database+"."+p.Collection] = &res.Collections[i]
	}
	var batch []any
	var batchNS string
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		c := byNS[batchNS]
		if _, err := o.DB.Collection(c.Name).InsertMany(ctx, batch); err != nil {
			return fmt.Errorf("restore %s: %w", c.Name, err)
		}
		c.Documents += int64(len(batch))
		res.Documents += int64(len(batch))
		batch, size = batch[:0], 0
		return nil
	}
	for {
		ns, doc, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if ns != batchNS || len(batch) >= batchDocs || size+len(doc) > batchBytes {
			if err := flush(); err != nil {
				return err
			}
			batchNS = ns
		}
		batch = append(batch, bson.Raw(append([]byte(nil), doc...)))
		size += len(doc)
		byNS[ns].Bytes += int64(len(doc))
	}
	if err := flush(); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return corrupt("gzip: %v", err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != checked.SHA256 {
		return fmt.Errorf("restore: the archive changed between the check and the restore (sha256 %s, then %s)", checked.SHA256, got)
	}
	return nil
}

// createCollection (re)creates one collection with its options and
// indexes from its prelude entry.
func (s *Service) createCollection(ctx context.Context, o RestoreOptions, p CollectionMetadata) error {
	var md Metadata
	if p.Metadata != "" {
		if err := bson.UnmarshalExtJSON([]byte(p.Metadata), true, &md); err != nil {
			return corrupt("metadata of %s: %v", p.Collection, err)
		}
	}
	coll := o.DB.Collection(p.Collection)
	if o.Drop {
		if err := coll.Drop(ctx); err != nil {
			return fmt.Errorf("drop %s: %w", p.Collection, err)
		}
	}
	cmd := bson.D{{Key: "create", Value: p.Collection}}
	cmd = append(cmd, md.Options...)
	if err := o.DB.RunCommand(ctx, cmd).Err(); err != nil && !isNamespaceExists(err) {
		return fmt.Errorf("create %s: %w", p.Collection, err)
	}
	var specs bson.A
	for _, ix := range md.Indexes {
		spec := bson.D{}
		name := ""
		for _, e := range ix {
			switch e.Key {
			case "ns", "v":
				// The old namespace, and the index version: the server
				// sets its own (FerretDB refuses both).
				continue
			case "name":
				name, _ = e.Value.(string)
			}
			spec = append(spec, e)
		}
		if name == "_id_" {
			continue
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil
	}
	if err := o.DB.RunCommand(ctx, bson.D{{Key: "createIndexes", Value: p.Collection}, {Key: "indexes", Value: specs}}).Err(); err != nil {
		return fmt.Errorf("create indexes of %s: %w", p.Collection, err)
	}
	return nil
}

// isNamespaceExists reports the server's "collection already exists".
func isNamespaceExists(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 48 || ce.Name == "NamespaceExists")
}
