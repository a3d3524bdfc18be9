// Package stripepay is QuizFlow's payment provider over Stripe
// (github.com/stripe/stripe-go/v76, API version 2023-10-16): customers,
// Checkout and Customer Portal sessions, webhook verification, and the
// decoding of the events the billing use case applies.
package stripepay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
)

// APIVersion is the Stripe API version the events must be rendered in
// (the webhook endpoint's version).
const APIVersion = stripe.APIVersion

// Config holds the Stripe settings.
type Config struct {
	SecretKey     string
	WebhookSecret string
	ProPriceID    string
	// APIURL, if set, replaces Stripe's API base URL (stripe-mock).
	APIURL string
}

// Client is usecase.Payments over Stripe.
type Client struct {
	cfg Config
	api *client.API
}

var _ usecase.Payments = (*Client)(nil)

// New returns a Stripe client.
func New(cfg Config) *Client {
	bc := &stripe.BackendConfig{HTTPClient: &http.Client{Timeout: 30 * time.Second}, MaxNetworkRetries: stripe.Int64(2)}
	if cfg.APIURL != "" {
		bc.URL = stripe.String(cfg.APIURL)
	}
	api := &client.API{}
	api.Init(cfg.SecretKey, &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, bc),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc),
	})
	return &Client{cfg: cfg, api: api}
}

// unavailable reports Stripe failing a call, logged by the caller's error
// handler, as a retryable error for the user.
func unavailable(what string, err error) error {
	return fmt.Errorf("stripe %s: %w", what, errors.Join(err, &quizflow.Error{Code: quizflow.EUNAVAILABLE,
		RetryAfter: 5 * time.Second, Message: "The payment provider could not be reached; please try again shortly."}))
}

// CreateCustomer implements usecase.Payments.
func (c *Client) CreateCustomer(ctx context.Context, user *quizflow.User, idempotencyKey string) (string, error) {
	p := &stripe.CustomerParams{Email: stripe.String(user.Email), Name: stripe.String(user.Name)}
	p.Context = ctx
	p.AddMetadata("user_id", user.ID)
	p.SetIdempotencyKey(idempotencyKey)
	cu, err := c.api.Customers.New(p)
	if err != nil {
		return "", unavailable("create customer", err)
	}
	return cu.ID, nil
}

// CheckoutURL implements usecase.Payments.
func (c *Client) CheckoutURL(ctx context.Context, customerID, userID, successURL, cancelURL string) (string, error) {
	p := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(customerID),
		ClientReferenceID: stripe.String(userID),
		LineItems:         []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(c.cfg.ProPriceID), Quantity: stripe.Int64(1)}},
		SuccessURL:        stripe.String(successURL),
		CancelURL:         stripe.String(cancelURL),
		SubscriptionData:  &stripe.CheckoutSessionSubscriptionDataParams{Metadata: map[string]string{"user_id": userID}},
	}
	p.Context = ctx
	s, err := c.api.CheckoutSessions.New(p)
	if err != nil {
		return "", unavailable("create checkout session", err)
	}
	return s.URL, nil
}

// PortalURL implements usecase.Payments.
func (c *Client) PortalURL(ctx context.Context, customerID, returnURL string) (string, error) {
	p := &stripe.BillingPortalSessionParams{Customer: stripe.String(customerID), ReturnURL: stripe.String(returnURL)}
	p.Context = ctx
	s, err := c.api.BillingPortalSessions.New(p)
	if err != nil {
		return "", unavailable("create portal session", err)
	}
	return s.URL, nil
}

// VerifyWebhook implements usecase.Payments: the signature over the raw
// body, within the library's 300 s tolerance, and the API version.
func (c *Client) VerifyWebhook(payload []byte, signature string) (*quizflow.BillingEvent, error) {
	ev, err := webhook.ConstructEventWithOptions(payload, signature, c.cfg.WebhookSecret,
		webhook.ConstructEventOptions{Tolerance: webhook.DefaultTolerance})
	if err != nil {
		msg := "The webhook signature does not verify."
		switch {
		case errors.Is(err, webhook.ErrTooOld):
			msg = "The webhook timestamp is too old."
		case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader):
			msg = "The Stripe-Signature header is missing or malformed."
		case ev.ID == "" && !errors.Is(err, webhook.ErrNoValidSignature):
			msg = "The webhook body is not a Stripe event of API version " + APIVersion + "."
		}
		return nil, quizflow.Errorf(quizflow.EINVALID, "%s", msg)
	}
	if ev.ID == "" || ev.Data == nil {
		return nil, quizflow.Errorf(quizflow.EINVALID, "The webhook body is not a Stripe event.")
	}
	return &quizflow.BillingEvent{ID: ev.ID, Type: string(ev.Type), Payload: payload, Created: time.Unix(ev.Created, 0).UTC()}, nil
}

// Change implements usecase.Payments.
func (c *Client) Change(e *quizflow.BillingEvent) (*quizflow.BillingChange, error) {
	var ev stripe.Event
	if err := json.Unmarshal(e.Payload, &ev); err != nil || ev.Data == nil {
		return nil, fmt.Errorf("decode event %s: %v", e.ID, err)
	}
	raw := ev.Data.Raw
	switch e.Type {
	case "checkout.session.completed":
		var s stripe.CheckoutSession
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.ID, err)
		}
		if s.Mode != stripe.CheckoutSessionModeSubscription {
			return nil, nil
		}
		ch := &quizflow.BillingChange{Kind: quizflow.ChangeCheckout, UserID: s.ClientReferenceID}
		if s.Customer != nil {
			ch.CustomerID = s.Customer.ID
		}
		if s.Subscription != nil {
			ch.SubscriptionID = s.Subscription.ID
		}
		return ch, nil
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var s stripe.Subscription
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.ID, err)
		}
		ch := &quizflow.BillingChange{Kind: quizflow.ChangeSubscription, UserID: s.Metadata["user_id"],
			SubscriptionID: s.ID, Status: string(s.Status), CancelAtPeriodEnd: s.CancelAtPeriodEnd}
		if e.Type == "customer.subscription.deleted" {
			ch.Kind = quizflow.ChangeDeleted
		}
		if s.Customer != nil {
			ch.CustomerID = s.Customer.ID
		}
		if s.CurrentPeriodStart > 0 {
			ch.PeriodStart, ch.PeriodEnd = time.Unix(s.CurrentPeriodStart, 0).UTC(), time.Unix(s.CurrentPeriodEnd, 0).UTC()
		}
		return ch, nil
	case "invoice.paid", "invoice.payment_failed":
		var in stripe.Invoice
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.ID, err)
		}
		if in.Subscription == nil || in.Subscription.ID == "" {
			return nil, nil // a one-off invoice
		}
		ch := &quizflow.BillingChange{Kind: quizflow.ChangeInvoicePaid, SubscriptionID: in.Subscription.ID}
		if e.Type == "invoice.payment_failed" {
			ch.Kind = quizflow.ChangeInvoiceFailed
		}
		if in.Customer != nil {
			ch.CustomerID = in.Customer.ID
		}
		if in.SubscriptionDetails != nil {
			ch.UserID = in.SubscriptionDetails.Metadata["user_id"]
		}
		// The subscription line's period is the one the invoice pays for.
		if in.Lines != nil {
			for _, l := range in.Lines.Data {
				if l.Period != nil && l.Period.Start > 0 && l.Type == stripe.InvoiceLineItemTypeSubscription {
					ch.PeriodStart, ch.PeriodEnd = time.Unix(l.Period.Start, 0).UTC(), time.Unix(l.Period.End, 0).UTC()
					break
				}
			}
		}
		return ch, nil
	}
	return nil, nil
}
