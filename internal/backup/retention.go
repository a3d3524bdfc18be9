package backup

import (
	"context"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
)

// PruneResult says what a retention pass deleted.
type PruneResult struct {
	// Backups are the IDs whose archive, file index and manifest went.
	Backups []string
	// Orphans are objects of backups that never wrote a manifest.
	Orphans int
	// Files are file copies no kept backup refers to.
	Files int
}

// Prune applies retention. Backups older than RetentionDays are deleted,
// but only those older than the newest successful backup, counted from
// that backup: while backups fail, nothing that may be needed goes, and
// the newest successful one is never deleted. Objects of backups that
// never finished (no manifest) go by the same rule. Then file copies are
// deleted that no kept successful backup lists and whose object is gone
// from the main bucket.
func (s *Service) Prune(ctx context.Context) (PruneResult, error) {
	var res PruneResult
	if s.Config.RetentionDays <= 0 {
		return res, nil
	}
	all, err := s.List(ctx)
	if err != nil {
		return res, err
	}
	var newest *quizflow.Backup
	for i := range all {
		if all[i].Status == quizflow.BackupSucceeded {
			newest = &all[i]
			break
		}
	}
	if newest == nil {
		return res, nil
	}
	from, _ := idTime(newest.ID)
	if now := s.now(); now.Before(from) {
		from = now
	}
	cutoff := from.Add(-time.Duration(s.Config.RetentionDays) * 24 * time.Hour)
	expired := func(id string) bool {
		t, ok := idTime(id)
		return ok && t.Before(cutoff) && id < newest.ID
	}
	var kept []quizflow.Backup
	manifests := map[string]bool{}
	for _, m := range all {
		manifests[m.ID] = true
		if !expired(m.ID) {
			if m.Status == quizflow.BackupSucceeded {
				kept = append(kept, m)
			}
			continue
		}
		// The manifest last: until it goes, the backup is listed.
		if err := s.Target.Delete(ctx, s.ArchiveKey(m.ID), s.filesIndexKey(m.ID), s.ManifestKey(m.ID)); err != nil {
			return res, err
		}
		res.Backups = append(res.Backups, m.ID)
	}
	// Archives and indexes without a manifest: interrupted backups.
	var orphans []string
	err = s.Target.List(ctx, s.archivesPrefix(), func(o s3blob.Object) error {
		id, _, _ := strings.Cut(strings.TrimPrefix(o.Key, s.archivesPrefix()), ".")
		if !manifests[id] && expired(id) {
			orphans = append(orphans, o.Key)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if err := s.Target.Delete(ctx, orphans...); err != nil {
		return res, err
	}
	res.Orphans = len(orphans)
	n, err := s.pruneFiles(ctx, kept)
	res.Files = n
	if len(res.Backups)+res.Orphans+res.Files > 0 {
		s.Log.Info().Strs("backups", res.Backups).Int("orphans", res.Orphans).Int("files", res.Files).Msg("backup retention")
	}
	return res, err
}

// pruneFiles deletes the file copies that none of kept lists and whose
// object the main bucket no longer has (an object still there will be
// listed by the next backup, or is being copied by one running now).
func (s *Service) pruneFiles(ctx context.Context, kept []quizflow.Backup) (int, error) {
	if !s.Config.Files {
		return 0, nil
	}
	listed := map[string]bool{}
	indexes := 0
	for i := range kept {
		if kept[i].Files == nil {
			continue
		}
		indexes++
		if err := s.Files(ctx, &kept[i], func(e FileEntry) error { listed[e.Key] = true; return nil }); err != nil {
			return 0, err
		}
	}
	if indexes == 0 {
		return 0, nil
	}
	live := map[string]bool{}
	for _, p := range s.filePrefixes() {
		if err := s.Source.List(ctx, p, func(o s3blob.Object) error { live[o.Key] = true; return nil }); err != nil {
			return 0, err
		}
	}
	var gone []string
	err := s.Target.List(ctx, s.filesPrefix(), func(o s3blob.Object) error {
		key := strings.TrimPrefix(o.Key, s.filesPrefix())
		if !listed[key] && !live[key] {
			gone = append(gone, o.Key)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(gone), s.Target.Delete(ctx, gone...)
}
