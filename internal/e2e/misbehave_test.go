package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestModelMisbehaviour scripts the fake OpenAI server to misbehave in each
// known way and checks, through the HTTP API and a worker, whether the job
// ends in a valid quiz or in an explicit failure, as each case should.
func TestModelMisbehaviour(t *testing.T) {
	t.Parallel() // two cases wait through the queue's backoff
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake), func(o *setupOptions) {
		o.env["OPENAI_TIMEOUT"] = "300ms"
		o.env["OPENAI_MAX_RETRIES"] = "2"
		o.env["PLAN_FREE_QUIZZES_PER_MONTH"] = "100" // more cases than the free plan's 10 quizzes
	})
	c := s.user("Misha")
	ctx := context.Background()
	q := fakeopenai.KindQuestions
	first := func(n int, a fakeopenai.Action) fakeopenai.Script {
		return func(call *fakeopenai.Call) fakeopenai.Action {
			if call.Kind == q && call.KindN <= n {
				return a
			}
			return fakeopenai.Action{}
		}
	}
	cases := []struct {
		name   string
		script fakeopenai.Script
		fail   string // "" = a valid quiz
	}{
		{"invalid JSON once", first(1, fakeopenai.Action{Do: fakeopenai.InvalidJSON}), ""},
		{"truncated JSON once", first(1, fakeopenai.Action{Do: fakeopenai.Truncated}), ""},
		{"code fence and chatter", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.Fenced}), ""},
		{"wrong counts", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.WrongCount, N: 1}), ""},
		{"duplicates", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.Duplicates}), ""},
		{"key always at B", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.KeyAtB}), ""},
		{"half the quotes invented", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.BadQuotes, Some: true}), ""},
		{"wrong pages cited", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.WrongPage}), ""},
		{"half the keys wrong", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.WrongKeys, Some: true}), ""},
		{"429 with Retry-After", first(2, fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: "1"}), ""},
		{"500 twice", first(2, fakeopenai.Action{Do: fakeopenai.ServerError}), ""},
		{"slow reply past the timeout once", first(1, fakeopenai.Action{Delay: 2 * time.Second}), ""},
		{"obeys an injected instruction", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.Gullible}), quizflow.EGENERATION},
		{"invalid JSON always", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.InvalidJSON}), quizflow.EGENERATION},
		{"every quote invented", fakeopenai.Always(q, fakeopenai.Action{Do: fakeopenai.BadQuotes}), quizflow.EGENERATION},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.SetScript(tc.script)
			up, err := c.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), map[string]string{
				"question_count": "8", "question_types": "multiple_choice,true_false", "fresh": "true",
			})
			if err != nil {
				t.Fatal(err)
			}
			job := waitJob(t, c, up.Job.ID)
			if tc.fail != "" {
				if job.Status != quizflow.StatusFailed || job.Error == nil || job.Error.Code != tc.fail || job.Error.Message == "" {
					t.Fatalf("job = %s %+v, want failed with %s", job.Status, job.Error, tc.fail)
				}
				return
			}
			if job.Status != quizflow.StatusSucceeded {
				t.Fatalf("job = %s %+v, want a valid quiz", job.Status, job.Error)
			}
			quiz, err := c.Quiz(ctx, job.Result.QuizID)
			if err != nil {
				t.Fatal(err)
			}
			var text struct{ Pages []quizflow.Page }
			if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID+"/text", nil, &text); err != nil {
				t.Fatal(err)
			}
			if len(quiz.Questions) != 8 && len(quiz.Warnings) == 0 {
				t.Errorf("%d questions and no warning", len(quiz.Questions))
			}
			if len(quiz.Questions) < 4 {
				t.Errorf("only %d questions survived (warnings %v)", len(quiz.Questions), quiz.Warnings)
			}
			for i, a := range quiz.Questions {
				if err := qcheck.Validate(a); err != nil || !qcheck.Grounded(a, text.Pages) || !a.Verified {
					t.Errorf("question %s: invalid %v or ungrounded", a.ID, err)
				}
				for _, b := range quiz.Questions[i+1:] {
					if qcheck.IsDuplicate(a, b) {
						t.Errorf("questions %s and %s are duplicates", a.ID, b.ID)
					}
				}
			}
			var mc []quizflow.Question
			for _, a := range quiz.Questions {
				if a.Type == quizflow.MultipleChoice {
					mc = append(mc, a)
				}
			}
			counts := qcheck.PositionCounts(mc)
			for pos, n := range counts {
				if len(mc) >= 4 && n > len(mc)/2 {
					t.Errorf("correct option at position %d in %d of %d questions", pos, n, len(mc))
				}
			}
		})
	}
}

// TestModelOutageRetries: a model that only answers 500 is a transient
// fault: the job is not failed at once but retried by the queue with
// backoff, keeping its attempts count and staying visible as running.
func TestModelOutageRetries(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake), func(o *setupOptions) { o.env["OPENAI_MAX_RETRIES"] = "off" })
	c := s.user("Otis")
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.ServerError}))
	up, err := c.UploadFile(context.Background(), fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	if info := waitTaskState(t, insp, jobs.QueueGenerate, "generate:"+up.Job.ID, asynq.TaskStateRetry); info.Retried < 1 {
		t.Fatalf("generation task waiting for a retry has retried %d times, want at least 1", info.Retried)
	}
	j, err := c.Job(context.Background(), up.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != quizflow.StatusRunning || j.Error != nil {
		t.Errorf("job during an outage = %s %+v, want running without error", j.Status, j.Error)
	}
	// The outage ends: the retried task finishes the job.
	fake.SetScript(nil)
	if err := insp.RunTask(jobs.QueueGenerate, "generate:"+up.Job.ID); err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("after the outage: %s %+v", j.Status, j.Error)
	}
}
