package mongostore

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// The usage of a job is kept per model call, on the job's own record (one
// entry of llm_calls per call key), rather than summed in memory and
// written when the job ends: a call answered in an attempt that then
// crashed was paid for, and is counted. Each entry is written by one
// single-document $set of its key, so recording a call again (a retried
// write) changes nothing, and no other collection needs scanning or
// cleaning up: the entries go with their job.

// RecordCall records the usage u of one model call of job jobID under key,
// once: recording the same key again leaves the job as it was. A job that
// no longer exists (deleted with its document) records nothing and is not
// an error. It returns EINVALID for an empty key or one containing "." or
// starting with "$".
func (s *Store) RecordCall(ctx context.Context, jobID, key string, u quizflow.Usage) error {
	if key == "" || strings.ContainsAny(key, ".") || strings.HasPrefix(key, "$") {
		return quizflow.Invalid("key", "A call key must be non-empty, without '.' and not start with '$'.")
	}
	rec := callRecord{
		Model: u.Model, Calls: u.Calls, PromptTokens: u.PromptTokens,
		CompletionTokens: u.CompletionTokens, CostUSD: u.CostUSD, At: s.now(),
	}
	// Match only while the key is absent, so a repeated write does not
	// even move the time.
	_, err := s.db.Collection(colJobs).UpdateOne(ctx,
		bson.M{"_id": jobID, "llm_calls." + key: bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"llm_calls." + key: rec}})
	if err != nil {
		return fmt.Errorf("record call of job %s: %w", jobID, err)
	}
	return nil
}

// JobUsage returns the usage of job jobID as its record shows it: the sum
// of its recorded calls (see RecordCall), or the usage stored when it
// finished if it has none (zero when it has neither). It returns ENOTFOUND
// if the job does not exist.
func (s *Store) JobUsage(ctx context.Context, jobID string) (quizflow.Usage, error) {
	var r jobRecord
	err := s.db.Collection(colJobs).FindOne(ctx, bson.M{"_id": jobID},
		options.FindOne().SetProjection(bson.M{"usage": 1, "llm_calls": 1})).Decode(&r)
	if err != nil {
		return quizflow.Usage{}, notFound(err, "job")
	}
	if u := r.usage(); u != nil {
		return *u, nil
	}
	return quizflow.Usage{}, nil
}
