package httpapi

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// maxWebhookBody bounds a Stripe webhook's body (Stripe's own are a few KiB).
const maxWebhookBody = 1 << 20

type plansResponse struct {
	Plans []quizflow.Plan `json:"plans"`
}

type urlResponse struct {
	URL string `json:"url"`
}

func (s *Server) billingDisabled() error {
	return quizflow.Errorf(quizflow.EBILLINGDISABLED,
		"Billing is not enabled on this server: set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PRO_PRICE_ID to enable it.")
}

// listPlans answers GET /v1/plans: every plan and its limits (public).
func (s *Server) listPlans(c echo.Context) error {
	if s.Billing == nil {
		return c.JSON(http.StatusOK, plansResponse{Plans: quizflow.DefaultPlans().List()})
	}
	return c.JSON(http.StatusOK, plansResponse{Plans: s.Billing.Plans(c.Request().Context())})
}

// getBilling answers GET /v1/billing: the user's plan, subscription and
// usage.
func (s *Server) getBilling(c echo.Context) error {
	if s.Billing == nil {
		return s.billingDisabled()
	}
	st, err := s.Billing.Billing(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// checkout answers POST /v1/billing/checkout with a Stripe Checkout URL.
func (s *Server) checkout(c echo.Context) error {
	if s.Billing == nil {
		return s.billingDisabled()
	}
	u, err := s.Billing.Checkout(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, urlResponse{URL: u})
}

// portal answers POST /v1/billing/portal with a Customer Portal URL.
func (s *Server) portal(c echo.Context) error {
	if s.Billing == nil {
		return s.billingDisabled()
	}
	u, err := s.Billing.Portal(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, urlResponse{URL: u})
}

// stripeWebhook answers POST /v1/billing/webhook: the raw body, exactly as
// sent, is verified against Stripe-Signature; a verified event is stored
// and queued, and answered 200 at once.
func (s *Server) stripeWebhook(c echo.Context) error {
	if s.Billing == nil {
		return s.billingDisabled()
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxWebhookBody))
	if err != nil {
		return err
	}
	if err := s.Billing.ReceiveWebhook(c.Request().Context(), body, c.Request().Header.Get("Stripe-Signature")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"received": true})
}
