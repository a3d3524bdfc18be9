package config

import (
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// readPlans reads the plans' limits (PLAN_FREE_* and PLAN_PRO_*, defaults
// in quizflow.DefaultPlans), BILLING_GRACE and STRIPE_API_URL, and checks
// them with the Stripe settings. MAX_FILE_SIZE and MAX_PAGES, when set,
// are every plan's bound that has no PLAN_<P>_MAX_FILE_SIZE (MAX_PAGES)
// of its own, and cap those that do (a server-wide ceiling); unset, they
// become the largest plan's, which the API's body limit and the worker's
// read-back use.
func (p *parser) readPlans(c *Config) {
	def := quizflow.DefaultPlans()
	c.Plans = quizflow.Plans{Free: p.plan("FREE", def.Free), Pro: p.plan("PRO", def.Pro)}
	isSet := func(name string) bool { return strings.TrimSpace(p.getenv(name)) != "" }
	sizeSet, pagesSet := isSet("MAX_FILE_SIZE"), isSet("MAX_PAGES")
	for _, pl := range []*quizflow.Plan{&c.Plans.Free, &c.Plans.Pro} {
		pre := "PLAN_" + strings.ToUpper(pl.Name) + "_"
		// A plan without its own setting takes MAX_FILE_SIZE (MAX_PAGES)
		// as it is, as before plans existed; one with caps at it.
		if sizeSet && (pl.MaxFileSize > c.MaxFileSize || !isSet(pre+"MAX_FILE_SIZE")) {
			pl.MaxFileSize = c.MaxFileSize
		}
		if pagesSet && (pl.MaxPages > c.MaxPages || !isSet(pre+"MAX_PAGES")) {
			pl.MaxPages = c.MaxPages
		}
	}
	if !sizeSet {
		c.MaxFileSize = max(c.Plans.Free.MaxFileSize, c.Plans.Pro.MaxFileSize)
	}
	if !pagesSet {
		c.MaxPages = max(c.Plans.Free.MaxPages, c.Plans.Pro.MaxPages)
	}
	if err := c.Plans.Validate(); err != nil {
		p.fail("PLAN_*", "%v", err)
	}
	c.BillingGrace = p.duration("BILLING_GRACE", 7*24*time.Hour)
	if c.BillingGrace < 0 {
		p.fail("BILLING_GRACE", "must not be negative")
	}
	c.StripeAPIURL = strings.TrimRight(p.str("STRIPE_API_URL", ""), "/")
	set := 0
	for _, v := range []string{c.StripeSecretKey, c.StripeWebhookSecret, c.StripeProPriceID} {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		p.fail("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET and STRIPE_PRO_PRICE_ID enable billing together: set all three or none")
	}
}

// BillingOn reports whether Stripe billing is configured.
func (c *Config) BillingOn() bool {
	return c.StripeSecretKey != "" && c.StripeWebhookSecret != "" && c.StripeProPriceID != ""
}

// plan reads PLAN_<name>_* over def.
func (p *parser) plan(name string, def quizflow.Plan) quizflow.Plan {
	pre := "PLAN_" + name + "_"
	def.QuizzesPerMonth = p.int(pre+"QUIZZES_PER_MONTH", def.QuizzesPerMonth)
	def.RegenerationsPerMonth = p.int(pre+"REGENERATIONS_PER_MONTH", def.RegenerationsPerMonth)
	def.MaxFileSize = p.size(pre+"MAX_FILE_SIZE", def.MaxFileSize)
	def.MaxPages = p.int(pre+"MAX_PAGES", def.MaxPages)
	def.MaxQuestions = p.int(pre+"MAX_QUESTIONS", def.MaxQuestions)
	return def
}
