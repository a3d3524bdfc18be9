package config

import (
	"strings"
	"testing"
	"time"
)

func TestPlans(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"PLAN_FREE_QUIZZES_PER_MONTH": "3", "PLAN_PRO_MAX_PAGES": "900"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Plans.Free.QuizzesPerMonth != 3 || c.Plans.Pro.QuizzesPerMonth != 300 || c.Plans.Free.RegenerationsPerMonth != 30 {
		t.Errorf("plans = %+v", c.Plans)
	}
	if c.Plans.Free.MaxFileSize != 10<<20 || c.Plans.Pro.MaxFileSize != 50<<20 || c.MaxPages != 900 || c.BillingGrace != 7*24*time.Hour {
		t.Errorf("plans = %+v, max pages %d, grace %v", c.Plans, c.MaxPages, c.BillingGrace)
	}
	// MAX_FILE_SIZE caps every plan, and is the bound of plans without
	// their own.
	c, err = FromEnv(env(map[string]string{"MAX_FILE_SIZE": "2MiB"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Plans.Free.MaxFileSize != 2<<20 || c.Plans.Pro.MaxFileSize != 2<<20 {
		t.Errorf("capped plans = %+v", c.Plans)
	}
	c, err = FromEnv(env(map[string]string{"MAX_FILE_SIZE": "20MiB", "PLAN_FREE_MAX_FILE_SIZE": "5MiB", "MAX_PAGES": "80"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Plans.Free.MaxFileSize != 5<<20 || c.Plans.Pro.MaxFileSize != 20<<20 || c.Plans.Free.MaxPages != 80 || c.Plans.Pro.MaxPages != 80 {
		t.Errorf("plans under MAX_FILE_SIZE=20MiB = %+v", c.Plans)
	}
	for k, want := range map[string]string{
		"PLAN_FREE_QUIZZES_PER_MONTH": "PLAN_FREE_QUIZZES_PER_MONTH",
		"PLAN_PRO_MAX_QUESTIONS":      "PLAN_*",
		"STRIPE_SECRET_KEY":           "STRIPE_WEBHOOK_SECRET",
		"BILLING_GRACE":               "BILLING_GRACE",
	} {
		v := map[string]string{"PLAN_FREE_QUIZZES_PER_MONTH": "many", "PLAN_PRO_MAX_QUESTIONS": "1000", "STRIPE_SECRET_KEY": "sk_test_x", "BILLING_GRACE": "soon"}[k]
		_, err := FromEnv(env(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: err = %v, want it to name %s", k, v, err, want)
		}
	}
}
