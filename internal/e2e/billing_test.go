package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

const (
	testWebhookSecret = "whsec_test_0123456789abcdef"
	testProPrice      = "price_test_pro"
)

// stripeCall is one request QuizFlow made to the Stripe API.
type stripeCall struct {
	Method, Path, IdempotencyKey string
	Form                         url.Values
}

// stripeRecorder forwards to stripe-mock and keeps every request, since
// stripe-mock itself remembers nothing.
type stripeRecorder struct {
	mu    sync.Mutex
	calls []stripeCall
}

func (r *stripeRecorder) posts(path string) []stripeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stripeCall
	for _, c := range r.calls {
		if c.Method == http.MethodPost && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// withStripe turns billing on against stripe-mock (testenv) behind a
// recording proxy.
func withStripe(t testing.TB, rec *stripeRecorder) func(*setupOptions) {
	sm := testenv.StripeMockServer(t)
	target, _ := url.Parse(sm.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		form, _ := url.ParseQuery(string(body))
		rec.mu.Lock()
		rec.calls = append(rec.calls, stripeCall{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key"), Form: form})
		rec.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return func(o *setupOptions) {
		o.env["STRIPE_SECRET_KEY"] = "sk_test_123"
		o.env["STRIPE_WEBHOOK_SECRET"] = testWebhookSecret
		o.env["STRIPE_PRO_PRICE_ID"] = testProPrice
		o.env["STRIPE_API_URL"] = srv.URL
	}
}

func withEnv(kv ...string) func(*setupOptions) {
	return func(o *setupOptions) {
		for i := 0; i+1 < len(kv); i += 2 {
			o.env[kv[i]] = kv[i+1]
		}
	}
}

// stripeEvent is a Stripe event as a webhook delivers it.
type stripeEvent struct {
	ID, Type string
	Created  time.Time
	Object   map[string]any
}

func (e stripeEvent) payload() []byte {
	b, _ := json.Marshal(map[string]any{
		"id": e.ID, "object": "event", "api_version": stripe.APIVersion, "created": e.Created.Unix(),
		"type": e.Type, "livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": e.Object},
	})
	return b
}

// deliver posts payload to the webhook route signed (at signedAt, with
// secret) by the library's test signer, and returns the status and body.
func (s *stack) deliverSigned(t testing.TB, payload []byte, secret string, signedAt time.Time) (int, string) {
	t.Helper()
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: signedAt})
	status, body, _ := raw(t, http.MethodPost, s.url+"/v1/billing/webhook", "", bytes.NewReader(sp.Payload),
		map[string]string{"Stripe-Signature": sp.Header, "Content-Type": "application/json"})
	return status, body
}

// send delivers e properly signed, expects 200 and waits until the worker
// has applied it; it returns the outcome.
func (s *stack) send(t testing.TB, e stripeEvent) string {
	t.Helper()
	if status, body := s.deliverSigned(t, e.payload(), testWebhookSecret, time.Now()); status != http.StatusOK {
		t.Fatalf("webhook %s %s: %d %s", e.Type, e.ID, status, body)
	}
	return s.waitEvent(t, e.ID)
}

// waitEvent waits until the worker has applied stored event id (its
// outcome is recorded; no signal is sent for it).
func (s *stack) waitEvent(t testing.TB, id string) string {
	t.Helper()
	var outcome string
	eventually(t, 30*time.Second, func() (bool, string) {
		ev, err := s.app.Store.BillingEvent(context.Background(), id)
		if err != nil {
			return false, fmt.Sprintf("event %s: %v", id, err)
		}
		outcome = ev.Outcome
		return outcome != "", "event " + id + " not applied yet"
	})
	return outcome
}

func whoami(t testing.TB, c *client.Client) *quizflow.User {
	t.Helper()
	var u quizflow.User
	if err := c.Do(context.Background(), http.MethodGet, "/v1/me", nil, &u); err != nil {
		t.Fatal(err)
	}
	return &u
}

func billing(t testing.TB, c *client.Client) *quizflow.BillingStatus {
	t.Helper()
	var b quizflow.BillingStatus
	if err := c.Do(context.Background(), http.MethodGet, "/v1/billing", nil, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func used(b *quizflow.BillingStatus, kind string) (int, int) {
	for _, u := range b.Usage {
		if u.Kind == kind {
			return u.Used, u.Limit
		}
	}
	return -1, -1
}

// upload uploads lesson.md as a fresh quiz of n questions and returns the
// answer's status, error code, upgrade_url and job.
func upload(t testing.TB, c *client.Client, fields map[string]string) (int, string, *client.Upload) {
	t.Helper()
	if fields == nil {
		fields = map[string]string{"question_count": "3", "fresh": "true"}
	}
	up, err := c.UploadFile(context.Background(), fixture(t, "lesson.md"), fields)
	if err != nil {
		var ae *client.APIError
		if !errorsAs(err, &ae) {
			t.Fatal(err)
		}
		return ae.Status, ae.Code, nil
	}
	return http.StatusAccepted, "", up
}

func subscriptionObject(userID, customer, sub, status string, start, end time.Time, cancelAtEnd bool) map[string]any {
	return map[string]any{
		"id": sub, "object": "subscription", "customer": customer, "status": status,
		"current_period_start": start.Unix(), "current_period_end": end.Unix(),
		"cancel_at_period_end": cancelAtEnd, "metadata": map[string]string{"user_id": userID},
	}
}

// TestBillingUpgradeAndBack is issue 11's "done when": a free account hits
// 402 at its allowance, upgrades through Checkout and a signed
// checkout.session.completed webhook, has Pro limits at once, and is back
// on free limits after customer.subscription.deleted, with nothing it made
// lost. Checkout and portal sessions go to stripe-mock with the right
// parameters (the customer made once, with an idempotency key).
func TestBillingUpgradeAndBack(t *testing.T) {
	rec := &stripeRecorder{}
	s := setup(t, withStripe(t, rec), withEnv("PLAN_FREE_QUIZZES_PER_MONTH", "2", "PLAN_PRO_QUIZZES_PER_MONTH", "4"))
	c := s.user("Upgrader")
	ctx := context.Background()
	u := whoami(t, c)

	var quizJobs []string
	for range 2 {
		status, code, up := upload(t, c, nil)
		if status != http.StatusAccepted {
			t.Fatalf("upload within the allowance: %d %s", status, code)
		}
		quizJobs = append(quizJobs, up.Job.ID)
	}
	for _, id := range quizJobs {
		if j := waitJob(t, c, id); j.Status != quizflow.StatusSucceeded {
			t.Fatalf("job %s: %s %+v", id, j.Status, j.Error)
		}
	}
	// The third is refused before anything is stored, with the upgrade link.
	status, body, _ := rawUpload(t, s, c)
	if status != http.StatusPaymentRequired || !strings.Contains(body, `"code":"quota_exceeded"`) ||
		!strings.Contains(body, `"upgrade_url":"`+s.cfg.PublicURL+`/v1/billing/checkout"`) {
		t.Fatalf("upload over the allowance: %d %s", status, body)
	}
	docs := listIDs(t, c, "/v1/documents", "documents")
	if len(docs) != 2 {
		t.Fatalf("%d documents after a refused upload, want 2", len(docs))
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/documents/"+docs[0]+"/quizzes", map[string]any{"question_count": 2}, nil); client.StatusOf(err) != http.StatusPaymentRequired {
		t.Fatalf("new quiz over the allowance: %v", err)
	}
	if b := billing(t, c); b.Plan.Name != quizflow.PlanFree || !b.Enabled {
		t.Fatalf("billing = %+v", b)
	}

	// Checkout: one customer, made with an idempotency key derived from
	// the user, then reused.
	var out struct{ URL string }
	for range 2 {
		if err := c.Do(ctx, http.MethodPost, "/v1/billing/checkout", nil, &out); err != nil || out.URL == "" {
			t.Fatalf("checkout: %v %+v", err, out)
		}
	}
	customers := rec.posts("/v1/customers")
	if len(customers) != 1 || customers[0].IdempotencyKey != "customer-"+u.ID || customers[0].Form.Get("metadata[user_id]") != u.ID ||
		customers[0].Form.Get("email") != u.Email {
		t.Fatalf("customer calls = %+v", customers)
	}
	sessions := rec.posts("/v1/checkout/sessions")
	if len(sessions) != 2 {
		t.Fatalf("%d checkout sessions, want 2", len(sessions))
	}
	customerID := sessions[0].Form.Get("customer")
	for _, cs := range sessions {
		f := cs.Form
		if f.Get("mode") != "subscription" || f.Get("line_items[0][price]") != testProPrice || f.Get("line_items[0][quantity]") != "1" ||
			f.Get("client_reference_id") != u.ID || f.Get("customer") != customerID || customerID == "" ||
			!strings.HasPrefix(f.Get("success_url"), s.cfg.PublicURL+"/") || !strings.HasPrefix(f.Get("cancel_url"), s.cfg.PublicURL+"/") ||
			f.Get("subscription_data[metadata][user_id]") != u.ID {
			t.Errorf("checkout session parameters = %v", f)
		}
	}

	// The signed webhook of the completed checkout: Pro at once.
	now := time.Now()
	outcome := s.send(t, stripeEvent{ID: "evt_checkout_1", Type: "checkout.session.completed", Created: now, Object: map[string]any{
		"id": "cs_test_1", "object": "checkout.session", "mode": "subscription", "client_reference_id": u.ID,
		"customer": customerID, "subscription": "sub_e2e_1", "status": "complete", "payment_status": "paid",
	}})
	if outcome != "applied" {
		t.Fatalf("checkout event outcome %s", outcome)
	}
	b := billing(t, c)
	if n, limit := used(b, quizflow.QuotaQuizzes); b.Plan.Name != quizflow.PlanPro || b.Status != quizflow.SubActive || n != 0 || limit != 4 {
		t.Fatalf("after checkout: plan %s status %s usage %d/%d", b.Plan.Name, b.Status, n, limit)
	}
	if got := whoami(t, c); got.Plan != quizflow.PlanPro {
		t.Errorf("GET /v1/me plan = %s after upgrading", got.Plan)
	}
	status, code, up := upload(t, c, map[string]string{"question_count": "80", "fresh": "true"}) // over free's 50
	if status != http.StatusAccepted {
		t.Fatalf("Pro upload: %d %s", status, code)
	}
	waitJob(t, c, up.Job.ID)
	var portal struct{ URL string }
	if err := c.Do(ctx, http.MethodPost, "/v1/billing/portal", nil, &portal); err != nil || portal.URL == "" {
		t.Fatalf("portal: %v", err)
	}
	// (The subscription-started mail made a portal session too.)
	ps := rec.posts("/v1/billing_portal/sessions")
	if len(ps) == 0 {
		t.Error("no portal session created")
	}
	for _, p := range ps {
		if p.Form.Get("customer") != customerID || !strings.HasPrefix(p.Form.Get("return_url"), s.cfg.PublicURL+"/") {
			t.Errorf("portal call = %+v", p)
		}
	}

	// Deleted: free limits again, nothing lost.
	if o := s.send(t, stripeEvent{ID: "evt_deleted_1", Type: "customer.subscription.deleted", Created: now.Add(time.Second),
		Object: subscriptionObject(u.ID, customerID, "sub_e2e_1", "canceled", now, now.AddDate(0, 1, 0), false)}); o != "applied" {
		t.Fatalf("deleted outcome %s", o)
	}
	b = billing(t, c)
	if n, limit := used(b, quizflow.QuotaQuizzes); b.Plan.Name != quizflow.PlanFree || b.Status != quizflow.SubCanceled || n != 2 || limit != 2 {
		t.Fatalf("after deletion: plan %s status %s usage %d/%d", b.Plan.Name, b.Status, n, limit)
	}
	if status, code, _ := upload(t, c, nil); status != http.StatusPaymentRequired || code != quizflow.EQUOTA {
		t.Fatalf("free upload after downgrade: %d %s", status, code)
	}
	if status, code, _ := upload(t, c, map[string]string{"question_count": "80"}); status != http.StatusBadRequest {
		t.Fatalf("80 questions after downgrade: %d %s", status, code)
	}
	if d, q := listIDs(t, c, "/v1/documents", "documents"), listIDs(t, c, "/v1/quizzes", "quizzes"); len(d) != 3 || len(q) != 3 {
		t.Errorf("after downgrade: %d documents, %d quizzes; want 3 and 3", len(d), len(q))
	}
}

// rawUpload posts lesson.md and returns the raw answer, for bodies the
// client does not decode (upgrade_url).
func rawUpload(t testing.TB, s *stack, c *client.Client) (int, string, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := newMultipart(&buf, map[string]string{"fresh": "true"}, "lesson.md", readFixture(t, "lesson.md"))
	return raw(t, http.MethodPost, s.url+"/v1/documents", c.Token, &buf, map[string]string{"Content-Type": mw})
}

func listIDs(t testing.TB, c *client.Client, path, key string) []string {
	t.Helper()
	var out map[string]json.RawMessage
	if err := c.Do(context.Background(), http.MethodGet, path, nil, &out); err != nil {
		t.Fatal(err)
	}
	var items []struct{ ID string }
	_ = json.Unmarshal(out[key], &items)
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func errorsAs(err error, target **client.APIError) bool { return errors.As(err, target) }

// newMultipart writes a multipart form of fields and one file into buf
// and returns its content type.
func newMultipart(buf *bytes.Buffer, fields map[string]string, name string, data []byte) string {
	mw := multipart.NewWriter(buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return mw.FormDataContentType()
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
