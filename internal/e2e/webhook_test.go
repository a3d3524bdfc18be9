package e2e_test

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestBillingLifecycle drives one subscription through signed webhooks,
// the real route and a real worker: created (Pro), renewal (a new period
// with a fresh allowance), payment failed (Pro through the grace period,
// then free), paid again, cancel at period end (Pro until the period
// ends), a replayed event and two events delivered in reverse order.
func TestBillingLifecycle(t *testing.T) {
	rec := &stripeRecorder{}
	s := setup(t, withStripe(t, rec), withEnv("PLAN_PRO_QUIZZES_PER_MONTH", "2", "BILLING_GRACE", "72h"),
		func(o *setupOptions) { o.smtpSink = true })
	c := s.user("Subscriber")
	u := whoami(t, c)
	const cus, sub = "cus_life", "sub_life"
	if err := s.app.Store.SetCustomerUser(context.Background(), cus, u.ID); err != nil {
		t.Fatal(err)
	}
	clock := time.Now().UTC().Truncate(time.Second)
	s.app.Services.SetClock(func() time.Time { return clock })
	t.Cleanup(func() { s.app.Services.SetClock(nil) })
	p1, p2 := clock.Add(-time.Hour), clock.Add(-time.Hour).AddDate(0, 1, 0)
	at := clock.Add(-time.Hour) // event times
	next := func() time.Time { at = at.Add(time.Second); return at }

	// Created: Pro, period 1.
	if o := s.send(t, stripeEvent{ID: "evt_created", Type: "customer.subscription.created", Created: next(),
		Object: subscriptionObject(u.ID, cus, sub, "active", p1, p2, false)}); o != "applied" {
		t.Fatalf("created: %s", o)
	}
	b := billing(t, c)
	if b.Plan.Name != quizflow.PlanPro || !b.CurrentPeriodEnd.Equal(p2) {
		t.Fatalf("after created: %s until %v", b.Plan.Name, b.CurrentPeriodEnd)
	}
	for range 2 {
		_, _, up := upload(t, c, nil)
		waitJob(t, c, up.Job.ID)
	}
	if status, _, _ := upload(t, c, nil); status != http.StatusPaymentRequired {
		t.Fatalf("third Pro upload in period 1: %d", status)
	}

	// A replay of the same event: 200, nothing more happens.
	before := billing(t, c)
	if status, body := s.deliverSigned(t, stripeEvent{ID: "evt_created", Type: "customer.subscription.created", Created: at,
		Object: subscriptionObject(u.ID, cus, sub, "canceled", p1, p2, false)}.payload(), testWebhookSecret, time.Now()); status != http.StatusOK {
		t.Fatalf("replay: %d %s", status, body)
	}
	if ev, _ := s.app.Store.BillingEvent(context.Background(), "evt_created"); ev.Outcome != "applied" || bytes.Contains(ev.Payload, []byte(`"canceled"`)) {
		t.Errorf("replayed event stored as %+v", ev)
	}
	if b := billing(t, c); b.Plan.Name != before.Plan.Name || b.Status != before.Status {
		t.Errorf("replay changed the subscription: %+v", b)
	}

	// Renewal: invoice.paid for period 2; the allowance is whole again.
	p3 := p2.AddDate(0, 1, 0)
	clock = p2.Add(time.Minute)
	at = clock // Stripe's events come when they happen
	if o := s.send(t, stripeEvent{ID: "evt_paid_2", Type: "invoice.paid", Created: next(), Object: map[string]any{
		"id": "in_2", "object": "invoice", "customer": cus, "subscription": sub, "status": "paid",
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_2", "object": "line_item", "type": "subscription",
			"period": map[string]any{"start": p2.Unix(), "end": p3.Unix()}}}},
	}}); o != "applied" {
		t.Fatalf("renewal: %s", o)
	}
	b = billing(t, c)
	if n, _ := used(b, quizflow.QuotaQuizzes); b.Plan.Name != quizflow.PlanPro || !b.CurrentPeriodEnd.Equal(p3) || n != 0 {
		t.Fatalf("after renewal: %s until %v, used %d", b.Plan.Name, b.CurrentPeriodEnd, n)
	}
	if status, code, _ := upload(t, c, nil); status != http.StatusAccepted {
		t.Fatalf("upload after renewal: %d %s", status, code)
	}

	// Payment failed: past_due keeps Pro for the grace period, then free.
	if o := s.send(t, stripeEvent{ID: "evt_failed", Type: "invoice.payment_failed", Created: next(), Object: map[string]any{
		"id": "in_3", "object": "invoice", "customer": cus, "subscription": sub, "status": "open",
	}}); o != "applied" {
		t.Fatalf("payment failed: %s", o)
	}
	b = billing(t, c)
	if b.Plan.Name != quizflow.PlanPro || b.Status != quizflow.SubPastDue || b.GraceEndsAt == nil || !b.GraceEndsAt.Equal(at.Add(72*time.Hour)) {
		t.Fatalf("in grace: %s %s grace %v", b.Plan.Name, b.Status, b.GraceEndsAt)
	}
	clock = at.Add(72*time.Hour + time.Second)
	if b := billing(t, c); b.Plan.Name != quizflow.PlanFree || b.Status != quizflow.SubPastDue {
		t.Fatalf("after grace: %s %s", b.Plan.Name, b.Status)
	}
	// Paid at last: Pro again.
	if o := s.send(t, stripeEvent{ID: "evt_paid_3", Type: "invoice.paid", Created: next(), Object: map[string]any{
		"id": "in_3", "object": "invoice", "customer": cus, "subscription": sub, "status": "paid",
	}}); o != "applied" {
		t.Fatalf("paid: %s", o)
	}
	if b := billing(t, c); b.Plan.Name != quizflow.PlanPro || b.Status != quizflow.SubActive || b.GraceEndsAt != nil {
		t.Fatalf("after paying: %s %s %v", b.Plan.Name, b.Status, b.GraceEndsAt)
	}

	// Two events in reverse order: the newer (cancel at period end) first,
	// then an older one (active, not cancelling), which must not undo it.
	newer, older := next().Add(10*time.Second), next()
	if o := s.send(t, stripeEvent{ID: "evt_cancel", Type: "customer.subscription.updated", Created: newer,
		Object: subscriptionObject(u.ID, cus, sub, "active", p2, p3, true)}); o != "applied" {
		t.Fatalf("cancel: %s", o)
	}
	if o := s.send(t, stripeEvent{ID: "evt_older", Type: "customer.subscription.updated", Created: older,
		Object: subscriptionObject(u.ID, cus, sub, "active", p2, p3, false)}); o != "stale" {
		t.Fatalf("older event: %s, want stale", o)
	}
	b = billing(t, c)
	if b.Plan.Name != quizflow.PlanPro || !b.CancelAtPeriodEnd {
		t.Fatalf("cancel at period end: %s cancel=%v", b.Plan.Name, b.CancelAtPeriodEnd)
	}
	// Pro until the period ends, free after.
	clock = p3.Add(-time.Minute)
	if b := billing(t, c); b.Plan.Name != quizflow.PlanPro {
		t.Errorf("just before the period ends: %s", b.Plan.Name)
	}
	clock = p3.Add(time.Second)
	if b := billing(t, c); b.Plan.Name != quizflow.PlanFree {
		t.Errorf("after the period ends: %s", b.Plan.Name)
	}
	// Deletion, as Stripe sends it when the period ends.
	if o := s.send(t, stripeEvent{ID: "evt_deleted", Type: "customer.subscription.deleted", Created: newer.Add(time.Second),
		Object: subscriptionObject(u.ID, cus, sub, "canceled", p2, p3, false)}); o != "applied" {
		t.Fatalf("deleted: %s", o)
	}
	if b := billing(t, c); b.Plan.Name != quizflow.PlanFree || b.Status != quizflow.SubCanceled {
		t.Errorf("after deletion: %s %s", b.Plan.Name, b.Status)
	}
	if d := listIDs(t, c, "/v1/documents", "documents"); len(d) != 3 {
		t.Errorf("%d documents, want 3: nothing is deleted on downgrade", len(d))
	}
	// Billing mail, once per event: started, payment failed with a portal
	// link, ended.
	for _, want := range []struct{ subject, body string }{
		{"Welcome to QuizFlow Pro", "Pro limits apply"},
		{"Your QuizFlow payment failed", "Update your card"},
		{"Your QuizFlow Pro subscription has ended", "free plan"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		m, err := s.env.SMTP.WaitFor(ctx, func(m embedded.Message) bool {
			return bytes.Contains(m.Data, []byte("Subject: "+want.subject))
		})
		cancel()
		if err != nil {
			t.Errorf("no %q mail: %v", want.subject, err)
			continue
		}
		text, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(m.Data)))
		if len(m.To) != 1 || m.To[0] != u.Email || !bytes.Contains(text, []byte(want.body)) {
			t.Errorf("%q mail to %v: %s", want.subject, m.To, text)
		}
		// The portal session stripe-mock made (its fixture's URL), not
		// the fallback.
		if want.subject == "Your QuizFlow payment failed" && (!bytes.Contains(text, []byte("Update your card: https://")) || !bytes.Contains(text, []byte("/session/"))) {
			t.Errorf("payment failed mail has no portal link: %s", text)
		}
	}
}

// TestBillingWebhookRefused: a forged signature, a stale timestamp and a
// body changed after signing are all 400 and change nothing.
func TestBillingWebhookRefused(t *testing.T) {
	rec := &stripeRecorder{}
	s := setup(t, withStripe(t, rec), withMetricsToken(testMetricsToken))
	c := s.user("Forger")
	u := whoami(t, c)
	ev := stripeEvent{ID: "evt_forged", Type: "checkout.session.completed", Created: time.Now(), Object: map[string]any{
		"id": "cs_forged", "object": "checkout.session", "mode": "subscription", "client_reference_id": u.ID,
		"customer": "cus_forged", "subscription": "sub_forged",
	}}
	payload := ev.payload()
	changed := bytes.Replace(payload, []byte(`"evt_forged"`), []byte(`"evt_forgee"`), 1)
	for _, tc := range []struct {
		name     string
		send     func() (int, string)
		storedID string
	}{
		{"forged signature", func() (int, string) { return s.deliverSigned(t, payload, "whsec_not_the_secret", time.Now()) }, "evt_forged"},
		{"stale timestamp", func() (int, string) {
			return s.deliverSigned(t, payload, testWebhookSecret, time.Now().Add(-301*time.Second))
		}, "evt_forged"},
		{"body changed after signing", func() (int, string) {
			status, body, _ := raw(t, http.MethodPost, s.url+"/v1/billing/webhook", "", bytes.NewReader(changed),
				map[string]string{"Stripe-Signature": signedHeader(payload), "Content-Type": "application/json"})
			return status, body
		}, "evt_forgee"},
		{"no signature", func() (int, string) {
			status, body, _ := raw(t, http.MethodPost, s.url+"/v1/billing/webhook", "", bytes.NewReader(payload), nil)
			return status, body
		}, "evt_forged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := tc.send(); status != http.StatusBadRequest {
				t.Errorf("%d %s, want 400", status, body)
			}
			if _, err := s.app.Store.BillingEvent(context.Background(), tc.storedID); quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
				t.Errorf("event stored: %v", err)
			}
		})
	}
	if b := billing(t, c); b.Plan.Name != quizflow.PlanFree || b.Status != "" {
		t.Errorf("billing after refused webhooks: %+v", b)
	}
	// The same event properly signed is accepted.
	if o := s.send(t, ev); o != "applied" {
		t.Errorf("signed: %s", o)
	}
	mfs := scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
	if got, _ := metricValue(mfs, "quizflow_billing_events_total", map[string]string{"type": "unverified", "outcome": "invalid"}); got != 4 {
		t.Errorf("invalid webhooks counted %v, want 4", got)
	}
	if got, _ := metricValue(mfs, "quizflow_billing_events_total", map[string]string{"type": "checkout.session.completed", "outcome": "applied"}); got != 1 {
		t.Errorf("applied checkout events counted %v, want 1", got)
	}
}

// signedHeader is the Stripe-Signature of payload signed now with the
// test secret.
func signedHeader(payload []byte) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: testWebhookSecret, Timestamp: time.Now()}).Header
}
