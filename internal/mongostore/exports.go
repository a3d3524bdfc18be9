package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// ClaimExport records e as a new queued export. Export IDs derive from the
// owner and cache key (quizflow.ExportIDFor), so at most one export per key
// exists: ClaimExport inserts e if its ID is free, or replaces a failed
// export of that ID so a failure can be retried. It returns false, without
// writing, when another export of that ID is queued, running or succeeded
// (for instance one a concurrent request just claimed); the caller reuses
// that one.
func (s *Store) ClaimExport(ctx context.Context, e *quizflow.Export) (bool, error) {
	now := s.now()
	e.CreatedAt, e.UpdatedAt = now, now
	e.Status = quizflow.StatusQueued
	col := s.db.Collection(colExports)
	rec := newExportRecord(e)
	_, err := col.InsertOne(ctx, rec)
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("insert export: %w", err)
	}
	res, err := col.ReplaceOne(ctx, bson.M{"_id": e.ID, "owner_id": e.OwnerID, "status": quizflow.StatusFailed}, rec)
	if err != nil {
		return false, fmt.Errorf("replace failed export: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// Export returns export id if owner owns it (owner "" skips the check), or
// ENOTFOUND.
func (s *Store) Export(ctx context.Context, id, owner string) (*quizflow.Export, error) {
	var r exportRecord
	if err := s.findOwned(ctx, colExports, id, owner, "export", &r); err != nil {
		return nil, err
	}
	e := r.domain()
	return &e, nil
}

// Exports returns a page of owner's exports, newest first, and the next
// page's cursor; quizID "" lists them all. It returns EINVALID for a bad
// cursor.
func (s *Store) Exports(ctx context.Context, owner, quizID string, p quizflow.PageRequest) ([]quizflow.Export, string, error) {
	var extra bson.M
	if quizID != "" {
		extra = bson.M{"quiz_id": quizID}
	}
	return pageOwned(ctx, s, colExports, owner, p, extra, exportRecord.domain)
}

// ExportRunning marks export id running for job jobID. It returns false if
// the export is finished or belongs to another job.
func (s *Store) ExportRunning(ctx context.Context, id, jobID string) (bool, error) {
	res, err := s.db.Collection(colExports).UpdateOne(ctx,
		bson.M{"_id": id, "job_id": jobID, "status": notFinished},
		bson.M{"$set": bson.M{"status": quizflow.StatusRunning, "updated_at": s.now()}})
	if err != nil {
		return false, fmt.Errorf("update export: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// SucceedExport records the file of export id, built by job jobID. It
// returns false if the export is gone, finished or belongs to another job,
// in which case the caller should drop the file it wrote.
func (s *Store) SucceedExport(ctx context.Context, id, jobID string, f quizflow.ExportFile) (bool, error) {
	warnings := f.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	res, err := s.db.Collection(colExports).UpdateOne(ctx,
		bson.M{"_id": id, "job_id": jobID, "status": notFinished},
		bson.M{"$set": bson.M{
			"status": quizflow.StatusSucceeded, "quiz_version": f.QuizVersion, "cache_key": f.CacheKey,
			"file_name": f.FileName, "content_type": f.ContentType, "size": f.Size, "blob_key": f.BlobKey,
			"warnings": warnings, "updated_at": s.now(),
		}})
	if err != nil {
		return false, fmt.Errorf("finish export: %w", err)
	}
	return res.MatchedCount == 1, nil
}

// FailExport marks export id, built by job jobID, failed with a
// user-readable error. A finished export is left alone.
func (s *Store) FailExport(ctx context.Context, id, jobID string, jerr quizflow.JobError) error {
	_, err := s.db.Collection(colExports).UpdateOne(ctx,
		bson.M{"_id": id, "job_id": jobID, "status": notFinished},
		bson.M{"$set": bson.M{"status": quizflow.StatusFailed, "error": jobErrorRecord(jerr), "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("fail export: %w", err)
	}
	return nil
}

// DeleteJob removes job id (an export job that lost the race to claim its
// export and was never enqueued).
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	if _, err := s.db.Collection(colJobs).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete job: %w", err)
	}
	return nil
}

// ExportsOfQuiz lists every export of owner's quiz quizID, so its files can
// be deleted before DeleteExportsOfQuiz drops the records.
func (s *Store) ExportsOfQuiz(ctx context.Context, owner, quizID string) ([]quizflow.Export, error) {
	return listOwned(ctx, s, colExports, owner, bson.M{"quiz_id": quizID}, exportRecord.domain)
}

// ExportsOfDocument lists every export of the quizzes of owner's document
// docID.
func (s *Store) ExportsOfDocument(ctx context.Context, owner, docID string) ([]quizflow.Export, error) {
	return listOwned(ctx, s, colExports, owner, bson.M{"document_id": docID}, exportRecord.domain)
}

// DeleteExportsOfQuiz removes the export records of owner's quiz quizID.
// Delete their files first (ExportsOfQuiz gives the blob keys).
func (s *Store) DeleteExportsOfQuiz(ctx context.Context, owner, quizID string) error {
	return s.deleteExports(ctx, bson.M{"owner_id": owner, "quiz_id": quizID})
}

// DeleteExportsOfDocument removes the export records of the quizzes of
// owner's document docID. Delete their files first (ExportsOfDocument gives
// the blob keys).
func (s *Store) DeleteExportsOfDocument(ctx context.Context, owner, docID string) error {
	return s.deleteExports(ctx, bson.M{"owner_id": owner, "document_id": docID})
}

func (s *Store) deleteExports(ctx context.Context, filter bson.M) error {
	_, err := s.db.Collection(colExports).DeleteMany(ctx, filter)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("delete exports: %w", err)
	}
	return nil
}
