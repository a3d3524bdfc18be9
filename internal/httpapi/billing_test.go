package httpapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// fakeBilling is an in-memory quizflow.BillingService.
type fakeBilling struct {
	mu       sync.Mutex
	webhooks [][]byte // bodies received, as verified
	fail     error
}

func (f *fakeBilling) Plans(context.Context) []quizflow.Plan { return quizflow.DefaultPlans().List() }

func (f *fakeBilling) Billing(_ context.Context, u *quizflow.User) (*quizflow.BillingStatus, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	return &quizflow.BillingStatus{Plan: quizflow.DefaultPlans().Get(u.Plan), Enabled: true,
		Usage: []quizflow.QuotaUsage{{Kind: quizflow.QuotaQuizzes, Used: 3, Limit: 10}}}, nil
}

func (f *fakeBilling) Checkout(_ context.Context, u *quizflow.User) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	return "https://checkout.stripe.test/c/" + u.ID, nil
}

func (f *fakeBilling) Portal(_ context.Context, u *quizflow.User) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	return "https://billing.stripe.test/p/" + u.ID, nil
}

func (f *fakeBilling) ReceiveWebhook(_ context.Context, payload []byte, sig string) error {
	if sig != "t=1,v1=good" {
		return quizflow.Errorf(quizflow.EINVALID, "The webhook signature does not verify.")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhooks = append(f.webhooks, payload)
	return nil
}

func withBilling(f *fakeBilling) func(*Deps) { return func(d *Deps) { d.Billing = f } }

var quotaErr = &quizflow.Error{Code: quizflow.EQUOTA, Message: "You have used all 10 quizzes of the free plan for this period.",
	UpgradeURL: "https://quizflow.example/v1/billing/checkout"}

var billingScenarios = []scenario{
	{name: "plans need no login", method: "GET", path: "/v1/plans", status: 200,
		want: []string{`"name":"free"`, `"quizzes_per_month":10`, `"name":"pro"`, `"quizzes_per_month":300`, `"max_file_size":52428800`}},
	{name: "billing status", method: "GET", path: "/v1/billing", token: "alice-token", deps: withBilling(&fakeBilling{}), status: 200,
		want: []string{`"plan":{"name":"free"`, `"usage":[{"kind":"quizzes","used":3,"limit":10}]`, `"billing_enabled":true`}},
	{name: "checkout", method: "POST", path: "/v1/billing/checkout", token: "alice-token", deps: withBilling(&fakeBilling{}), status: 200,
		want: []string{`"url":"https://checkout.stripe.test/c/usr_alice`}},
	{name: "checkout while already subscribed", method: "POST", path: "/v1/billing/checkout", token: "alice-token",
		deps: withBilling(&fakeBilling{fail: quizflow.Errorf(quizflow.ECONFLICT, "You already have a Pro subscription.")}), status: 409},
	{name: "portal", method: "POST", path: "/v1/billing/portal", token: "alice-token", deps: withBilling(&fakeBilling{}), status: 200,
		want: []string{`"url":"https://billing.stripe.test/p/usr_alice`}},
	{name: "billing without Stripe keys", method: "POST", path: "/v1/billing/checkout", token: "alice-token", status: 503,
		want: []string{`"code":"billing_disabled"`, "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRO_PRICE_ID"}},
	{name: "billing disabled by the service", method: "GET", path: "/v1/billing", token: "alice-token",
		deps: withBilling(&fakeBilling{fail: quizflow.Errorf(quizflow.EBILLINGDISABLED, "Billing is not enabled: set STRIPE_SECRET_KEY.")}), status: 503,
		want: []string{`"code":"billing_disabled"`}},
	{name: "webhook verified", method: "POST", path: "/v1/billing/webhook", body: `{"id":"evt_1"}`,
		headers: map[string]string{"Stripe-Signature": "t=1,v1=good"}, deps: withBilling(&fakeBilling{}), status: 200,
		want: []string{`"received":true`}},
	{name: "webhook with a bad signature", method: "POST", path: "/v1/billing/webhook", body: `{"id":"evt_1"}`,
		headers: map[string]string{"Stripe-Signature": "t=1,v1=forged"}, deps: withBilling(&fakeBilling{}), status: 400,
		want: []string{`"code":"invalid"`}},
	{name: "webhook without Stripe keys", method: "POST", path: "/v1/billing/webhook", body: `{}`, status: 503,
		want: []string{`"code":"billing_disabled"`}},
	{name: "upload over the quota", method: "POST", path: "/v1/documents", token: "alice-token",
		form: []formPart{notesFile}, fail: map[string]error{"ReceiveFile": quotaErr}, status: 402,
		want: []string{`"code":"quota_exceeded"`, `"upgrade_url":"https://quizflow.example/v1/billing/checkout"`}},
}

// TestWebhookBodyIsRaw: the service verifies the body byte for byte as
// sent, whitespace and all.
func TestWebhookBodyIsRaw(t *testing.T) {
	f := &fakeBilling{}
	body := "{\n  \"id\": \"evt_raw\",\t\"object\": \"event\" }\n"
	s := scenario{method: "POST", path: "/v1/billing/webhook", body: body,
		headers: map[string]string{"Stripe-Signature": "t=1,v1=good"}, deps: withBilling(f), status: 200}
	s.run(t)
	if len(f.webhooks) != 1 || string(f.webhooks[0]) != body {
		t.Errorf("service got %q, want %q", f.webhooks, body)
	}
	if !errors.Is(quotaErr, quotaErr) || !strings.Contains(quotaErr.Error(), "quota_exceeded") {
		t.Error("quota error")
	}
}
