package mongostore_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestRecordCall: each key counts once however often it is recorded, the
// job's usage (as Job and JobUsage read it) is the sum of its calls, and
// the usage stored when the job ends does not replace them.
func TestRecordCall(t *testing.T) {
	ctx, s := setup(t)
	j := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: "u1", Kind: "quiz"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if u, err := s.JobUsage(ctx, j.ID); err != nil || u != (quizflow.Usage{}) {
		t.Fatalf("usage of a new job = %+v, %v; want zero", u, err)
	}
	call := func(p, c int) quizflow.Usage {
		return quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: p, CompletionTokens: c, CostUSD: float64(p) / 1e6}
	}
	for _, r := range []struct {
		key string
		u   quizflow.Usage
	}{
		{"run1-1", call(100, 10)},
		{"run1-2", call(200, 20)},
		{"run1-2", call(200, 20)}, // the same write again
		{"run1-2", call(999, 99)}, // a key is recorded once, whatever comes later
		{"run2-1", call(300, 30)}, // another attempt's first call
	} {
		if err := s.RecordCall(ctx, j.ID, r.key, r.u); err != nil {
			t.Fatalf("RecordCall %s: %v", r.key, err)
		}
	}
	want := quizflow.Usage{Model: "gpt-4o-mini", Calls: 3, PromptTokens: 600, CompletionTokens: 60, CostUSD: 600 / 1e6}
	approx := cmp.Comparer(func(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 })
	check := func(when string) {
		t.Helper()
		got, err := s.JobUsage(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, approx); d != "" {
			t.Errorf("JobUsage %s (-want +got):\n%s", when, d)
		}
		jj, err := s.Job(ctx, j.ID, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(&want, jj.Usage, approx); d != "" {
			t.Errorf("Job().Usage %s (-want +got):\n%s", when, d)
		}
	}
	check("while running")
	// Finishing with a smaller in-memory sum (the last attempt's alone)
	// does not hide the earlier attempt's calls.
	if err := s.SucceedJob(ctx, j.ID, quizflow.JobResult{QuizID: "quiz_x"}, &quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 300, CompletionTokens: 30}, nil); err != nil {
		t.Fatal(err)
	}
	check("after it succeeded")

	// A job with no calls shows what it finished with (a reused quiz).
	k := &quizflow.Job{ID: quizflow.NewID("job"), OwnerID: "u1", Kind: "quiz"}
	if err := s.CreateJob(ctx, k); err != nil {
		t.Fatal(err)
	}
	cached := quizflow.Usage{Model: "gpt-4o-mini", Cached: true}
	if err := s.SucceedJob(ctx, k.ID, quizflow.JobResult{QuizID: "quiz_y"}, &cached, nil); err != nil {
		t.Fatal(err)
	}
	if u, err := s.JobUsage(ctx, k.ID); err != nil || u != cached {
		t.Errorf("usage of a reused quiz's job = %+v, %v; want %+v", u, err, cached)
	}

	// A gone job records nothing and is not an error; bad keys are refused.
	if err := s.RecordCall(ctx, "job_gone", "run1-1", call(1, 1)); err != nil {
		t.Errorf("RecordCall on a deleted job: %v", err)
	}
	if _, err := s.JobUsage(ctx, "job_gone"); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		t.Errorf("JobUsage of a missing job = %v, want %s", err, quizflow.ENOTFOUND)
	}
	for _, key := range []string{"", "a.b", "$x"} {
		if err := s.RecordCall(ctx, j.ID, key, call(1, 1)); quizflow.ErrorCode(err) != quizflow.EINVALID {
			t.Errorf("RecordCall key %q = %v, want %s", key, err, quizflow.EINVALID)
		}
	}
}
