package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// CreateJob inserts j as queued.
func (s *Store) CreateJob(ctx context.Context, j *quizflow.Job) error {
	j.CreatedAt, j.UpdatedAt = s.now(), s.now()
	if j.Status == "" {
		j.Status, j.Stage = quizflow.StatusQueued, quizflow.StageQueued
	}
	if _, err := s.db.Collection(colJobs).InsertOne(ctx, newJobRecord(j)); err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	return nil
}

// Job returns job id if owner owns it (owner "" skips the check), or ENOTFOUND.
func (s *Store) Job(ctx context.Context, id, owner string) (*quizflow.Job, error) {
	var r jobRecord
	if err := s.findOwned(ctx, colJobs, id, owner, "job", &r); err != nil {
		return nil, err
	}
	j := r.domain()
	return &j, nil
}

// Jobs returns a page of owner's jobs, newest first, and the next page's
// cursor. It returns EINVALID for a bad cursor.
func (s *Store) Jobs(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Job, string, error) {
	return pageOwned(ctx, s, colJobs, owner, p, nil, jobRecord.domain)
}

// notFinished matches jobs that have not reached a final status, so a
// handler running twice (at-least-once delivery) never reopens a finished job.
var notFinished = bson.M{"$nin": bson.A{quizflow.StatusSucceeded, quizflow.StatusFailed}}

// updateUnfinishedJob applies update to job id if it has not finished and
// reports whether it matched. On MongoDB it is one conditional update; on
// FerretDB (Store.idOnly) a read of the status by _id, then an update by
// _id, both pushed down, rather than a scan of every job.
func (s *Store) updateUnfinishedJob(ctx context.Context, id string, update bson.M) (bool, error) {
	col := s.db.Collection(colJobs)
	if !s.idOnly {
		res, err := col.UpdateOne(ctx, bson.M{"_id": id, "status": notFinished}, update)
		if err != nil {
			return false, err
		}
		return res.MatchedCount == 1, nil
	}
	raw, err := col.FindOne(ctx, bson.M{"_id": id}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st, _ := raw.Lookup("status").StringValueOK(); st == quizflow.StatusSucceeded || st == quizflow.StatusFailed {
		return false, nil
	}
	res, err := col.UpdateOne(ctx, bson.M{"_id": id}, update)
	if err != nil {
		return false, err
	}
	return res.MatchedCount == 1, nil
}

// JobProgress marks job id running at stage with progress percent. It
// returns false if the job has already finished.
func (s *Store) JobProgress(ctx context.Context, id, stage string, progress int, message string) (bool, error) {
	ok, err := s.updateUnfinishedJob(ctx, id,
		bson.M{"$set": bson.M{
			"status": quizflow.StatusRunning, "stage": stage, "progress": progress,
			"message": message, "updated_at": s.now(),
		}})
	if err != nil {
		return false, fmt.Errorf("update job progress: %w", err)
	}
	return ok, nil
}

// JobAttempt counts one more attempt at job id.
func (s *Store) JobAttempt(ctx context.Context, id string) error {
	_, err := s.updateUnfinishedJob(ctx, id,
		bson.M{"$inc": bson.M{"attempts": 1}, "$set": bson.M{"updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("count job attempt: %w", err)
	}
	return nil
}

// SucceedJob marks job id succeeded with its result.
func (s *Store) SucceedJob(ctx context.Context, id string, result quizflow.JobResult, usage *quizflow.Usage, warnings []string) error {
	set := bson.M{
		"status": quizflow.StatusSucceeded, "stage": quizflow.StageDone, "progress": 100,
		"message": "", "result": jobResultRecord(result), "updated_at": s.now(),
	}
	if usage != nil {
		set["usage"] = newUsageRecord(usage)
	}
	if len(warnings) > 0 {
		set["warnings"] = warnings
	}
	_, err := s.updateUnfinishedJob(ctx, id, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	return nil
}

// FailJob marks job id failed with a user-readable error.
func (s *Store) FailJob(ctx context.Context, id string, jerr quizflow.JobError) error {
	_, err := s.updateUnfinishedJob(ctx, id,
		bson.M{"$set": bson.M{"status": quizflow.StatusFailed, "error": jobErrorRecord(jerr), "message": "", "updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("fail job: %w", err)
	}
	return nil
}

// DeleteJobsOfDocument removes the jobs of document id.
func (s *Store) DeleteJobsOfDocument(ctx context.Context, owner, docID string) error {
	if _, err := s.db.Collection(colJobs).DeleteMany(ctx, bson.M{"owner_id": owner, "document_id": docID}); err != nil {
		return fmt.Errorf("delete jobs: %w", err)
	}
	return nil
}

// StaleJobs returns up to limit jobs that have not finished and have not
// been updated since before: candidates for reconciliation after a crash
// lost their task.
func (s *Store) StaleJobs(ctx context.Context, before time.Time, limit int64) ([]quizflow.Job, error) {
	cur, err := s.db.Collection(colJobs).Find(ctx,
		bson.M{"status": notFinished, "updated_at": bson.M{"$lt": before}},
		options.Find().SetLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("find stale jobs: %w", err)
	}
	var recs []jobRecord
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("read stale jobs: %w", err)
	}
	out := make([]quizflow.Job, len(recs))
	for i, r := range recs {
		out[i] = r.domain()
	}
	return out, nil
}

// TouchJob records that job id was looked at now, so reconciliation does
// not act on it again at once.
func (s *Store) TouchJob(ctx context.Context, id string) error {
	_, err := s.updateUnfinishedJob(ctx, id, bson.M{"$set": bson.M{"updated_at": s.now()}})
	if err != nil {
		return fmt.Errorf("touch job: %w", err)
	}
	return nil
}
