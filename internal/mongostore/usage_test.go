package mongostore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestRecordCall: each key counts once however often it is recorded,
// calls recorded at once (beside progress updates of the job) are all
// kept, and JobUsage sums a job's calls and no other job's.
func TestRecordCall(t *testing.T) {
	ctx, s := setup(t)
	newJob := func() string {
		j := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: "u1", Kind: "quiz"}
		if err := s.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	job, other := newJob(), newJob()
	if u, err := s.JobUsage(ctx, job); err != nil || u != (quizflow.Usage{}) {
		t.Fatalf("usage of a new job = %+v, %v; want zero", u, err)
	}
	call := func(p, c int) quizflow.Usage {
		return quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: p, CompletionTokens: c, CostUSD: float64(p) / 1e6}
	}
	for _, r := range []struct {
		job, key string
		u        quizflow.Usage
	}{
		{job, "run1-1", call(100, 10)},
		{job, "run1-2", call(200, 20)},
		{job, "run1-2", call(200, 20)}, // the same write again
		{job, "run1-2", call(999, 99)}, // a key is recorded once, whatever comes later
		{job, "run2-1", call(300, 30)}, // another attempt's first call
		{other, "run1-1", call(5000, 500)},
	} {
		if err := s.RecordCall(ctx, r.job, r.key, r.u); err != nil {
			t.Fatalf("RecordCall %s: %v", r.key, err)
		}
	}
	// Calls completing at once, while the job's progress is updated: none
	// is lost.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := s.RecordCall(ctx, job, fmt.Sprintf("run3-%d", i+1), call(10, 1)); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := s.JobProgress(ctx, job, quizflow.StageGenerating, i, "writing"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want := quizflow.Usage{Model: "gpt-4o-mini", Calls: 23, PromptTokens: 800, CompletionTokens: 80, CostUSD: 800 / 1e6}
	approx := cmp.Comparer(func(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 })
	got, err := s.JobUsage(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, approx); d != "" {
		t.Errorf("JobUsage (-want +got):\n%s", d)
	}
	// What the job record shows is what was stored on it.
	if err := s.SetJobUsage(ctx, job, got); err != nil {
		t.Fatal(err)
	}
	if j, err := s.Job(ctx, job, "u1"); err != nil || j.Usage == nil || *j.Usage != got {
		t.Errorf("job usage after SetJobUsage = %+v, %v; want %+v", j.Usage, err, got)
	}

	// A job with no calls has what it finished with (a reused quiz).
	k := newJob()
	cached := quizflow.Usage{Model: "gpt-4o-mini", Cached: true}
	if err := s.SucceedJob(ctx, k, quizflow.JobResult{QuizID: "quiz_y"}, &cached, nil); err != nil {
		t.Fatal(err)
	}
	if u, err := s.JobUsage(ctx, k); err != nil || u != cached {
		t.Errorf("usage of a reused quiz's job = %+v, %v; want %+v", u, err, cached)
	}
	if _, err := s.JobUsage(ctx, "job_gone"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		t.Errorf("JobUsage of a missing job = %v, want %s", err, quizflow.ENOTFOUND)
	}
	for _, tc := range [][2]string{{job, ""}, {"", "k"}, {"a/b", "k"}} {
		if err := s.RecordCall(ctx, tc[0], tc[1], call(1, 1)); quizflow.ErrorCode(err) != quizflow.EINVALID {
			t.Errorf("RecordCall(%q, %q) = %v, want %s", tc[0], tc[1], err, quizflow.EINVALID)
		}
	}
}
