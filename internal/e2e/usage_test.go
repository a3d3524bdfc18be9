package e2e_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/worker"
	"github.com/quizflow/quizflow/jobs"
)

// TestUsageCountsCrashedAttempt (issue 9, finding 10): a worker dies in
// the middle of a generation, after the model answered one call (a
// malformed reply, paid for) and while its re-ask and the other chunks'
// calls are in flight; a second worker finishes the job. The job's and
// the quiz's usage, and the LLM metrics, count exactly the calls the
// model server answered: the dead attempt's paid call included, the cut
// off ones not, none twice.
func TestUsageCountsCrashedAttempt(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	reasked := make(chan struct{})
	var once sync.Once
	hold := make(chan struct{}) // never closed: held calls end when their client dies
	defer close(hold)
	first := true
	var mu sync.Mutex
	fake.SetScript(func(c *fakeopenai.Call) fakeopenai.Action {
		if c.Kind != fakeopenai.KindQuestions {
			return fakeopenai.Action{Hold: hold}
		}
		if isReask(c) {
			// Sent only after the malformed reply was taken in (and, with
			// usage recorded per call, recorded).
			once.Do(func() { close(reasked) })
			return fakeopenai.Action{Hold: hold}
		}
		mu.Lock()
		defer mu.Unlock()
		if first {
			first = false
			return fakeopenai.Action{Do: fakeopenai.InvalidJSON}
		}
		return fakeopenai.Action{Hold: hold}
	})
	s := setup(t, withModel(fake), withMetricsToken(testMetricsToken), func(o *setupOptions) {
		o.workers = 0
		o.env["OPENAI_MAX_RETRIES"] = "off"
	})
	c := s.user("Penny")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), map[string]string{"question_count": "6"})
	if err != nil {
		t.Fatal(err)
	}

	crash := s.crashableWorker()
	select {
	case <-reasked:
	case <-time.After(time.Minute):
		t.Fatalf("the model was never asked again after its malformed reply (%d calls)", fake.Count(""))
	}
	crash()
	paidByTheDead := len(fake.Answered(""))
	if paidByTheDead != 1 {
		t.Fatalf("%d calls answered before the crash, want the malformed one alone", paidByTheDead)
	}

	// The dead worker's task comes back for a retry; a second worker runs
	// it against a model that now behaves.
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	waitTaskState(t, insp, jobs.QueueGenerate, "generate:"+up.Job.ID, asynq.TaskStateRetry)
	fake.SetScript(nil)
	s.startWorker()
	if err := insp.RunTask(jobs.QueueGenerate, "generate:"+up.Job.ID); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, up.Job.ID)
	if j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job after the crash: %s %+v", j.Status, j.Error)
	}
	q, err := c.Quiz(ctx, j.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}

	billed := quizflow.Usage{Model: "gpt-4o-mini"}
	for _, a := range fake.Answered("") {
		billed.Add(quizflow.Usage{Calls: 1, PromptTokens: a.PromptTokens, CompletionTokens: a.CompletionTokens})
	}
	for name, u := range map[string]*quizflow.Usage{"job": j.Usage, "quiz": &q.Usage} {
		if u == nil || u.Model != billed.Model || u.Calls != billed.Calls || u.PromptTokens != billed.PromptTokens ||
			u.CompletionTokens != billed.CompletionTokens || u.CostUSD <= 0 {
			t.Errorf("%s usage = %+v; the model server answered %d calls (%d+%d tokens), %d of them to the worker that died",
				name, u, billed.Calls, billed.PromptTokens, billed.CompletionTokens, paidByTheDead)
		}
	}
	mfs := scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
	if v, _ := metricValue(mfs, "quizflow_llm_calls_total", map[string]string{"model": "gpt-4o-mini"}); int(v) != billed.Calls {
		t.Errorf("quizflow_llm_calls_total = %v, want the %d answered calls", v, billed.Calls)
	}
	if v, _ := metricValue(mfs, "quizflow_llm_tokens_total", map[string]string{"model": "gpt-4o-mini", "kind": "prompt"}); int(v) != billed.PromptTokens {
		t.Errorf("quizflow_llm_tokens_total{kind=prompt} = %v, want %d", v, billed.PromptTokens)
	}
}

// isReask reports whether c re-asks after an unusable reply (the
// conversation carries the model's earlier answer).
func isReask(c *fakeopenai.Call) bool {
	for _, m := range c.Request.Messages {
		if m.Role == "assistant" {
			return true
		}
	}
	return false
}

// crashableWorker starts a worker on the stack's app and returns crash,
// which stops it as a killed process stops: every running task loses its
// context at once (its model calls in flight are cut off unanswered and
// nothing more is sent), and the task goes back to the queue for a retry.
// crash returns once the worker is gone.
func (s *stack) crashableWorker() (crash func()) {
	s.t.Helper()
	d := workerDeps(s.t, s.app)
	mux := worker.NewMux(d)
	dead, die := context.WithCancel(context.Background())
	srv := asynq.NewServerFromRedisClient(s.app.Redis, worker.ServerConfig(4, s.app.Log))
	err := srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(dead, cancel)()
		return mux.ProcessTask(ctx, t)
	}))
	if err != nil {
		s.t.Fatal(err)
	}
	var stopped sync.Once
	stop := func() { stopped.Do(func() { die(); srv.Shutdown() }) }
	s.t.Cleanup(stop)
	return stop
}

// workerDeps returns the app's worker dependencies.
func workerDeps(t testing.TB, a *app.App) worker.Deps {
	t.Helper()
	d, err := a.WorkerDeps()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
