package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/app"
	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

// TestAdminSetPlan runs `quizflow admin set-plan` against real services:
// Pro until a date, logged, then free again.
func TestAdminSetPlan(t *testing.T) {
	env := testenv.New(t)
	vars := map[string]string{
		"APP_ENV": "test", "LOG_LEVEL": "info", "BCRYPT_COST": "4",
		"REDIS_URL": env.RedisURL, "MONGODB_URI": env.MongoURI, "MONGODB_DATABASE": env.MongoDB,
		"S3_ENDPOINT": env.S3.Endpoint, "S3_BUCKET": env.S3.Bucket, "S3_REGION": env.S3.Region,
		"S3_ACCESS_KEY_ID": env.S3.AccessKey, "S3_SECRET_ACCESS_KEY": env.S3.SecretKey,
	}
	getenv := func(k string) string { return vars[k] }
	ctx := context.Background()
	cmd := func(args ...string) (string, string, error) {
		var out, errs bytes.Buffer
		err := run(ctx, append([]string{"admin", "set-plan"}, args...), getenv, &out, &errs)
		return out.String(), errs.String(), err
	}
	if _, _, err := cmd("nobody@example.com", "pro"); err == nil {
		t.Fatal("set-plan of an unknown account succeeded")
	}
	for _, bad := range [][]string{{"x@example.com", "gold"}, {"x@example.com"}, {"x@example.com", "free", "--until", "2030-01-01"}} {
		if _, _, err := cmd(bad...); err == nil {
			t.Errorf("set-plan %v accepted", bad)
		}
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, cfg, app.NewLogger(&bytes.Buffer{}, "warn"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	sess, err := a.Auth.Register(ctx, "comp@example.com", "a comp account passphrase", "Comp")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	out, logs, err := cmd("COMP@example.com", "pro", "--until", until)
	if err != nil || !strings.Contains(out, "is on the pro plan until "+until) {
		t.Fatalf("set-plan pro: %v %s", err, out)
	}
	if !strings.Contains(logs, `"message":"plan set by an operator"`) || !strings.Contains(logs, sess.User.ID) {
		t.Errorf("set-plan not logged: %s", logs)
	}
	st, err := a.Services.Billing.Billing(ctx, sess.User)
	if err != nil || st.Plan.Name != quizflow.PlanPro || st.PlanUntil == nil || st.PlanUntil.Format("2006-01-02") != until {
		t.Fatalf("billing after set-plan: %+v %v", st, err)
	}
	// After the date, free again (an injected clock).
	a.Services.SetClock(func() time.Time { return st.PlanUntil.Add(time.Second) })
	if st, _ := a.Services.Billing.Billing(ctx, sess.User); st.Plan.Name != quizflow.PlanFree {
		t.Errorf("after --until: %s", st.Plan.Name)
	}
	a.Services.SetClock(nil)
	if out, _, err := cmd("comp@example.com", "free"); err != nil || !strings.Contains(out, "is on the free plan") {
		t.Fatalf("set-plan free: %v %s", err, out)
	}
	if st, _ := a.Services.Billing.Billing(ctx, sess.User); st.Plan.Name != quizflow.PlanFree {
		t.Errorf("after set-plan free: %s", st.Plan.Name)
	}
	if u, _ := a.Auth.User(ctx, sess.User.ID); u.Plan != quizflow.PlanFree {
		t.Errorf("account plan %s", u.Plan)
	}
}
