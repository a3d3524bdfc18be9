package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// FileEntry is one line of a backup's file index: a key of the main
// bucket and the ETag it had when the backup copied (or found) it.
type FileEntry struct {
	Key  string `json:"key"`
	ETag string `json:"etag"`
	Size int64  `json:"size"`
}

func (s *Service) filePrefixes() []string {
	if s.Config.FilePrefixes != nil {
		return s.Config.FilePrefixes
	}
	return []string{"documents/", "exports/"}
}

// CopyKey is where the backup copy of main-bucket key lives.
func (s *Service) CopyKey(key string) string { return s.filesPrefix() + key }

// copyFiles copies the file objects that are new or changed (by key and
// ETag) since the last successful backup's index, and writes this
// backup's index, streamed like the archive.
func (s *Service) copyFiles(ctx context.Context, id string) (*quizflow.BackupFiles, error) {
	prev := map[string]string{}
	if last, err := s.Latest(ctx); err == nil && last.Files != nil {
		if err := s.readIndex(ctx, last.Files.IndexKey, func(e FileEntry) error {
			prev[e.Key] = e.ETag
			return nil
		}); err != nil {
			return nil, fmt.Errorf("index of %s: %w", last.ID, err)
		}
	} else if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return nil, err
	}
	f := &quizflow.BackupFiles{IndexKey: s.filesIndexKey(id), Prefix: s.filesPrefix()}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- s.Target.Upload(ctx, f.IndexKey, pr, "application/gzip")
		pr.CloseWithError(errors.New("upload ended"))
	}()
	werr := func() error {
		gz := gzip.NewWriter(pw)
		enc := json.NewEncoder(gz)
		for _, p := range s.filePrefixes() {
			err := s.Source.List(ctx, p, func(o s3blob.Object) error {
				if prev[o.Key] != o.ETag {
					if err := s.Target.CopyFrom(ctx, s.Source.Bucket(), o.Key, s.CopyKey(o.Key)); err != nil {
						return err
					}
					f.Copied++
				}
				f.Objects++
				f.Bytes += o.Size
				return enc.Encode(FileEntry{Key: o.Key, ETag: o.ETag, Size: o.Size})
			})
			if err != nil {
				return err
			}
		}
		return gz.Close()
	}()
	if werr != nil {
		pw.CloseWithError(werr)
		<-done
		return nil, werr
	}
	pw.Close()
	if err := <-done; err != nil {
		return nil, err
	}
	return f, nil
}

// maxIndexLine bounds one line of a file index.
const maxIndexLine = 64 << 10

// readIndex calls fn with each entry of the file index at key.
func (s *Service) readIndex(ctx context.Context, key string, fn func(FileEntry) error) error {
	rc, _, err := s.Target.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 4096), maxIndexLine)
	for sc.Scan() {
		var e FileEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("file index %s: %w", key, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Files calls fn with every file entry of backup m.
func (s *Service) Files(ctx context.Context, m *quizflow.Backup, fn func(FileEntry) error) error {
	if m.Files == nil {
		return nil
	}
	return s.readIndex(ctx, m.Files.IndexKey, fn)
}
