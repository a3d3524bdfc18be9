// Package jobcache keeps the current state of jobs in Redis so that status
// polls (GET /v1/jobs/{id}) and event streams read Redis, not the store,
// while the store stays the record.
//
// # Generations
//
// Every job has a generation counter, key qf:jobgen:{id}, that each job
// write increments after the store write returns. A cached value,
// qf:job:{id}, records the generation it was read at, and counts only
// while the counter still holds that generation. A reader that misses
// notes the generation g0, reads the store, and stores its value only if
// the counter is still g0 (one Lua script): a write that landed in between
// has moved the counter on, so a reader can never leave a value older than
// a write behind. Both keys absent count as generation "".
//
// The braces are literal: they are Redis Cluster hash tags, so a job's two
// keys share a slot and one MGET or script can read both.
//
// # Deleting a document's jobs
//
// DeleteJobsOfDocument names a document, not jobs. So every cached value
// of a job with a document is first recorded in the document's set,
// qf:docjobs:{doc}, and the deletion bumps the generation of every job in
// it. A read racing the deletion could record its job after the deletion
// listed the set; the deletion therefore first sets a tombstone,
// qf:docdel:{doc}, and a read that finds it (atomically with recording
// its job) caches nothing.
//
// # Staleness bounds
//
// Cached values expire after ValueTTL. That bounds how long a value can be
// stale when an increment is lost: a writer that dies (or loses Redis)
// between the store write and the increment, writes made past this
// decorator (a backup restore), or a read stalled for longer than the
// tombstone lives between its store read and recording its job.
//
// Redis failing never fails a read: the read goes to the store.
package jobcache

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
)

// Key prefixes and lifetimes of the cache.
const (
	// GenPrefix starts a job's generation counter's key.
	GenPrefix = "qf:jobgen:"
	// ValuePrefix starts a job's cached value's key.
	ValuePrefix = "qf:job:"
	// GenTTL is how long a generation counter outlives its job's last
	// write; a value is cached for ValueTTL < GenTTL, so a counter never
	// expires under a value that depends on it.
	GenTTL = time.Hour
	// ValueTTL bounds the life of a cached value (see the package doc).
	ValueTTL = 60 * time.Second
	// DocJobsPrefix starts the key of a document's set of cached jobs;
	// DocTombstonePrefix the key marking a document whose jobs are being
	// deleted.
	DocJobsPrefix      = "qf:docjobs:"
	DocTombstonePrefix = "qf:docdel:"
	// bumpTimeout bounds the increment after a write.
	bumpTimeout = 2 * time.Second
)

// recordDocJob adds ARGV[1], a job, to KEYS[1], its document's set (kept
// ARGV[2] ms), unless KEYS[2], the document's tombstone, exists; it returns
// 1 if recorded, 0 if the document is being deleted.
var recordDocJob = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// setIfGen stores ARGV[2] at KEYS[2] for ARGV[3] ms if KEYS[1], the
// generation, still equals ARGV[1] (a missing counter equals "").
var setIfGen = redis.NewScript(`
local g = redis.call('GET', KEYS[1])
if not g then g = '' end
if g ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
`)

// entry is a cached job. Owner and RequestID travel beside the job because
// quizflow.Job hides them from JSON.
type entry struct {
	Gen       string        `json:"gen"`
	Owner     string        `json:"owner"`
	RequestID string        `json:"request_id"`
	Job       *quizflow.Job `json:"job"`
}

// Store is a usecase.Store whose Job reads go through Redis; every other
// method is the wrapped store's, job writes followed by a generation bump.
type Store struct {
	usecase.Store
	rdb redis.UniversalClient
	log zerolog.Logger
}

// Wrap returns store with its job reads cached in rdb. Put it under any
// decorator that signals job changes (usecase.NotifyJobChanges), so a
// change is visible in Redis before a stream is woken to read it.
func Wrap(store usecase.Store, rdb redis.UniversalClient, log zerolog.Logger) *Store {
	return &Store{Store: store, rdb: rdb, log: log}
}

var _ usecase.Store = (*Store)(nil)

func genKey(id string) string      { return GenPrefix + "{" + id + "}" }
func valueKey(id string) string    { return ValuePrefix + "{" + id + "}" }
func docJobsKey(doc string) string { return DocJobsPrefix + "{" + doc + "}" }
func tombstoneKey(doc string) string {
	return DocTombstonePrefix + "{" + doc + "}"
}

// Job returns job id if owner owns it (owner "" skips the check), or
// ENOTFOUND, from Redis when the cached value is current, else from the
// store (then caching it).
func (s *Store) Job(ctx context.Context, id, owner string) (*quizflow.Job, error) {
	vals, err := s.rdb.MGet(ctx, valueKey(id), genKey(id)).Result()
	if err != nil || len(vals) != 2 {
		s.log.Debug().Err(err).Str("job_id", id).Msg("job cache unavailable; reading the store")
		return s.Store.Job(ctx, id, owner)
	}
	gen, _ := vals[1].(string)
	if raw, ok := vals[0].(string); ok {
		var e entry
		if err := json.Unmarshal([]byte(raw), &e); err == nil && e.Job != nil && e.Gen == gen {
			return owned(&e, owner)
		}
	}
	j, err := s.Store.Job(ctx, id, "")
	if err != nil {
		return nil, err
	}
	e := entry{Gen: gen, Owner: j.OwnerID, RequestID: j.RequestID, Job: j}
	if s.recordForDocument(ctx, j) {
		s.fill(ctx, id, &e)
	}
	return owned(&e, owner)
}

// recordForDocument records job j in its document's set, so deleting the
// document's jobs invalidates it, and reports whether j may be cached.
func (s *Store) recordForDocument(ctx context.Context, j *quizflow.Job) bool {
	if j.DocumentID == "" {
		return true
	}
	ok, err := recordDocJob.Run(ctx, s.rdb, []string{docJobsKey(j.DocumentID), tombstoneKey(j.DocumentID)},
		j.ID, GenTTL.Milliseconds()).Int()
	if err != nil {
		s.log.Debug().Err(err).Str("job_id", j.ID).Msg("job cache: record the job's document")
		return false
	}
	return ok == 1
}

// fill caches e for job id if the job's generation is still e.Gen.
func (s *Store) fill(ctx context.Context, id string, e *entry) {
	if b, err := json.Marshal(e); err == nil {
		err = setIfGen.Run(ctx, s.rdb, []string{genKey(id), valueKey(id)}, e.Gen, b, ValueTTL.Milliseconds()).Err()
		if err != nil {
			s.log.Debug().Err(err).Str("job_id", id).Msg("job cache: store the value")
		}
	}
}

// owned returns e's job if owner ("" for anyone) owns it, else ENOTFOUND
// with the store's message.
func owned(e *entry, owner string) (*quizflow.Job, error) {
	if owner != "" && e.Owner != owner {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "job not found")
	}
	j := *e.Job
	j.OwnerID, j.RequestID = e.Owner, e.RequestID
	return &j, nil
}

// bump moves job id's generation on, so no cached value read before the
// write counts. It runs even if ctx has ended (the store write is done),
// and is logged, not returned, when Redis fails: the value then lives at
// most ValueTTL.
func (s *Store) bump(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bumpTimeout)
	defer cancel()
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, genKey(id))
		p.Expire(ctx, genKey(id), GenTTL)
		return nil
	})
	if err != nil {
		s.log.Warn().Err(err).Str("job_id", id).Msg("job cache: invalidation failed; the cached status may lag for up to a minute")
	}
}

// after bumps id's generation after a write that may have changed the
// job. A failed write is bumped too: it may have applied before failing,
// and an extra bump only costs one store read.
func (s *Store) after(ctx context.Context, id string, err error) error {
	s.bump(ctx, id)
	return err
}

// CreateJob implements usecase.JobStore.
func (s *Store) CreateJob(ctx context.Context, j *quizflow.Job) error {
	return s.after(ctx, j.ID, s.Store.CreateJob(ctx, j))
}

// JobProgress implements usecase.JobStore; a finished job (false, nil) was
// not written and keeps its generation.
func (s *Store) JobProgress(ctx context.Context, id, stage string, progress int, message string) (bool, error) {
	ok, err := s.Store.JobProgress(ctx, id, stage, progress, message)
	if !ok && err == nil {
		return ok, nil
	}
	return ok, s.after(ctx, id, err)
}

// JobAttempt implements usecase.JobStore.
func (s *Store) JobAttempt(ctx context.Context, id string) error {
	return s.after(ctx, id, s.Store.JobAttempt(ctx, id))
}

// SucceedJob implements usecase.JobStore.
func (s *Store) SucceedJob(ctx context.Context, id string, result quizflow.JobResult, usage *quizflow.Usage, warnings []string) error {
	return s.after(ctx, id, s.Store.SucceedJob(ctx, id, result, usage, warnings))
}

// FailJob implements usecase.JobStore.
func (s *Store) FailJob(ctx context.Context, id string, jerr quizflow.JobError) error {
	return s.after(ctx, id, s.Store.FailJob(ctx, id, jerr))
}

// DeleteJob implements usecase.JobStore.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	return s.after(ctx, id, s.Store.DeleteJob(ctx, id))
}

// TouchJob implements usecase.JobStore.
func (s *Store) TouchJob(ctx context.Context, id string) error {
	return s.after(ctx, id, s.Store.TouchJob(ctx, id))
}

// DeleteJobsOfDocument implements usecase.JobStore: it sets the
// document's tombstone, deletes, then bumps every job recorded for the
// document (see the package doc). If Redis fails the deleted jobs' cached
// values live out their ValueTTL (logged).
func (s *Store) DeleteJobsOfDocument(ctx context.Context, owner, docID string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bumpTimeout)
	defer cancel()
	if err := s.rdb.Set(rctx, tombstoneKey(docID), "1", ValueTTL).Err(); err != nil {
		s.log.Warn().Err(err).Str("document_id", docID).Msg("job cache: tombstone failed; deleted jobs may show for up to a minute")
	}
	err := s.Store.DeleteJobsOfDocument(ctx, owner, docID)
	ids, rerr := s.rdb.SMembers(rctx, docJobsKey(docID)).Result()
	if rerr != nil {
		s.log.Warn().Err(rerr).Str("document_id", docID).Msg("job cache: deleted jobs may show for up to a minute")
	}
	for _, id := range ids {
		s.bump(ctx, id)
	}
	return err
}
