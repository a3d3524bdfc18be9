package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestQuotaParallelUploads: 20 uploads at once with 3 quizzes left give
// exactly 3 accepted and 17 refused (402), on the real store and API.
func TestQuotaParallelUploads(t *testing.T) {
	s := setup(t, withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "5"), withMetricsToken(testMetricsToken))
	c := s.user("Racer")
	for range 2 {
		if status, code, up := upload(t, c, nil); status != http.StatusAccepted {
			t.Fatalf("upload: %d %s", status, code)
		} else {
			waitJob(t, c, up.Job.ID)
		}
	}
	var accepted, refused, other atomic.Int32
	var wg sync.WaitGroup
	var jobIDs sync.Map
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, code, up := upload(t, c, nil)
			switch {
			case status == http.StatusAccepted:
				accepted.Add(1)
				jobIDs.Store(up.Job.ID, true)
			case status == http.StatusPaymentRequired && code == quizflow.EQUOTA:
				refused.Add(1)
			default:
				other.Add(1)
				t.Errorf("upload: %d %s", status, code)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 3 || refused.Load() != 17 {
		t.Fatalf("%d accepted, %d refused, %d other; want 3 and 17", accepted.Load(), refused.Load(), other.Load())
	}
	jobIDs.Range(func(k, _ any) bool { waitJob(t, c, k.(string)); return true })
	if d := listIDs(t, c, "/v1/documents", "documents"); len(d) != 5 {
		t.Errorf("%d documents, want 5: a refused upload leaves nothing", len(d))
	}
	if n, limit := used(billing(t, c), quizflow.QuotaQuizzes); n != 5 || limit != 5 {
		t.Errorf("usage %d/%d, want 5/5", n, limit)
	}
	mfs := scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
	if got, _ := metricValue(mfs, "quizflow_quota_refusals_total", map[string]string{"kind": "quizzes", "plan": "free"}); got != 17 {
		t.Errorf("quota refusals metric = %v, want 17", got)
	}
}

// TestQuotaRefundOnOutage: a quiz whose model stays unreachable (HTTP 500
// through the last retry) fails through no fault of the user, and its unit
// is given back; a quiz the user's own file spoils keeps its unit.
func TestQuotaRefundOnOutage(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake), withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "3", "OPENAI_MAX_RETRIES", "off"))
	c := s.user("Outage")
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.ServerError}))
	_, _, up := upload(t, c, nil)
	if n, _ := used(billing(t, c), quizflow.QuotaQuizzes); n != 1 {
		t.Fatalf("usage while the job runs = %d, want 1", n)
	}
	// Retries are forced at once rather than waited for.
	j := runToEnd(t, s, c, "generate", "generate:"+up.Job.ID, up.Job.ID)
	if j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Code != quizflow.EUNAVAILABLE {
		t.Fatalf("job = %s %+v, want failed unavailable", j.Status, j.Error)
	}
	if n, _ := used(billing(t, c), quizflow.QuotaQuizzes); n != 0 {
		t.Errorf("usage after the outage = %d, want 0 (refunded)", n)
	}
	// The user's fault: a file with no text keeps its unit.
	up2, err := c.UploadFile(context.Background(), fixture(t, "bad-image-only.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, up2.Job.ID); j.Status != quizflow.StatusFailed {
		t.Fatalf("image-only job = %s", j.Status)
	}
	if n, _ := used(billing(t, c), quizflow.QuotaQuizzes); n != 1 {
		t.Errorf("usage after the user's unreadable file = %d, want 1", n)
	}
}

// TestQuotaCachedQuizFree: the same document and options again reuse the
// quiz at zero tokens, and cost no unit.
func TestQuotaCachedQuizFree(t *testing.T) {
	s := setup(t, withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "2"))
	c := s.user("Cache")
	for i := range 3 {
		status, code, up := upload(t, c, map[string]string{"question_count": "3"})
		if status != http.StatusAccepted {
			t.Fatalf("upload %d: %d %s", i, status, code)
		}
		j := waitJob(t, c, up.Job.ID)
		if j.Status != quizflow.StatusSucceeded || (i > 0 && (j.Usage == nil || !j.Usage.Cached)) {
			t.Fatalf("upload %d: %s, usage %+v", i, j.Status, j.Usage)
		}
		if n, _ := used(billing(t, c), quizflow.QuotaQuizzes); n != 1 {
			t.Fatalf("after upload %d usage = %d, want 1 (reuses are free)", i, n)
		}
	}
}

// TestQuotaPeriodRollover: the free allowance is per calendar month (UTC):
// spent in one month, whole again in the next (an injected clock).
func TestQuotaPeriodRollover(t *testing.T) {
	s := setup(t, withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "1", "PLAN_FREE_REGENERATIONS_PER_MONTH", "1"))
	c := s.user("Month")
	jan := time.Date(2027, 1, 31, 23, 59, 0, 0, time.UTC)
	s.app.Services.SetClock(func() time.Time { return jan })
	t.Cleanup(func() { s.app.Services.SetClock(nil) })
	_, _, up := upload(t, c, nil)
	j := waitJob(t, c, up.Job.ID)
	if status, code, _ := upload(t, c, nil); status != http.StatusPaymentRequired || code != quizflow.EQUOTA {
		t.Fatalf("second upload in January: %d %s", status, code)
	}
	// Regenerations have their own allowance.
	q, err := c.Quiz(context.Background(), j.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	regen := func() int {
		err := c.Do(context.Background(), http.MethodPost, "/v1/quizzes/"+q.ID+"/questions/"+q.Questions[0].ID+"/regenerate", nil, nil)
		return statusOrOK(err)
	}
	if st := regen(); st != http.StatusAccepted && st != http.StatusOK {
		t.Fatalf("first regeneration: %d", st)
	}
	if st := regen(); st != http.StatusPaymentRequired {
		t.Fatalf("second regeneration in January: %d, want 402", st)
	}
	b := billing(t, c)
	if !b.CurrentPeriodEnd.Equal(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("period ends %v, want 1 February", b.CurrentPeriodEnd)
	}
	feb := time.Date(2027, 2, 1, 0, 0, 1, 0, time.UTC)
	s.app.Services.SetClock(func() time.Time { return feb })
	if status, code, _ := upload(t, c, nil); status != http.StatusAccepted {
		t.Fatalf("upload in February: %d %s", status, code)
	}
	if n, limit := used(billing(t, c), quizflow.QuotaQuizzes); n != 1 || limit != 1 {
		t.Errorf("February usage %d/%d, want 1/1", n, limit)
	}
}

// TestQuotaProOverFreeLimits: a Pro account (granted by hand, as
// `quizflow admin set-plan` does) is held to Pro's limits where a free one
// is refused: quizzes per month, question count and upload size.
func TestQuotaProOverFreeLimits(t *testing.T) {
	s := setup(t, withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "1", "PLAN_FREE_MAX_FILE_SIZE", "1KiB"))
	free, pro := s.user("Freeuser"), s.user("Prouser")
	u := whoami(t, pro)
	if err := s.app.Services.Billing.SetPlan(context.Background(), u, quizflow.PlanPro, nil); err != nil {
		t.Fatal(err)
	}
	big := map[string]string{"question_count": "80", "fresh": "true"}
	if status, code, _ := upload(t, free, big); status != http.StatusBadRequest {
		t.Errorf("free 80 questions: %d %s, want 400", status, code)
	}
	// lesson.md is larger than 1 KiB.
	if status, code, _ := upload(t, free, nil); status != http.StatusRequestEntityTooLarge || code != quizflow.ETOOLARGE {
		t.Errorf("free upload over its size: %d %s, want 413", status, code)
	}
	var jobs []string
	for i := range 3 {
		status, code, up := upload(t, pro, big)
		if status != http.StatusAccepted {
			t.Fatalf("pro upload %d: %d %s", i, status, code)
		}
		jobs = append(jobs, up.Job.ID)
	}
	for _, id := range jobs {
		waitJob(t, pro, id)
	}
	b := billing(t, pro)
	if n, limit := used(b, quizflow.QuotaQuizzes); b.Plan.Name != quizflow.PlanPro || n != 3 || limit != 300 {
		t.Errorf("pro billing: %s %d/%d", b.Plan.Name, n, limit)
	}
	if got := whoami(t, pro); got.Plan != quizflow.PlanPro {
		t.Errorf("GET /v1/me plan = %s", got.Plan)
	}
	if status, _, _ := upload(t, free, map[string]string{"question_count": "3"}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("free: %d", status)
	}
}

// TestBillingDisabled: without Stripe keys the billing routes answer 503
// billing_disabled naming the variables, and quotas still apply.
func TestBillingDisabled(t *testing.T) {
	s := setup(t, withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "1"))
	c := s.user("Selfhost")
	for _, path := range []string{"/v1/billing/checkout", "/v1/billing/portal"} {
		status, body, _ := raw(t, http.MethodPost, s.url+path, c.Token, nil, nil)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"billing_disabled"`) ||
			!strings.Contains(body, "STRIPE_SECRET_KEY") || !strings.Contains(body, "STRIPE_WEBHOOK_SECRET") || !strings.Contains(body, "STRIPE_PRO_PRICE_ID") {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	if status, body, _ := raw(t, http.MethodPost, s.url+"/v1/billing/webhook", "", strings.NewReader(`{}`), nil); status != http.StatusServiceUnavailable {
		t.Errorf("webhook: %d %s", status, body)
	}
	if b := billing(t, c); b.Enabled || b.Plan.Name != quizflow.PlanFree {
		t.Errorf("billing = %+v", b)
	}
	_, _, up := upload(t, c, nil)
	waitJob(t, c, up.Job.ID)
	if status, code, _ := upload(t, c, nil); status != http.StatusPaymentRequired || code != quizflow.EQUOTA {
		t.Errorf("second upload without billing: %d %s", status, code)
	}
}

// statusOrOK returns the HTTP status of an API error, or 200 for none.
func statusOrOK(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return client.StatusOf(err)
}

// runToEnd runs task id of queue until its job ends, forcing each retry
// at once instead of waiting out the backoff.
func runToEnd(t *testing.T, s *stack, c *client.Client, queue, id, jobID string) *quizflow.Job {
	t.Helper()
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		j, err := c.Job(context.Background(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed {
			return j
		}
		if info, err := insp.GetTaskInfo(queue, id); err == nil && info.State == asynq.TaskStateRetry {
			_ = insp.RunTask(queue, id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not end", jobID)
	return nil
}
