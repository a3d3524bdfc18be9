package mongostore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

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
	id, now := callID(jobID, key), s.now()
	// The index entry first: it is what JobUsage sums, so a call whose
	// record exists is always counted.
	if err := s.indexCall(ctx, jobID, callIndexRecord{Call: id, Model: u.Model, Calls: u.Calls,
		PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, CostUSD: u.CostUSD, At: now}); err != nil {
		return err
	}
	_, err := s.db.Collection(colCalls).InsertOne(ctx, callRecord{
		ID: id, JobID: jobID, Model: u.Model, Calls: u.Calls, PromptTokens: u.PromptTokens,
		CompletionTokens: u.CompletionTokens, CostUSD: u.CostUSD, At: now,
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record call of job %s: %w", jobID, err)
	}
	return nil
}

// callIndexID is the _id of entry n of job jobID's call index.
func callIndexID(jobID string, n int) string { return jobID + "#" + strconv.Itoa(n) }

// maxCallIndex bounds a job's call index (a job makes one call per chunk
// and attempt, far fewer).
const maxCallIndex = 10000

// indexCall appends e to job jobID's call index: it takes the first free
// entry by inserting it, so concurrent callers never write one document.
func (s *Store) indexCall(ctx context.Context, jobID string, e callIndexRecord) error {
	col := s.db.Collection(colCallIndex)
	for n := range maxCallIndex {
		e.ID = callIndexID(jobID, n)
		_, err := col.InsertOne(ctx, e)
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fmt.Errorf("index call of job %s: %w", jobID, err)
		}
	}
	return fmt.Errorf("index call of job %s: more than %d calls", jobID, maxCallIndex)
}

// JobUsage returns the usage of job jobID: the sum of its recorded calls
// (see RecordCall), or, when it has none, the usage stored on the job (a
// reused quiz's zero; zero if none). It returns ENOTFOUND if the job has
// neither calls nor a record. Every read is by _id: the job's call index
// entries one at a time until the first missing one.
func (s *Store) JobUsage(ctx context.Context, jobID string) (quizflow.Usage, error) {
	col := s.db.Collection(colCallIndex)
	calls := map[string]callIndexRecord{}
	for n := range maxCallIndex {
		var e callIndexRecord
		err := col.FindOne(ctx, bson.M{"_id": callIndexID(jobID, n)}).Decode(&e)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		}
		if err != nil {
			return quizflow.Usage{}, fmt.Errorf("read calls of job %s: %w", jobID, err)
		}
		if _, seen := calls[e.Call]; !seen {
			calls[e.Call] = e
		}
	}
	if len(calls) == 0 {
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
	for _, id := range slices.Sorted(maps.Keys(calls)) { // a fixed order: the same float sum on every read
		c := calls[id]
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
	// The index entries first: an entry left without its call still
	// counts, a call left without its entry would not.
	if _, err := s.db.Collection(colCallIndex).DeleteMany(ctx, bson.M{"at": bson.M{"$lt": before}}); err != nil {
		return 0, fmt.Errorf("delete old call index entries: %w", err)
	}
	res, err := s.db.Collection(colCalls).DeleteMany(ctx, bson.M{"at": bson.M{"$lt": before}})
	if err != nil {
		return 0, fmt.Errorf("delete old call records: %w", err)
	}
	return res.DeletedCount, nil
}
