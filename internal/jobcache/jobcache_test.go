package jobcache_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/jobcache"
	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/internal/usecase"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// key is a cache key: prefix, then the id as a Redis Cluster hash tag.
func key(prefix, id string) string { return prefix + "{" + id + "}" }

// counting is the real store with its Job reads counted and, when hold is
// set, held after the store answered until the test lets them go.
type counting struct {
	usecase.Store
	reads atomic.Int64
	hold  func()
}

func (c *counting) Job(ctx context.Context, id, owner string) (*quizflow.Job, error) {
	c.reads.Add(1)
	j, err := c.Store.Job(ctx, id, owner)
	if c.hold != nil {
		c.hold()
	}
	return j, err
}

type bundle struct {
	ctx   context.Context
	store *counting
	rdb   *redis.Client
	cache *jobcache.Store
	job   *quizflow.Job // created through cache, owned by usr_a
}

// setup opens the embedded store and a Redis of the test's own, wraps the
// store and creates one running job through the cache.
func setup(t *testing.T) *bundle {
	t.Helper()
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	s, err := mongostore.Open(ctx, env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	b := &bundle{ctx: ctx, store: &counting{Store: s}, rdb: testenv.RedisClient(t, env)}
	b.cache = jobcache.Wrap(b.store, b.rdb, zerolog.Nop())
	b.job = &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: "usr_a", Kind: quizflow.JobQuiz,
		Status: quizflow.StatusRunning, Stage: quizflow.StageGenerating, Progress: 40,
		DocumentID: quizflow.NewID("doc"), RequestID: quizflow.NewID("req"),
	}
	if err := b.cache.CreateJob(ctx, b.job); err != nil {
		t.Fatalf("create job: %v", err)
	}
	return b
}

// read reads the job through the cache as its owner and returns it and how
// many store reads it cost.
func (b *bundle) read(t *testing.T) (*quizflow.Job, int64) {
	t.Helper()
	before := b.store.reads.Load()
	j, err := b.cache.Job(b.ctx, b.job.ID, "usr_a")
	if err != nil {
		t.Fatalf("job: %v", err)
	}
	return j, b.store.reads.Load() - before
}

func TestHitAfterMiss(t *testing.T) {
	t.Parallel()
	b := setup(t)
	want, err := b.store.Store.Job(b.ctx, b.job.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	first, n := b.read(t)
	if n != 1 {
		t.Errorf("first read: %d store reads, want 1", n)
	}
	for i := range 3 {
		got, n := b.read(t)
		if n != 0 {
			t.Errorf("read %d after the first: %d store reads, want 0", i+2, n)
		}
		// OwnerID and RequestID are not in the job's JSON: they must
		// survive the cache all the same.
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cached job (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first read (-want +got):\n%s", diff)
	}
	if ttl := b.rdb.TTL(b.ctx, key(jobcache.ValuePrefix, b.job.ID)).Val(); ttl <= 0 || ttl > jobcache.ValueTTL {
		t.Errorf("value TTL %v, want (0, %v]", ttl, jobcache.ValueTTL)
	}
	if ttl := b.rdb.TTL(b.ctx, key(jobcache.GenPrefix, b.job.ID)).Val(); ttl <= jobcache.ValueTTL || ttl > jobcache.GenTTL {
		t.Errorf("generation TTL %v, want (%v, %v]", ttl, jobcache.ValueTTL, jobcache.GenTTL)
	}
}

func TestEveryWriteInvalidates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		write func(b *bundle) error
		check func(t *testing.T, j *quizflow.Job)
	}{
		{"JobProgress", func(b *bundle) error {
			_, err := b.cache.JobProgress(b.ctx, b.job.ID, quizflow.StageGenerating, 75, "three quarters")
			return err
		}, func(t *testing.T, j *quizflow.Job) {
			if j.Progress != 75 || j.Message != "three quarters" {
				t.Errorf("progress %d %q, want 75 %q", j.Progress, j.Message, "three quarters")
			}
		}},
		{"JobAttempt", func(b *bundle) error { return b.cache.JobAttempt(b.ctx, b.job.ID) },
			func(t *testing.T, j *quizflow.Job) {
				if j.Attempts != 1 {
					t.Errorf("attempts %d, want 1", j.Attempts)
				}
			}},
		{"SucceedJob", func(b *bundle) error {
			return b.cache.SucceedJob(b.ctx, b.job.ID, quizflow.JobResult{QuizID: "quiz_1"}, nil, nil)
		}, func(t *testing.T, j *quizflow.Job) {
			if j.Status != quizflow.StatusSucceeded || j.Result.QuizID != "quiz_1" {
				t.Errorf("status %s result %+v, want succeeded with quiz_1", j.Status, j.Result)
			}
		}},
		{"FailJob", func(b *bundle) error {
			return b.cache.FailJob(b.ctx, b.job.ID, quizflow.JobError{Code: quizflow.EGENERATION, Message: "no"})
		}, func(t *testing.T, j *quizflow.Job) {
			if j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Code != quizflow.EGENERATION {
				t.Errorf("status %s error %+v, want failed with %s", j.Status, j.Error, quizflow.EGENERATION)
			}
		}},
		{"TouchJob", func(b *bundle) error { return b.cache.TouchJob(b.ctx, b.job.ID) },
			func(t *testing.T, j *quizflow.Job) {
				// Touch only stamps updated_at (at the store's millisecond
				// precision, possibly unchanged): the store read counted
				// above is what shows the invalidation.
				if j.Status != quizflow.StatusRunning || j.UpdatedAt.Before(j.CreatedAt) {
					t.Errorf("status %s updated_at %v created_at %v", j.Status, j.UpdatedAt, j.CreatedAt)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.read(t)
			if _, n := b.read(t); n != 0 {
				t.Fatalf("warm read: %d store reads, want 0", n)
			}
			if err := tc.write(b); err != nil {
				t.Fatalf("write: %v", err)
			}
			j, n := b.read(t)
			if n != 1 {
				t.Errorf("read after the write: %d store reads, want 1", n)
			}
			tc.check(t, j)
			if _, n := b.read(t); n != 0 {
				t.Errorf("read after that: %d store reads, want 0", n)
			}
		})
	}
	t.Run("DeleteJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.read(t)
		if err := b.cache.DeleteJob(b.ctx, b.job.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.cache.Job(b.ctx, b.job.ID, "usr_a"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			t.Errorf("deleted job: err %v, want %s", err, quizflow.ENOTFOUND)
		}
	})
	t.Run("CreateJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// A value cached at generation "" (no counter yet) must not
		// survive the creation of a job of that id.
		id := quizflow.NewID("job")
		stale := `{"gen":"","owner":"usr_a","job":{"id":"` + id + `","status":"failed"}}`
		if err := b.rdb.Set(b.ctx, key(jobcache.ValuePrefix, id), stale, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		j := &quizflow.Job{ID: id, OwnerID: "usr_a", Kind: quizflow.JobQuiz, Status: quizflow.StatusQueued}
		if err := b.cache.CreateJob(b.ctx, j); err != nil {
			t.Fatal(err)
		}
		got, err := b.cache.Job(b.ctx, id, "usr_a")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != quizflow.StatusQueued {
			t.Errorf("status %s, want %s (the value cached before the creation was served)", got.Status, quizflow.StatusQueued)
		}
	})
	t.Run("JobProgress of a finished job writes nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.cache.SucceedJob(b.ctx, b.job.ID, quizflow.JobResult{}, nil, nil); err != nil {
			t.Fatal(err)
		}
		b.read(t)
		gen := b.rdb.Get(b.ctx, key(jobcache.GenPrefix, b.job.ID)).Val()
		if ok, err := b.cache.JobProgress(b.ctx, b.job.ID, quizflow.StageGenerating, 10, ""); ok || err != nil {
			t.Fatalf("progress of a finished job = %v, %v; want false, nil", ok, err)
		}
		if after := b.rdb.Get(b.ctx, key(jobcache.GenPrefix, b.job.ID)).Val(); after != gen {
			t.Errorf("generation %s -> %s, want unchanged", gen, after)
		}
		if _, n := b.read(t); n != 0 {
			t.Errorf("%d store reads, want 0", n)
		}
	})
}

// TestReadRacingWrite forces the race a cache must survive: a read gets
// the old job from the store, a write lands, and only then does the read
// try to cache what it got. The old value must not be served afterwards.
func TestReadRacingWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	entered, proceed := make(chan struct{}), make(chan struct{})
	var once atomic.Bool
	b.store.hold = func() {
		if once.CompareAndSwap(false, true) {
			close(entered)
			<-proceed
		}
	}
	type result struct {
		j   *quizflow.Job
		err error
	}
	done := make(chan result, 1)
	go func() {
		j, err := b.cache.Job(b.ctx, b.job.ID, "usr_a")
		done <- result{j, err}
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the read never reached the store")
	}
	if _, err := b.cache.JobProgress(b.ctx, b.job.ID, quizflow.StageGenerating, 90, "almost"); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the held read never returned")
	}
	if r.err != nil || r.j.Progress != 40 {
		t.Fatalf("held read = %+v, %v; want the job as it was (progress 40)", r.j, r.err)
	}
	j, n := b.read(t)
	if j.Progress != 90 {
		t.Errorf("read after the write: progress %d, want 90 (the racing read's old value was cached)", j.Progress)
	}
	if n != 1 {
		t.Errorf("read after the write: %d store reads, want 1", n)
	}
}

func TestOwnerMismatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, state := range []string{"cold", "warm"} {
		if _, err := b.cache.Job(b.ctx, b.job.ID, "usr_b"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			t.Errorf("%s cache, another user: err %v, want %s", state, err, quizflow.ENOTFOUND)
		}
		if j, err := b.cache.Job(b.ctx, b.job.ID, ""); err != nil || j.OwnerID != "usr_a" {
			t.Errorf("%s cache, no owner check: %+v, %v", state, j, err)
		}
	}
	if _, n := b.read(t); n != 0 {
		t.Errorf("owner's read: %d store reads, want 0 (the other user's miss cached the job)", n)
	}
	// The mismatch answers like the store does.
	_, want := b.store.Store.Job(b.ctx, b.job.ID, "usr_b")
	_, got := b.cache.Job(b.ctx, b.job.ID, "usr_b")
	if want == nil || got == nil || want.Error() != got.Error() {
		t.Errorf("mismatch error %v, store's %v", got, want)
	}
}

func TestRedisDownFallsBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.read(t)
	if err := b.rdb.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		j, n := b.read(t)
		if n != 1 || j.ID != b.job.ID {
			t.Errorf("read %d with Redis closed: job %s after %d store reads, want %s after 1", i, j.ID, n, b.job.ID)
		}
	}
	if _, err := b.cache.JobProgress(b.ctx, b.job.ID, quizflow.StageGenerating, 60, ""); err != nil {
		t.Errorf("write with Redis closed: %v", err)
	}
	if j, _ := b.read(t); j.Progress != 60 {
		t.Errorf("progress %d, want 60", j.Progress)
	}
	if _, err := b.cache.Job(b.ctx, b.job.ID, "usr_b"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		t.Errorf("another user with Redis closed: err %v, want %s", err, quizflow.ENOTFOUND)
	}
}

func TestDeleteJobsOfDocument(t *testing.T) {
	t.Parallel()
	t.Run("cached jobs go", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.read(t)
		if _, n := b.read(t); n != 0 {
			t.Fatalf("warm read: %d store reads, want 0", n)
		}
		if err := b.cache.DeleteJobsOfDocument(b.ctx, "usr_a", b.job.DocumentID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.cache.Job(b.ctx, b.job.ID, "usr_a"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			t.Errorf("job of the deleted document: err %v, want %s", err, quizflow.ENOTFOUND)
		}
	})
	t.Run("a read racing the deletion caches nothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		entered, proceed := make(chan struct{}), make(chan struct{})
		var once atomic.Bool
		b.store.hold = func() {
			if once.CompareAndSwap(false, true) {
				close(entered)
				<-proceed
			}
		}
		done := make(chan error, 1)
		go func() {
			_, err := b.cache.Job(b.ctx, b.job.ID, "usr_a")
			done <- err
		}()
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("the read never reached the store")
		}
		if err := b.cache.DeleteJobsOfDocument(b.ctx, "usr_a", b.job.DocumentID); err != nil {
			t.Fatal(err)
		}
		close(proceed)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("held read: %v (it read the store before the deletion)", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the held read never returned")
		}
		if _, err := b.cache.Job(b.ctx, b.job.ID, "usr_a"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			t.Errorf("job of the deleted document after the racing read: err %v, want %s", err, quizflow.ENOTFOUND)
		}
	})
}
