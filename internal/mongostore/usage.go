package mongostore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// The usage of a job is kept per model call, one record each in colCalls,
// rather than summed in memory and written when the job ends: a call
// answered in an attempt that then crashed was paid for, and is counted.
// Each call is an insert of its own _id, so recording it again (a retried
// write) changes nothing, and concurrent calls never write one document
// (FerretDB updates a document by reading and rewriting it, so concurrent
// updates of one job record could lose entries). The records outlive their
// job: they are what was spent.

// callID is the _id of job jobID's call key; a job's calls are the _id
// range [jobID+"/", jobID+"0").
func callID(jobID, key string) string { return jobID + "/" + key }

// RecordCall records the usage u of one model call of job jobID under key,
// once: recording the same key again changes nothing. It returns EINVALID
// for an empty key.
func (s *Store) RecordCall(ctx context.Context, jobID, key string, u quizflow.Usage) error {
	if key == "" || jobID == "" || strings.Contains(jobID, "/") {
		return quizflow.Invalid("key", "A call needs a job ID without '/' and a key.")
	}
	_, err := s.db.Collection(colCalls).InsertOne(ctx, callRecord{
		ID: callID(jobID, key), JobID: jobID, Model: u.Model, Calls: u.Calls, PromptTokens: u.PromptTokens,
		CompletionTokens: u.CompletionTokens, CostUSD: u.CostUSD, At: s.now(),
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record call of job %s: %w", jobID, err)
	}
	return nil
}

// JobUsage returns the usage of job jobID: the sum of its recorded calls
// (see RecordCall), or, when it has none, the usage stored on the job (a
// reused quiz's zero; zero if none). It returns ENOTFOUND if the job has
// neither calls nor a record.
func (s *Store) JobUsage(ctx context.Context, jobID string) (quizflow.Usage, error) {
	cur, err := s.db.Collection(colCalls).Find(ctx,
		bson.M{"_id": bson.M{"$gte": jobID + "/", "$lt": jobID + "0"}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}})) // a fixed order: the same float sum on every read
	if err != nil {
		return quizflow.Usage{}, fmt.Errorf("find calls of job %s: %w", jobID, err)
	}
	var recs []callRecord
	if err := cur.All(ctx, &recs); err != nil {
		return quizflow.Usage{}, fmt.Errorf("read calls of job %s: %w", jobID, err)
	}
	if len(recs) == 0 {
		var r jobRecord
		if err := s.findOwned(ctx, colJobs, jobID, "", "job", &r); err != nil {
			return quizflow.Usage{}, err
		}
		if u := r.Usage.domain(); u != nil {
			return *u, nil
		}
		return quizflow.Usage{}, nil
	}
	var u quizflow.Usage
	for _, c := range recs {
		u.Add(quizflow.Usage{Model: c.Model, Calls: c.Calls, PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens, CostUSD: c.CostUSD})
	}
	return u, nil
}

// SetJobUsage stores u as job id's usage whatever its status (a failed
// job's calls were paid for too). A missing job is not an error.
func (s *Store) SetJobUsage(ctx context.Context, id string, u quizflow.Usage) error {
	if _, err := s.db.Collection(colJobs).UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"usage": newUsageRecord(&u)}}); err != nil {
		return fmt.Errorf("set job usage: %w", err)
	}
	return nil
}

// DeleteCallsBefore removes call records made before before and returns
// how many. A job's usage is stored on its record when it ends, so old call
// records are only the detail behind that sum.
func (s *Store) DeleteCallsBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.Collection(colCalls).DeleteMany(ctx, bson.M{"at": bson.M{"$lt": before}})
	if err != nil {
		return 0, fmt.Errorf("delete old call records: %w", err)
	}
	return res.DeletedCount, nil
}
